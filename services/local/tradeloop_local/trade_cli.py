"""`tradeloop portfolio | orders | order | signals | controls`: trade from a terminal, through the
HTTP API: the local stack's, or the one `make deploy` made (signed with SigV4)."""

from __future__ import annotations

import argparse
import json
import os
import re
import uuid
from dataclasses import replace
from typing import Any
from urllib.parse import urlparse

from rich.console import Console
from rich.table import Table

from dashboard.client import NO_CREDENTIALS, ApiClient, ApiError
from dashboard.config import DashboardSettings
from tradeloop_local.config import load_config

console = Console()
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


_client: ApiClient | None = None


def configure(api: str | None, sigv4: bool | None) -> ApiClient:
    """The API to talk to: --api, else TRADELOOP_API_URL, else the local stack. Requests are signed
    (SigV4, execute-api, the standard credential chain) for any API that is not on this machine,
    as API Gateway's AWS_IAM authorization requires, or when --sigv4 says so."""
    global _client
    url = (api or os.environ.get("TRADELOOP_API_URL") or load_config().api_url).rstrip("/")
    host = urlparse(url).hostname or ""
    sign = sigv4 if sigv4 is not None else host not in LOOPBACK
    region_in_host = re.search(r"\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$", host)
    region = region_in_host.group(1) if region_in_host else None
    defaults = DashboardSettings.from_env()
    settings = replace(defaults, api_url=url, api_sigv4=sign, aws_region=region or defaults.aws_region, api_timeout=60)
    _client = ApiClient(settings)
    return _client


def _call(method: str, path: str, params: dict[str, Any] | None = None, body: Any = None) -> Any:
    client = _client or configure(None, None)
    try:
        return client.request(method, path, params=params, body=body)
    except ApiError as err:
        if err.code == NO_CREDENTIALS:
            console.print(
                "[red]no AWS credentials or region to sign the request with[/red]: set AWS_PROFILE "
                "(or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) and AWS_REGION"
            )
            raise SystemExit(1) from None
        if err.unreachable:
            console.print(f"[red]the API at {client.base_url} does not answer[/red]: start it with `make up`")
            raise SystemExit(2) from None
        status = f"{err.status} {err.code or ''}".strip() if err.status else "error"
        console.print(f"[red]{status}[/red]: {err.message}")
        if err.hint:
            console.print(f"  {err.hint}")
        for d in err.details:
            console.print(f"  - {d.get('field', '')}: {d.get('fix', d)}")
        raise SystemExit(1) from None


def _money(x: Any) -> str:
    return f"{float(x):,.2f}" if x is not None else "-"


def show_portfolio(_: argparse.Namespace) -> int:
    p = _call("GET", "/portfolio")
    console.print(
        f"[bold]account[/bold] {p['account_id']}  cash {_money(p['cash'])}  equity {_money(p['equity'])}"
        f"  exposure {_money(p['gross_exposure'])} ({float(p['leverage']):.1%})"
        f"  unrealized {_money(p['unrealized_pnl'])}  realized {_money(p['realized_pnl'])}"
    )
    t = Table("symbol", "qty", "avg cost", "last", "value", "unrealized", "realized", "weight")
    for pos in p["positions"]:
        t.add_row(
            pos["symbol"],
            str(pos["quantity"]),
            _money(pos["avg_cost"]),
            _money(pos["last_price"]),
            _money(pos["market_value"]),
            _money(pos["unrealized_pnl"]),
            _money(pos["realized_pnl"]),
            f"{float(pos['weight']):.1%}",
        )
    console.print(t)
    return 0


def _order_row(t: Table, o: dict[str, Any]) -> None:
    fill = o["fills"][0] if o["fills"] else {}
    colour = {"FILLED": "green", "REJECTED": "red"}.get(o["status"], "yellow")
    t.add_row(
        o["created_at"][:19],
        o["symbol"],
        o["side"],
        str(o["quantity"]),
        f"[{colour}]{o['status']}[/{colour}]",
        _money(fill.get("price")),
        _money(fill.get("commission")),
        o.get("reason") or "",
        o["client_order_id"],
    )


def show_orders(args: argparse.Namespace) -> int:
    params = {k: v for k, v in {"symbol": args.symbol, "status": args.status, "limit": args.limit}.items() if v}
    page = _call("GET", "/orders", params=params)
    t = Table("created", "symbol", "side", "qty", "status", "price", "commission", "reason", "client id")
    for o in page["orders"]:
        _order_row(t, o)
    console.print(t)
    return 0


def place(args: argparse.Namespace) -> int:
    body = {
        "client_order_id": args.key or f"cli-{uuid.uuid4().hex[:12]}",
        "symbol": args.symbol.upper(),
        "side": args.side.upper(),
        "quantity": args.quantity,
    }
    o = _call("POST", "/orders", body=body)
    t = Table("created", "symbol", "side", "qty", "status", "price", "commission", "reason", "client id")
    _order_row(t, o)
    console.print(t)
    return 0 if o["status"] == "FILLED" else 3


def signals(args: argparse.Namespace) -> int:
    """`tradeloop signals [--run] [--as-of YYYY-MM-DD]`: the latest signal per symbol, or run the job first."""
    if args.run:
        body = {"as_of": args.as_of} if args.as_of else {}
        report = _call("POST", "/signals/run", body=body)
        rows, note = report["signals"], f"model {report['model_version']}: {len(report['intents'])} intent(s) sent"
    else:
        rows, note = _call("GET", "/signals")["signals"], ""
    t = Table("symbol", "as of", "action", "p(up)", "target", "model", "reason")
    for s in rows:
        p = s.get("probability")
        t.add_row(
            s["symbol"],
            str(s["as_of"])[:19],
            s.get("action", ""),
            f"{float(p):.3f}" if p is not None else "-",
            f"{float(s['target_weight']):.0%}",
            s["model_version"],
            s.get("reason") or "",
        )
    console.print(t)
    if note:
        console.print(note)
    return 0


