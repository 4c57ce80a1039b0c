"""What every signal run answers (the API, the schedule and the pipeline step alike), and the metrics
each emits: ``SignalHolds``, and the live model's health for the alarms of terraform/modules/stack
(``feature-drift`` on ``FeatureDriftLevel`` >= 1, ``model-decay`` on ``ModelDecay`` >= 1; namespace
= the stack's name, dimension service=signal)."""

from aws_lambda_powertools.metrics import MetricUnit

from signal_service.logic.run_signals import RunOutcome
from signal_service.models.output import RunReport
from tradeloop_common.models.health import DecayVerdict, DriftLevel, ModelHealth
from tradeloop_common.observability import metrics

FEATURE_DRIFT_LEVEL = "FeatureDriftLevel"
MODEL_DECAY = "ModelDecay"
# 0 stable, 1 warn, 2 halt: one metric, so the alarm's threshold (>= 1) needs no copy of the PSI levels.
DRIFT_CODES = {DriftLevel.OK: 0, DriftLevel.WARN: 1, DriftLevel.HALT: 2}


def emit_health(health: ModelHealth | None) -> None:
    """Only verdicts are emitted: no reference, too few rows or a window still filling say nothing."""
    if health is None:
        return
    if health.drift.level in DRIFT_CODES:
        metrics.add_metric(name=FEATURE_DRIFT_LEVEL, unit=MetricUnit.Count, value=DRIFT_CODES[health.drift.level])
    if health.decay.status in (DecayVerdict.OK, DecayVerdict.DECAYED):
        metrics.add_metric(
            name=MODEL_DECAY, unit=MetricUnit.Count, value=1 if health.decay.status is DecayVerdict.DECAYED else 0
        )


def report_of(outcome: RunOutcome) -> RunReport:
    if outcome.holds:
        metrics.add_metric(name="SignalHolds", unit=MetricUnit.Count, value=outcome.holds)
    emit_health(outcome.health)
    return RunReport(
        as_of=outcome.as_of,
        model_version=outcome.model_version,
        signals=outcome.signals,
        intents=outcome.intents,
        holds=outcome.holds,
        skipped=outcome.skipped,
        health=outcome.health,
    )
