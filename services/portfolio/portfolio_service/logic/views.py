"""Read models of the account: the marked portfolio, one position, the equity history, health."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from botocore.exceptions import ClientError

from portfolio_service.logic.context import Dependencies
from portfolio_service.models.output import Benchmark, BenchmarkPoint, Health, History
from tradeloop_common.dal.bars import BarsRepository
from tradeloop_common.errors import NotFoundError, StoreError, UnknownSymbolError, UnprocessableError
from tradeloop_common.models import Portfolio, PositionView, Snapshot
from tradeloop_common.valuation import portfolio_at, snapshot_of


def current_portfolio(deps: Dependencies, as_of: datetime | None = None) -> Portfolio:
    return portfolio_at(deps.store, deps.bars, deps.account_id, as_of or deps.clock.now())


def one_position(symbol: str, deps: Dependencies) -> PositionView:
    portfolio = current_portfolio(deps)
    for view in portfolio.positions:
        if view.symbol == symbol:
            return view
    raise NotFoundError(f"no position in {symbol}", [{"field": "symbol", "fix": "see GET /portfolio for held symbols"}])


def history(start: datetime | None, end: datetime | None, limit: int, deps: Dependencies) -> History:
    if start and end and start > end:
        raise UnprocessableError("'from' is after 'to'", [{"field": "from", "fix": "pass from <= to"}])
    snapshots = deps.snapshots.query(deps.account_id, start, end, limit)
    return History(account_id=deps.account_id, snapshots=snapshots, benchmark=buy_and_hold(snapshots, deps.bars))


def buy_and_hold(snapshots: list[Snapshot], repo: BarsRepository) -> Benchmark | None:
    """Equal weights of every symbol with data, bought at the close on or before the first snapshot
    with its equity and held: what the account would be worth had it traded nothing else."""
    if len(snapshots) < 2:
        return None
    # From the first snapshot on only (a window of each series, read in parallel): the history
    # before it is never looked at, whatever its length.
    found = repo.windows(repo.symbols(), snapshots[0].as_of.date(), 1)
    series = {symbol: bars for symbol, bars in found.items() if not isinstance(bars, UnknownSymbolError)}
    start = {s: c[1] for s, b in series.items() if (c := b.last_close(snapshots[0].as_of)) is not None}
    if not start:
        return None
    share = snapshots[0].equity / len(start)
    points = []
    for snap in snapshots:
        value = Decimal(0)
        for symbol, price0 in start.items():
            last = series[symbol].last_close(snap.as_of)
            value += share * (last[1] if last else price0) / price0
        points.append(BenchmarkPoint(as_of=snap.as_of, equity=value.quantize(Decimal("0.01"))))
    return Benchmark(symbols=sorted(start), points=points)


def take_snapshot(as_of: datetime | None, deps: Dependencies) -> Snapshot:
    snapshot = snapshot_of(current_portfolio(deps, as_of))
    deps.snapshots.put(snapshot)
    return snapshot


def _failure(exc: StoreError) -> str:
    """What went wrong, by the AWS error code when there is one (AccessDenied must not hide): the
    data layer raises a StoreError from the ClientError, its cause."""
    cause = exc.__cause__
    if isinstance(cause, ClientError):
        error = cause.response.get("Error", {})
        return f"error: {error.get('Code', 'ClientError')}: {error.get('Message', '')}".rstrip(": ")
    return f"error: {type(exc).__name__}"


def health(deps: Dependencies) -> Health:
    checks: dict[str, str] = {}
    try:
        cash = deps.store.get_cash(deps.account_id)
        checks["accounts_table"] = (
            "ok" if cash is not None else "no paper account: set initial_cash and apply (make up opens one)"
        )
    except StoreError as exc:  # health reports, it does not fail
        checks["accounts_table"] = _failure(exc)
    try:
        model_version = deps.live_model_version()
        checks["model"] = "ok" if model_version else "no model published yet (run: make train-and-publish)"
    except StoreError as exc:
        model_version = None
        checks["model"] = _failure(exc)
    status = "ok" if checks.get("accounts_table") == "ok" else "degraded"
    return Health(
        status=status,
        service="portfolio",
        code_version=deps.code_version,
        model_version=model_version,
        account_id=deps.account_id,
        checks=checks,
    )