def controls(args: argparse.Namespace) -> int:
    c = (
        _call("PUT", "/controls", body={"trading_state": args.state, "reason": "cli"})
        if args.state
        else _call("GET", "/controls")
    )
    console.print_json(json.dumps(c))
    return 0


def show_targets(_: argparse.Namespace) -> int:
    """`tradeloop targets`: each symbol's latest target beside the weight held, within the rebalance
    band or not, and why not (a HOLD's reason, a rejected or waiting order). Exit 0 when every
    symbol is at its target within the band or says why it is not."""
    from tradeloop_common.settings import ExecutionEnv

    execution = ExecutionEnv.model_validate(dict(os.environ))
    signals = _call("GET", "/signals")["signals"]
    portfolio = _call("GET", "/portfolio")
    held = {p["symbol"]: float(p["weight"]) for p in portfolio["positions"]}
    recent = _call("GET", "/orders", params={"limit": 200})["orders"]
    t = Table("symbol", "target", "aim (less buffer)", "held", "within band", "why not")
    unexplained = 0
    for s in sorted(signals, key=lambda x: x["symbol"]):
        target = float(s["target_weight"])
        aim = target * (1 - float(execution.cash_buffer))
        weight = held.get(s["symbol"], 0.0)
        ok = abs(weight - aim) <= float(execution.rebalance_band) or (target == 0 and weight == 0)
        why = ""
        if not ok:
            last = next((o for o in recent if o["symbol"] == s["symbol"] and o["source"] == "signal"), None)
            if s.get("action") == "HOLD":
                why = f"HOLD: {s.get('reason')}"
            elif last and last["status"] in ("PENDING", "REJECTED", "CANCELLED", "EXPIRED"):
                why = f"{last['status']} {last.get('session') or ''}: {last.get('reason') or 'waits for the open'}"
            else:
                unexplained += 1
        t.add_row(
            s["symbol"],
            f"{target:.1%}",
            f"{aim:.1%}",
            f"{weight:.1%}",
            "[green]yes[/green]" if ok else "[red]no[/red]",
            why,
        )
    console.print(t)
    verdict = "every symbol is at its target or says why" if not unexplained else f"{unexplained} off, unexplained"
    band, buffer = float(execution.rebalance_band), float(execution.cash_buffer)
    console.print(f"band {band:.1%} of equity, cash buffer {buffer:.0%}: {verdict}")
    return 0 if not unexplained else 4


def cmd_demo_script(_: argparse.Namespace) -> int:
    """The scripted part of `make demo`: one manual order through the API (small: the replay left
    the book invested and its buying power held for the next open), then the portfolio."""
    before = _call("GET", "/portfolio")
    key = "demo-buy-msft-5"
    order = _call("POST", "/orders", body={"client_order_id": key, "symbol": "MSFT", "side": "BUY", "quantity": 5})
    after = _call("GET", "/portfolio")
    how = order.get("price_source") or order.get("reason") or ""
    console.print(
        f"demo order {order['order_id']} {order['status']} ({how}): cash {_money(before['cash'])} -> "
        f"{_money(after['cash'])}, buying power {_money(after.get('buying_power'))}"
    )
    show_portfolio(_)
    return 0


def add_trade_commands(sub: Any) -> None:
    """Register the trading commands on ``tradeloop``'s subparsers (each takes --api/--sigv4)."""
    api = argparse.ArgumentParser(add_help=False)
    api.add_argument("--api", help="API base URL (default: $TRADELOOP_API_URL, else the local stack)")
    api.add_argument(
        "--sigv4",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="sign requests with SigV4 (default: for any API not on this machine)",
    )
    sub.add_parser("demo-script", parents=[api], help="place the demo order and show the portfolio").set_defaults(
        fn=cmd_demo_script
    )
    sub.add_parser("portfolio", parents=[api], help="cash, equity, positions").set_defaults(fn=show_portfolio)
    sub.add_parser(
        "targets", parents=[api], help="each symbol's target beside what is held, within the band or why not"
    ).set_defaults(fn=show_targets)
    p = sub.add_parser("orders", parents=[api], help="the order blotter, newest first")
    p.add_argument("--symbol")
    p.add_argument("--status", choices=["PENDING", "FILLED", "REJECTED"])
    p.add_argument("--limit", type=int, default=20)
    p.set_defaults(fn=show_orders)
    p = sub.add_parser("order", parents=[api], help="place a market order, e.g. `tradeloop order buy AAPL 10`")
    p.add_argument("side", choices=["buy", "sell", "BUY", "SELL"])
    p.add_argument("symbol")
    p.add_argument("quantity", type=int)
    p.add_argument("--key", help="client_order_id (idempotency key); random if omitted")
    p.set_defaults(fn=place)
    p = sub.add_parser("signals", parents=[api], help="the latest signal per symbol; --run runs the signal job first")
    p.add_argument("--run", action="store_true", help="POST /signals/run (as the schedule would)")
    p.add_argument("--as-of", help="decision time for --run, YYYY-MM-DD (default: now)")
    p.set_defaults(fn=signals)
    p = sub.add_parser("controls", parents=[api], help="show, or --state to set, the kill switch")
    p.add_argument("--state", choices=["ACTIVE", "REDUCE_ONLY", "HALTED"])
    p.set_defaults(fn=controls)
