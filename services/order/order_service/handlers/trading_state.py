"""The kill switch as a metric: ``TradingHalted`` is 1 while trading is HALTED, else 0.

terraform/modules/observability alarms on it (namespace = the stack name, dimension
service=order); tests/iac checks every custom-metric alarm watches a metric the code emits."""

from aws_lambda_powertools.metrics import MetricUnit

from tradeloop_common.models import Controls
from tradeloop_common.models.controls import TradingState
from tradeloop_common.observability import metrics

TRADING_HALTED = "TradingHalted"


def emit_trading_state(controls: Controls) -> None:
    metrics.add_metric(
        name=TRADING_HALTED, unit=MetricUnit.Count, value=1 if controls.trading_state is TradingState.HALTED else 0
    )
