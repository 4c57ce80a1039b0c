"""The portfolio service: health, marked portfolio, history, positions, the OpenAPI document."""

import json
from datetime import datetime

import requests

from tests.utils import order_body, post_order


def test_health_reports_versions_and_checks(local_api) -> None:
    body = requests.get(f"{local_api}/health", timeout=30).json()
    assert body["status"] == "ok" and body["checks"]["accounts_table"] == "ok"
    assert "code_version" in body and "model_version" in body


def test_unknown_position_404(local_api, fresh_account) -> None:
    r = requests.get(f"{local_api}/positions/MSFT", timeout=30)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_scheduled_snapshot_then_history_filters_by_range(local_runtime, fresh_account) -> None:
    api = local_runtime.api_url
    post_order(api, order_body("IBM", "BUY", 3))
    for day in ("2013-01-02", "2013-01-03", "2013-01-04"):
        local_runtime.pools["portfolio"].invoke(
            {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {"as_of": f"{day}T21:00:00+00:00"}}
        )
    all_points = requests.get(f"{api}/portfolio/history", timeout=30).json()["snapshots"]
    assert [p["as_of"][:10] for p in all_points] == ["2013-01-02", "2013-01-03", "2013-01-04"]
    some = requests.get(
        f"{api}/portfolio/history", params={"from": "2013-01-03", "to": "2013-01-03T23:59:59"}, timeout=30
    ).json()["snapshots"]
    assert [p["as_of"][:10] for p in some] == ["2013-01-03"]
    # equity moves with IBM's close between the days, cash does not
    assert len({p["cash"] for p in all_points}) == 1 and len({p["equity"] for p in all_points}) == 3
    assert datetime.fromisoformat(all_points[0]["as_of"].replace("Z", "+00:00")).hour == 21


def test_history_200_when_one_bound_has_a_zone_and_the_other_does_not(local_api, fresh_account) -> None:
    # Given bounds a client may well mix: one with a zone, one a bare date (naive means UTC)
    params = {"from": "2000-01-01T00:00:00Z", "to": "2000-01-02"}
    # When the history is asked for
    r = requests.get(f"{local_api}/portfolio/history", params=params, timeout=30)
    # Then it answers (comparing the two once raised TypeError: a 500)
    assert r.status_code == 200, r.text


def test_history_carries_an_equal_weight_buy_and_hold_benchmark(local_runtime, fresh_account) -> None:
    from decimal import Decimal

    from tradeloop_common.dal.bars import BarsRepository
    from tradeloop_common.settings import get_settings

    api = local_runtime.api_url
    days = ("2013-01-02", "2013-01-03", "2013-01-04")
    for day in days:
        local_runtime.pools["portfolio"].invoke(
            {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {"as_of": f"{day}T21:00:00+00:00"}}
        )
    body = requests.get(f"{api}/portfolio/history", timeout=30).json()
    bench = body["benchmark"]
    assert bench["symbols"] == ["AAPL", "GOOG", "IBM", "MSFT"]
    assert [p["as_of"][:10] for p in bench["points"]] == list(days)
    # Starts at the first snapshot's equity; then each quarter moves with its own close
    start = Decimal(str(body["snapshots"][0]["equity"]))
    assert Decimal(str(bench["points"][0]["equity"])) == start
    repo = BarsRepository(get_settings().data_bucket)
    closes = {
        s: {str(d): c for d, c in zip(repo.get(s).dates, repo.get(s).close, strict=True)} for s in bench["symbols"]
    }
    expected = sum(start / 4 * closes[s]["2013-01-04"] / closes[s]["2013-01-02"] for s in bench["symbols"])
    assert Decimal(str(bench["points"][-1]["equity"])) == expected.quantize(Decimal("0.01"))


def test_openapi_document_is_served_as_committed(local_api) -> None:
    from tradeloop_local.openapi import SPEC_FILE

    # When the API is asked for its document
    r = requests.get(f"{local_api}/openapi.json", timeout=30)
    # Then it is JSON, and exactly the committed document (which the unit tests keep in step with
    # routes.json and every service's routes)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/json")
    assert r.json() == json.loads(SPEC_FILE.read_text())
