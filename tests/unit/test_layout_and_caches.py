"""The S3 layout has one home (tradeloop_common.layout) and one process-wide cache reset
(tradeloop_local.embedded.reset_caches) reaches every cached factory."""

from __future__ import annotations

import sys
import types
from functools import lru_cache
from types import SimpleNamespace

import pytest

from tradeloop_common.dal.bars import Bars
from tradeloop_common.layout import (
    bars_key,
    latest_key,
    pointer_fields,
    symbol_of_bars_key,
    version_key,
    version_prefix,
)
from tradeloop_local.embedded import reset_caches


def test_bars_key_upper_cases_the_symbol_and_reads_back() -> None:
    # Given a ticker typed in lower case at a CLI and the same ticker from the API
    # Then both name one object, and the key reads back as the upper-case symbol
    assert bars_key("aapl") == bars_key("AAPL") == "bars/daily/AAPL.csv"
    assert symbol_of_bars_key(bars_key("brk.b")) == "BRK.B"
    assert symbol_of_bars_key("bars/daily/nested/X.csv") is None
    assert symbol_of_bars_key("quality/latest.json") is None


def test_registry_keys_and_pointer_forms() -> None:
    assert latest_key("tradeloop") == "models/tradeloop/LATEST"
    assert version_key("tradeloop", "v1", "manifest.json") == version_prefix("tradeloop", "v1") + "manifest.json"
    assert version_prefix("tradeloop", "v1") == "models/tradeloop/v1/"
    # A JSON pointer and a bare version both name their version; an empty one names none
    assert pointer_fields('{"version": "v2", "action": "promote"}')["version"] == "v2"
    assert pointer_fields(" v1\n") == {"version": "v1"}
    assert pointer_fields("") == {}


def test_ml_and_the_services_share_the_layout() -> None:
    import ml.registry
    from ml import dataset

    assert dataset.bars_key is bars_key
    assert ml.registry.latest_key is latest_key


def test_feature_columns_are_the_decimal_bars_as_floats() -> None:
    from datetime import date
    from decimal import Decimal as D

    bars = Bars(
        "X",
        (date(2024, 1, 2), date(2024, 1, 3)),
        (D("1.5"), D("2")),
        (D(2), D(3)),
        (D(1), D(1)),
        (D(2), D(2)),
        (D(10), D(20)),
    )
    o, h, lo, c, v = bars.feature_columns(1)
    assert (o.tolist(), h.tolist(), lo.tolist(), c.tolist(), v.tolist()) == ([2.0], [3.0], [1.0], [2.0], [20.0])
    assert o.dtype.name == "float64"


def test_reset_caches_clears_every_cached_factory_of_the_services(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a cached factory nobody listed anywhere (a service module added later)
    probe = types.ModuleType("order_service._cache_probe")
    calls: list[int] = []

    @lru_cache
    def factory() -> int:
        calls.append(1)
        return len(calls)

    factory.__module__ = probe.__name__
    probe.factory = factory  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, probe.__name__, probe)
    # And the portfolio service's cached dependencies (its bars repository: the old list of caches left it out)
    from portfolio_service.logic import dependencies

    monkeypatch.setattr(
        dependencies,
        "get_settings",
        lambda: SimpleNamespace(
            data_bucket="bucket-a", account_id="paper", models_bucket="models-a", model_name="m", code_version="t"
        ),
    )
    dependencies.get_dependencies.cache_clear()
    factory(), dependencies.get_dependencies()
    # When the process switches stacks
    reset_caches()
    # Then both are built again
    assert factory() == 2
    assert dependencies.get_dependencies.cache_info().currsize == 0
