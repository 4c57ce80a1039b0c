"""The latest quality report, as stored beside the data."""

from __future__ import annotations

from marketdata_service.logic.dependencies import Dependencies
from marketdata_service.models.output import QualityReport
from tradeloop_common.errors import NotFoundError


def latest_quality(deps: Dependencies, symbol: str | None = None) -> QualityReport:
    report = QualityReport.model_validate(deps.quality.latest())
    if symbol is None:
        return report
    kept = [s for s in report.symbols if s.symbol == symbol]
    if not kept:
        raise NotFoundError(
            f"the latest report has no {symbol}",
            [{"field": "symbol", "fix": f"one of {', '.join(s.symbol for s in report.symbols) or 'none'}"}],
        )
    return report.model_copy(update={"symbols": kept})
