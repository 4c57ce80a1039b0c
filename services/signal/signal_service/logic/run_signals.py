"""The signal job: for each symbol, score the bars up to ``as_of`` with the live model and write one
Signal row; then send ONE rebalance intent with every symbol's target weight, which the order
service turns into the orders that close the gap to what is held (so an order rejected or
dead-lettered one session is retried by the next).

Deterministic and write-once, so a redelivered scheduled event or a rerun changes nothing:
``signal_id = uuid5(model_version, symbol, as_of)``; the row is keyed by (symbol, as_of) and
written with a condition; a rerun reuses the stored rows and resends the same intent
(``intent_id = uuid5(as_of)``), which SQS FIFO deduplicates and the order service turns into
the same orders.

A symbol it refuses to trade (a HOLD row with the reason, the previous target kept on the row)
stays out of the intent, so its position is left as it is: when the model is missing, corrupt,
unverifiable or too old, or the data is stale (in sessions of the exchange calendar:
tradeloop_common.freshness, the rule the backtest shares) or too short; and, while the model's
feature drift is at HALT (logic/health.py, tradeloop_common.drift), a new or larger entry (an exit
still trades). While the kill switch is HALTED the signals are still written but no intent is sent.

The symbols are the traded universe (tradeloop_common.universe: the live model's manifest,
narrowed by TRADELOOP_SIGNAL_SYMBOLS), never "every CSV in the bucket"."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from signal_service.logic.dependencies import Dependencies
from signal_service.logic.health import model_health
from signal_service.logic.model_cache import LiveModel
from tradeloop_common.clock import iso
from tradeloop_common.dal.bars import Bars
from tradeloop_common.errors import UnknownSymbolError
from tradeloop_common.freshness import stale_reason as bar_stale_reason
from tradeloop_common.models import RebalanceIntent, Signal, SignalAction, TradingState
from tradeloop_common.models.health import ModelHealth
from tradeloop_common.observability import logger
from tradeloop_common.policy import target_weight, weight_for
from tradeloop_common.universe import traded_universe

# Symbols whose bar windows are read and scored together: enough for the parallel reads, few
# enough that the windows held at once stay a few megabytes whatever the universe.
WINDOW_CHUNK = 64
SIGNAL_NAMESPACE = uuid.UUID("5c0f6a3e-2b1d-4e8a-9f47-3d2e1b0c9a85")
NO_MODEL = "none"


def signal_id_for(model_version: str, symbol: str, as_of: datetime) -> str:
    return str(uuid.uuid5(SIGNAL_NAMESPACE, f"{model_version}|{symbol}|{iso(as_of)}"))


def intent_id_for(as_of: datetime) -> str:
    """One rebalance per decision time, whichever model made it: a rerun is the same intent."""
    return str(uuid.uuid5(SIGNAL_NAMESPACE, f"rebalance|{iso(as_of)}"))


@dataclass
class RunOutcome:
    as_of: datetime
    model_version: str | None
    signals: list[Signal] = field(default_factory=list)
    intents: list[RebalanceIntent] = field(default_factory=list)
    skipped: str | None = None  # why no intent was sent
    health: ModelHealth | None = None  # drift and decay at this decision time (None without a model)

    @property
    def holds(self) -> int:
        return sum(1 for s in self.signals if s.action is SignalAction.HOLD)


def stale_reason(bars: Bars, as_of: datetime, max_age_sessions: int) -> str | None:
    """The shared rule (tradeloop_common.freshness) applied to the last bar on or before ``as_of``."""
    last = bars.last_close(as_of)
    return bar_stale_reason(bars.symbol, last[0] if last else None, as_of, max_age_sessions)


def _probability(model: LiveModel, bars: Bars, as_of: datetime) -> float:
    assert model.predictor is not None
    n = bars.count_upto(as_of.date())
    need = model.predictor.bars_needed
    if n < need:
        raise ValueError(f"{bars.symbol} has {n} bars up to {as_of.date()}, the model needs {need}")
    return model.predictor.predict_last(*bars.feature_columns(n - need, n))


Verdict = float | str  # a probability to trade on, or why the symbol HOLDs


def _assess(
    symbols: list[str], as_of: datetime, model: LiveModel, deps: Dependencies, max_bar_age: int
) -> dict[str, Verdict]:
    """Each symbol's probability, or the reason it HOLDs, in the order of the checks: the model,
    its universe, its age, the symbol's bars, their freshness, enough of them to score.

    Bars are read as windows (the model's ``bars_needed`` up to ``as_of``, a ranged read of each
    series' end, in parallel) a chunk at a time, so the memory held follows the chunk, not the
    universe or the length of the history."""
    verdicts: dict[str, Verdict] = {}
    if not model.usable:
        return dict.fromkeys(symbols, f"model unusable: {model.error}")
    assert model.predictor is not None
    version = model.version or NO_MODEL
    too_old = model.age_error(deps.clock.now(), deps.limits.max_model_age_days)
    scorable = []
    for symbol in symbols:
        if weight_for(model.policy, symbol) is None:  # the manifest's universe: what was evaluated
            verdicts[symbol] = f"{symbol} is not in the universe model {version} was evaluated on: {model.universe}"
        elif too_old:
            verdicts[symbol] = too_old
        else:
            scorable.append(symbol)
    for i in range(0, len(scorable), WINDOW_CHUNK):
        chunk = scorable[i : i + WINDOW_CHUNK]
        windows = deps.bars.windows(chunk, as_of.date(), model.predictor.bars_needed)
        for symbol in chunk:
            bars = windows[symbol]
            if isinstance(bars, UnknownSymbolError):
                verdicts[symbol] = bars.message
                continue
            stale = stale_reason(bars, as_of, max_bar_age)
            if stale:
                verdicts[symbol] = stale
                continue
            try:
                verdicts[symbol] = _probability(model, bars, as_of)
            except ValueError as exc:
                verdicts[symbol] = f"cannot score {symbol}: {exc}"
    return verdicts


def _keeps_previous(verdict: Verdict, policy: dict[str, Any], health: ModelHealth | None) -> bool:
    """Whether the previous target decides: a HOLD keeps it, and so does a probability between
    ``exit`` and ``enter`` (tradeloop_common.policy.target_weight); while drift holds entries, every
    target does (an entry is a target above the previous one)."""
    if isinstance(verdict, str) or (health is not None and health.drift.halts_entries):
        return True
    return not (verdict > float(policy["enter"]) or verdict < float(policy["exit"]))


def _signal(
    symbol: str,
    as_of: datetime,
    model: LiveModel,
    verdict: Verdict,
    previous: Decimal,
    deps: Dependencies,
    health: ModelHealth | None = None,
) -> Signal:
    """The row for one symbol: a TARGET, or a HOLD (previous target kept) with the reason."""
    version = model.version or NO_MODEL
    keep = Signal(
        signal_id=signal_id_for(version, symbol, as_of),
        symbol=symbol,
        as_of=as_of,
        target_weight=previous,
        model_version=version,
        created_at=deps.clock.now(),
    )
    if isinstance(verdict, str):
        return keep.model_copy(update={"action": SignalAction.HOLD, "reason": verdict})
    weight = Decimal(str(target_weight(verdict, float(previous), model.policy, symbol)))
    if health is not None and health.drift.halts_entries and weight > previous:
        # The inputs no longer look like training: no new or larger position on this model's word.
        # An exit (or a kept target) still trades: it only reduces what the model put on.
        reason = f"{health.drift.reason}: new entries are held, exits still trade"
        return keep.model_copy(update={"action": SignalAction.HOLD, "reason": reason})
    return keep.model_copy(update={"probability": Decimal(str(verdict)), "target_weight": weight})


def _decide_all(
    symbols: list[str],
    as_of: datetime,
    model: LiveModel,
    deps: Dependencies,
    max_bar_age: int,
    health: ModelHealth | None = None,
) -> list[Signal]:
    """One row per symbol (sorted): the stored row of a rerun, else decided now and written once."""
    stored = deps.signals.get_many(symbols, as_of)  # a rerun of the same decision: keep what was written
    todo = [s for s in symbols if s not in stored]
    verdicts = _assess(todo, as_of, model, deps, max_bar_age)
    # Only a HOLD or an undecided probability needs the previous row: one Query each, not 500.
    wanted = [s for s in todo if _keeps_previous(verdicts[s], model.policy, health)]
    previous = deps.signals.previous_many(wanted, as_of)
    fresh = {
        s: _signal(
            s, as_of, model, verdicts[s], previous[s].target_weight if s in previous else Decimal(0), deps, health
        )
        for s in todo
    }
    written = deps.signals.put_many(list(fresh.values()))
    lost = [s for s, ok in zip(fresh, written, strict=True) if not ok]  # a concurrent run wrote them first
    if lost:
        stored.update(deps.signals.get_many(lost, as_of))
    return [stored.get(s) or fresh[s] for s in symbols]


def run_signals(
    as_of: datetime, symbols: list[str] | None, deps: Dependencies, max_bar_age: int | None = None
) -> RunOutcome:
    """``max_bar_age``: sessions a bar may lag (default TRADELOOP_MAX_BAR_AGE_DAYS); the daily
    pipeline passes 0, so a symbol whose session bar is late HOLDs with the reason."""
    if symbols:
        unknown = sorted(set(symbols) - set(deps.bars.symbols()))
        if unknown:
            raise UnknownSymbolError(
                f"no market data for {', '.join(unknown)}",
                [{"field": "symbols", "fix": "use symbols with daily bars in the data bucket, or ingest them"}],
            )
    model = deps.model_cache.current()
    health = model_health(model, as_of, deps)
    # The universe's one home; settings symbols the model never evaluated are kept, so they HOLD
    # with the reason instead of vanishing.
    universe = traded_universe(model.manifest, deps.limits.symbols)
    wanted = symbols or [*universe.symbols, *universe.outside]
    if not wanted and not model.usable:
        # No live model, so no universe: each symbol with bars gets a HOLD that says why (none can
        # trade without a model), rather than a run that answers nothing.
        wanted = deps.bars.symbols()
    age_limit = deps.limits.max_bar_age_days if max_bar_age is None else max_bar_age
    outcome = RunOutcome(as_of=as_of, model_version=model.version, health=health)
    for signal in _decide_all(sorted(set(wanted)), as_of, model, deps, age_limit, health):
        if signal.action is SignalAction.HOLD:
            logger.warning(
                "signal HOLD", extra={"symbol": signal.symbol, "as_of": as_of.isoformat(), "reason": signal.reason}
            )
        outcome.signals.append(signal)
    # A HOLD is no decision: its symbol stays out of the rebalance, so what is held there is left
    # alone (it is not sold for want of a model or of fresh data).
    targets = {s.symbol: s.target_weight for s in outcome.signals if s.action is SignalAction.TARGET}
    if deps.controls.get(deps.account_id).trading_state is TradingState.HALTED:
        outcome.skipped = "the kill switch is HALTED: no rebalance is sent"
    elif not targets:
        outcome.skipped = "every symbol HOLDs: nothing to rebalance"
    else:
        intent = RebalanceIntent(
            intent_id=intent_id_for(as_of),
            session=deps.calendar.last_completed_session(as_of),
            as_of=as_of,
            targets=targets,
            model_version=model.version or NO_MODEL,
        )
        deps.queue.send(intent)
        outcome.intents.append(intent)
    logger.info(
        "signals run",
        extra={
            "as_of": as_of.isoformat(),
            "model_version": model.version,
            "signals": len(outcome.signals),
            "intents": len(outcome.intents),
            "holds": outcome.holds,
            "skipped": outcome.skipped,
            "drift": health.drift.level.value if health else None,
            "decay": health.decay.status.value if health else None,
        },
    )
    return outcome
