"""The Model page's health card without a browser: the decay banner says what left which interval,
the drift table lists the worst feature first, the charts draw each run against the levels."""

from __future__ import annotations

from typing import Any

from dashboard.model_health import decay_banner, decay_figure, drift_figure, drift_table, health_card

THRESHOLDS = {"warn_excess": 0.1, "halt_excess": 0.25}


def _run(day: str, excess: float, live_hit: float | None, status: str = "OK") -> dict[str, Any]:
    check = {"name": "hit_rate", "live": live_hit, "promised": 0.52, "low": 0.46, "high": 0.58, "n": 240}
    return {
        "as_of": f"{day}T21:00:00Z",
        "model_version": "v1",
        "drift": {
            "level": "HALT" if excess > 0.25 else "OK",
            "window_sessions": 60,
            "rows": 240,
            "first_day": "2012-11-01",
            "last_day": day,
            "worst": "gap",
            "max_excess": excess,
            "features": [
                {"name": "ret_1", "psi": 0.4, "envelope": 0.5, "excess": -0.1, "level": "OK"},
                {
                    "name": "gap",
                    "psi": 1.5,
                    "envelope": 1.2,
                    "excess": excess,
                    "level": "HALT" if excess > 0.25 else "OK",
                },
            ],
            "reason": "feature drift: gap ..." if excess > 0.25 else None,
        },
        "decay": {
            "status": status,
            "window_sessions": 60,
            "level": 0.95,
            "checks": [{**check, "inside": status == "OK"}] if live_hit is not None else [],
            "reason": "model decay: live hit rate 0.4000 is below ..." if status == "DECAYED" else None,
        },
    }


def test_decay_banner_names_the_verdict_and_the_figures() -> None:
    ok = decay_banner(_run("2013-02-01", 0.0, 0.5)["decay"])
    assert ok.color == "success" and "hit rate 50.0% (promised 52.0%, interval 46.0% .. 58.0%)" in str(ok.children)
    bad = decay_banner(_run("2013-02-01", 0.0, 0.4, "DECAYED")["decay"])
    assert bad.color == "danger" and "below" in str(bad.children)
    collecting = decay_banner({"status": "COLLECTING", "reason": "12 of 60 sessions"})
    assert collecting.color == "info" and "12 of 60 sessions" in str(collecting.children)


def test_drift_table_lists_the_worst_feature_first() -> None:
    table = drift_table(_run("2013-02-01", 0.3, None)["drift"])
    assert [r["name"] for r in table.data] == ["gap", "ret_1"] and table.data[0]["level"] == "HALT"


def test_charts_draw_each_run_oldest_first_against_the_levels() -> None:
    runs = [_run("2013-02-04", 0.3, 0.4, "DECAYED"), _run("2013-02-01", 0.05, 0.5)]  # newest first, as the API
    fig = drift_figure(runs, THRESHOLDS)
    assert list(fig.data[0].y) == [0.05, 0.3] and [t.name for t in fig.data[1:]] == ["warn", "halt: entries held"]
    assert list(fig.data[2].y) == [0.25, 0.25]
    decay = decay_figure(runs)
    assert decay is not None and list(decay.data[-1].y) == [0.5, 0.4]
    assert decay_figure([_run("2013-02-01", 0.0, None, "COLLECTING")]) is None


def test_health_card_without_records_says_what_to_run() -> None:
    assert "make pipeline" in str(health_card({"runs": []}))
    stale = health_card({"runs": [_run("2013-02-01", 0.0, 0.5)], "live_version": "v2", "thresholds": THRESHOLDS})
    assert "not of the live v2" in str(stale)
