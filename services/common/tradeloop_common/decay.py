"""Model decay: do the live model's signals keep what its walk-forward promised?

A signal decided at the close of bar t is judged by the return its label measures,
r = open[t+2] / open[t+1] - 1 (it fills at the open of t+1 and is next revised at the open of t+2),
so it is known two sessions later. Two figures, over the last ``window_sessions`` sessions whose
outcomes are known, every symbol pooled:

- **hit rate**: the share of signals whose direction (p > 0.5) matched the sign of r, moves within
  the label's tie zone left out -- the walk-forward's ``accuracy``;
- **long return**: the mean r of the signals whose target weight was above 0 -- what a long signal
  earned before costs.

The promise (the manifest's ``monitoring.decay``, written by ``ml.monitoring`` from the
walk-forward's out-of-sample rows of the published model) holds each figure and the interval a
window of ``window_sessions`` sessions falls in with probability ``level`` (0.95) when the model
performs live as it did out of sample (a stationary bootstrap of that many out-of-sample dates: the
interval is as wide as a window that short is noisy). A figure outside its interval is **decay**:
the ``ModelDecay`` metric (the ``model-decay`` alarm) and the Model page say so. Below is decay;
above is reported the same way, because a model doing much better than it ever tested is more often
a data error than luck. Decay alerts; it does not stop trading (drift and the loss limits do).

Only signals of the live model version count: a new model starts collecting from its first run."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from tradeloop_common.dal.bars import Bars
from tradeloop_common.models import Signal, SignalAction
from tradeloop_common.models.health import DecayCheck, DecayStatus, DecayVerdict

HIT_RATE = "hit_rate"
LONG_RETURN = "long_return"
DEFINITIONS = {
    HIT_RATE: "share of signals whose direction (p > 0.5) matched the sign of open[t+2]/open[t+1]-1 (ties left out)",
    LONG_RETURN: "mean open[t+2]/open[t+1]-1 of the signals with a target weight above 0 (before costs)",
}


@dataclass(frozen=True)
class Promise:
    name: str
    promised: float
    low: float
    high: float


@dataclass(frozen=True)
class DecayPromise:
    window_sessions: int
    level: float
    tie: float  # |r| at or below this is a tie: no direction to hit
    checks: tuple[Promise, ...]

    @classmethod
    def from_manifest(cls, manifest: Mapping[str, Any]) -> DecayPromise | None:
        """The manifest's promise; None for a model published before decay monitoring. Raises
        ValueError when it is there but unusable."""
        raw = (manifest.get("monitoring") or {}).get("decay")
        if not raw:
            return None
        try:
            checks = tuple(
                Promise(
                    name, float(raw[name]["promised"]), float(raw[name]["interval"][0]), float(raw[name]["interval"][1])
                )
                for name in (HIT_RATE, LONG_RETURN)
                if raw.get(name)
            )
            promise = cls(int(raw["window_sessions"]), float(raw["level"]), float(raw["tie"]), checks)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise ValueError(f"monitoring.decay of the manifest is unreadable: {exc!r}") from exc
        if promise.window_sessions < 1 or not checks or any(not c.low <= c.high for c in checks):
            raise ValueError("monitoring.decay: a window and at least one check with low <= high are required")
        return promise


@dataclass(frozen=True)
class LiveOutcome:
    symbol: str
    day: date  # the bar the signal scored
    hit: bool | None  # None: a tie
    long: bool
    ret: float


def outcomes(signals: Iterable[Signal], bars: Bars, upto: date, tie: float) -> list[LiveOutcome]:
    """The known outcomes of one symbol's ``signals`` at ``upto`` (a bar's date; bars after it are not
    read): one per scored bar (the latest decision on it), decided ones only (a HOLD scored nothing)."""
    known = bars.count_upto(upto)
    latest: dict[int, Signal] = {}
    for s in signals:
        if s.action is not SignalAction.TARGET or s.probability is None:
            continue
        t = bars.count_upto(s.as_of.date()) - 1
        if t < 0 or t + 2 >= known:
            continue  # no bar scored, or its outcome is not known yet
        if t not in latest or s.as_of > latest[t].as_of:
            latest[t] = s
    out = []
    for t, s in sorted(latest.items()):
        r = float(bars.open[t + 2] / bars.open[t + 1] - 1)
        hit = None if abs(r) <= tie else (float(s.probability) > 0.5) == (r > 0)  # type: ignore[arg-type]
        out.append(LiveOutcome(s.symbol, bars.dates[t], hit, s.target_weight > 0, r))
    return out


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def assess(promise: DecayPromise, live: Iterable[LiveOutcome]) -> DecayStatus:
    """The verdict over the last ``window_sessions`` sessions with known outcomes."""
    rows = list(live)
    days = sorted({o.day for o in rows})
    base: dict[str, Any] = {"window_sessions": promise.window_sessions, "level": promise.level}
    if len(days) < promise.window_sessions:
        return DecayStatus(
            status=DecayVerdict.COLLECTING,
            sessions=len(days),
            signals=len(rows),
            reason=f"{len(days)} of {promise.window_sessions} sessions of this model's signals have known outcomes",
            **base,
        )
    window = set(days[-promise.window_sessions :])
    rows = [o for o in rows if o.day in window]
    figures = {
        HIT_RATE: [1.0 if o.hit else 0.0 for o in rows if o.hit is not None],
        LONG_RETURN: [o.ret for o in rows if o.long],
    }
    checks = []
    for p in promise.checks:
        values = figures[p.name]
        live_value = _mean(values)
        inside = None if live_value is None else p.low <= live_value <= p.high
        checks.append(
            DecayCheck(
                name=p.name,
                definition=DEFINITIONS[p.name],
                live=live_value,
                promised=p.promised,
                low=p.low,
                high=p.high,
                n=len(values),
                inside=inside,
            )
        )
    outside = [c for c in checks if c.inside is False]
    status = DecayStatus(
        status=DecayVerdict.DECAYED if outside else DecayVerdict.OK,
        sessions=len(window),
        signals=len(rows),
        checks=checks,
        **base,
    )
    if outside:
        status.reason = "model decay: " + "; ".join(_outside(c, promise) for c in outside)
    return status


def _outside(check: DecayCheck, promise: DecayPromise) -> str:
    live = float(check.live or 0.0)
    side = "below" if live < check.low else "above"
    return (
        f"live {check.name.replace('_', ' ')} {live:.4f} is {side} the walk-forward's {promise.level:.0%} interval "
        f"[{check.low:.4f}, {check.high:.4f}] (promised {check.promised:.4f}) over the last "
        f"{promise.window_sessions} sessions ({check.n} signals)"
    )


def unavailable(reason: str) -> DecayStatus:
    return DecayStatus(status=DecayVerdict.UNKNOWN, reason=reason)
