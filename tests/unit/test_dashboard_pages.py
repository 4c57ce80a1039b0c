"""Page logic of the dashboard (no browser): ticket validation, equity series, manifest rendering."""

from __future__ import annotations

import sys
from types import ModuleType

import pytest

from dashboard.controls.limits import validate_limits
from dashboard.controls.ticket import ticket_card, validate_ticket


def page(name: str) -> ModuleType:
    """Dash imports the pages itself (as ``pages.<name>``) when the app is built."""
    import dashboard.app  # noqa: F401

    return sys.modules[f"pages.{name}"]


@pytest.mark.parametrize(
    ("symbol", "quantity", "bad"),
    [
        ("AAPL", 10, set()),
        ("AAPL", "10", set()),
        ("BRK.B", 1, set()),
        ("aapl!", 10, {"symbol"}),
        ("", 10, {"symbol"}),
        ("AAPL", 0, {"quantity"}),
        ("AAPL", 2.5, {"quantity"}),
        ("AAPL", -3, {"quantity"}),
        ("AAPL", None, {"quantity"}),
    ],
)
def test_ticket_validation(symbol: object, quantity: object, bad: set[str]) -> None:
    assert set(validate_ticket(symbol, quantity)) == bad


def test_ticket_has_no_price_field_fills_come_from_market_data() -> None:
    # The API refuses a client's price (422): the ticket must not offer one
    assert "ticket-price" not in str(ticket_card())


def test_limits_validation() -> None:
    validate = validate_limits
    assert validate({"max_order_notional": 5000, "max_position_weight": None, "max_gross_exposure": 1.5}) == (
        [],
        {"max_order_notional": 5000.0, "max_gross_exposure": 1.5},
    )
    errors, _ = validate({"max_position_weight": 1.5})
    assert errors and "Max position weight" in errors[0]
    assert validate({})[0] == ["enter at least one limit"]


def test_equity_series_joins_live_point_only_when_recent() -> None:
    overview = page("overview")
    snaps = [{"as_of": "2013-03-01T21:00:00Z", "equity": 101.0}, {"as_of": "2013-02-28T21:00:00Z", "equity": 100.0}]
    times, values = overview.equity_series(snaps, {"equity": 99.0, "as_of": "2026-11-23T10:00:00Z"})
    assert values == [100.0, 101.0]  # a replay's snapshots are years old: no line across the gap
    times, values = overview.equity_series(snaps, {"equity": 99.0, "as_of": "2013-03-02T10:00:00Z"})
    assert values == [100.0, 101.0, 99.0]
    assert overview.drawdowns([100.0, 110.0, 99.0]) == [0.0, 0.0, pytest.approx(-0.1)]


def test_model_manifest_wrapped_by_the_signal_service_is_rendered() -> None:
    model = page("model")
    body = {
        "name": "tradeloop",
        "version": "v1",
        "manifest": {
            "version": "v1",
            "walk_forward": {"overall": {"auc": 0.53}},
            "baselines": {"logistic": {"auc": 0.5}},
        },
        "model_h5_url": "http://s3.local/models/v1/model.h5?sig=x",
        "serving": {"loaded": True},
    }
    manifest, links = model.split(body)
    assert manifest["version"] == "v1" and links == {"model_h5_url": body["model_h5_url"]}
    assert "v1" in str(model.render(body))
    assert "No model yet" in str(model.render({}))
    assert "model-forced" not in str(model.render(body))


def test_a_force_promoted_model_is_flagged_with_the_gate_reasons() -> None:
    model = page("model")
    body = {
        "version": "v2",
        "manifest": {
            "version": "v2",
            "gate": {
                "metric": "auc",
                "candidate": 0.507,
                "logistic": 0.507,
                "passed": False,
                "reasons": ["after-cost Sharpe +0.39 does not beat"],
            },
        },
        "promotion": {"action": "force-promote"},
        "report_url": "http://s3.local/models/v2/report.html?sig=x",
    }
    rendered = str(model.render(body))
    assert "model-forced" in rendered and "FAIL; after-cost Sharpe +0.39 does not beat" in rendered
    assert "Open the model report" in rendered


def test_equity_chart_draws_buy_and_hold_beside_the_account() -> None:
    overview = page("overview")
    bench = overview.benchmark_series(
        {
            "points": [
                {"as_of": "2013-01-03T21:00:00Z", "equity": 101.5},
                {"as_of": "2013-01-02T21:00:00Z", "equity": 100},
            ]
        }
    )
    assert bench == (["2013-01-02T21:00:00Z", "2013-01-03T21:00:00Z"], [100.0, 101.5])
    fig = overview.equity_figure(["a", "b"], [100.0, 99.0], bench)
    assert [t.name for t in fig.data] == ["Equity", "Buy and hold"]
    assert [t.name for t in overview.equity_figure(["a", "b"], [100.0, 99.0], ([], [])).data] == ["Equity"]


def test_data_page_marks_late_symbols_and_lists_every_warning() -> None:
    data = page("data")
    # Given a session's report with IBM late and a split-like jump on AAPL
    report = {
        "kind": "session",
        "session": "2013-02-21",
        "provider": "alpaca",
        "complete": False,
        "missing": ["IBM"],
        "warnings": [],
        "symbols": [
            {
                "symbol": "AAPL",
                "rows": 3,
                "jumps": [{"date": "2005-02-28"}],
                "warnings": ["jump of -50%"],
                "appended": ["2013-02-21"],
            },
            {"symbol": "IBM", "rows": 2, "jumps": [], "warnings": ["late: no bar for 2013-02-21 yet"], "appended": []},
        ],
    }
    # Then the table says LATE for IBM, counts AAPL's jump and bar, and the warnings name their symbol
    rows = {r["symbol"]: r for r in data.rows(report)}
    assert rows["IBM"]["status"] == "LATE" and rows["AAPL"]["jumps"] == 1 and rows["AAPL"]["appended"] == 1
    assert data.warnings(report) == ["AAPL: jump of -50%", "IBM: late: no bar for 2013-02-21 yet"]
    assert "late: IBM" in str(data.render(report))
