"""`tradeloop`: run the local stack, and trade from a terminal."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
import uuid
from typing import Any

import requests
from rich.console import Console
from rich.table import Table

from tradeloop_local.config import load_config

console = Console()


def _api() -> str:
    return os.environ.get("TRADELOOP_API_URL", load_config().api_url).rstrip("/")


def _call(method: str, path: str, **kw: Any) -> Any:
    try:
        r = requests.request(method, f"{_api()}{path}", timeout=60, **kw)
    except requests.ConnectionError:
        console.print(f"[red]the API at {_api()} does not answer[/red]: start it with `make up`")
        raise SystemExit(2) from None
    body = r.json() if r.headers.get("content-type", "").startswith("application/json") else {"raw": r.text}
    if r.status_code >= 400:
        err = body.get("error", {})
        console.print(f"[red]{r.status_code} {err.get('code', '')}[/red]: {err.get('message', r.text)}")
        for d in err.get("details", []):
            console.print(f"  - {d.get('field', '')}: {d.get('fix', d)}")
        raise SystemExit(1)
    return body


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
    o = _call("POST", "/orders", json=body)
    t = Table("created", "symbol", "side", "qty", "status", "price", "commission", "reason", "client id")
    _order_row(t, o)
    console.print(t)
    return 0 if o["status"] == "FILLED" else 3


def signals(args: argparse.Namespace) -> int:
    """`tradeloop signals [--run] [--as-of YYYY-MM-DD]`: the latest signal per symbol, or run the job first."""
    if args.run:
        body = {"as_of": args.as_of} if args.as_of else {}
        report = _call("POST", "/signals/run", json=body)
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
        _call("PUT", "/controls", json={"trading_state": args.state, "reason": "cli"})
        if args.state
        else _call("GET", "/controls")
    )
    console.print_json(json.dumps(c))
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    from tradeloop_local import stackctl, tfstack

    if args.provision:
        os.environ[tfstack.PROVISION_ENV] = args.provision
    try:
        found = stackctl.up(with_dashboard=not args.no_dashboard)
    except (stackctl.StackError, tfstack.TerraformFailed, tfstack.TerraformUnavailable) as exc:
        console.print(f"[red]{exc}[/red]")
        return 1
    for name, url in found.items():
        console.print(f"{name:10s} {url}")
    return 0


def cmd_down(_: argparse.Namespace) -> int:
    from tradeloop_local import stackctl

    n = stackctl.down()
    console.print(f"stopped {n} process group(s)" if n else "nothing was running")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Foreground: up, then wait; Ctrl-C (or SIGTERM) stops everything that was started."""
    from tradeloop_local import stackctl

    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        if cmd_up(args):
            return 1
        console.print("running; Ctrl-C stops everything")
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        stackctl.down()
    return 0


def cmd_status(_: argparse.Namespace) -> int:
    from tradeloop_local import stackctl

    cfg = load_config()
    for name, pid in stackctl.read_pids(cfg).items():
        console.print(f"{name:10s} pid {pid} {'up' if stackctl._alive(pid) else 'DEAD'}")
    return 0


def cmd_demo_script(_: argparse.Namespace) -> int:
    """The scripted part of `make demo`: one order through the API, then the portfolio."""
    before = _call("GET", "/portfolio")
    key = "demo-buy-aapl-10"
    order = _call("POST", "/orders", json={"client_order_id": key, "symbol": "AAPL", "side": "BUY", "quantity": 10})
    after = _call("GET", "/portfolio")
    console.print(
        f"demo order {order['order_id']} {order['status']}: cash {_money(before['cash'])} -> {_money(after['cash'])}"
    )
    show_portfolio(_)
    return 0


def cmd_env(_: argparse.Namespace) -> int:
    """Shell exports that point boto3 (and `make train-and-publish`) at the running local stack."""
    from tradeloop_local import stackctl
    from tradeloop_local.config import dummy_aws_env

    stack = stackctl.read_stack(load_config())
    for key, value in {**dummy_aws_env(stack["endpoint_url"]), **stack["environment"]}.items():
        print(f"export {key}={value}")
    return 0


def cmd_bootstrap(args: argparse.Namespace) -> int:
    """Create the resources in an already running emulator (LocalStack in docker-compose) and seed."""
    from tradeloop_local import stackctl

    stack = stackctl.bootstrap(args.endpoint, load_config())
    console.print(f"created and seeded {len(stack)} resources at {args.endpoint}")
    return 0


def cmd_terraform(args: argparse.Namespace) -> int:
    """terraform apply/destroy of envs/local against the running emulator (`make local-apply`)."""
    from tradeloop_local import stackctl, tfstack

    cfg = load_config()
    endpoint = args.endpoint or (
        stackctl.read_stack(cfg)["endpoint_url"] if cfg.stack_file.exists() else cfg.emulator_url
    )
    try:
        stack = tfstack.TerraformStack.find(cfg, need_mirror=False)
        started = time.monotonic()
        if args.action == "apply":
            env = stack.apply(endpoint, compute=args.compute, fast=not args.lifecycle)
            console.print_json(json.dumps(env))
        else:
            stack.destroy(endpoint)
    except (tfstack.TerraformFailed, tfstack.TerraformUnavailable) as exc:
        console.print(f"[red]{exc}[/red]")
        if "already exists" in str(exc) or "AlreadyExists" in str(exc):
            console.print(
                "the emulator already holds these resources from the Python bootstrap: restart it with "
                "`make down && TRADELOOP_PROVISION=terraform make up`"
            )
        return 1
    console.print(f"terraform {args.action} of envs/local at {endpoint}: {time.monotonic() - started:.1f}s")
    console.print(f"state: {stack.root / 'terraform.tfstate'}")
    return 0


def cmd_urls(_: argparse.Namespace) -> int:
    from tradeloop_local import stackctl

    found = stackctl.urls(load_config())
    for name, url in found.items():
        if name != "dashboard":
            print(f"{name:10s} {url}")
    if "dashboard" in found:
        print(f"dashboard  {found['dashboard']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tradeloop", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    provision = {
        "choices": ["auto", "terraform", "python"],
        "help": "create the resources with terraform apply of envs/local, or the Python bootstrap "
        "(default: $TRADELOOP_PROVISION, else auto = terraform when it and the provider mirror are found)",
    }
    p = sub.add_parser("up", help="start emulator, API and dashboard in the background")
    p.add_argument("--no-dashboard", action="store_true")
    p.add_argument("--provision", **provision)
    p.set_defaults(fn=cmd_up)
    sub.add_parser("down", help="stop what `up` started").set_defaults(fn=cmd_down)
    p = sub.add_parser("run", help="like up, in the foreground; Ctrl-C stops everything")
    p.add_argument("--no-dashboard", action="store_true")
    p.add_argument("--provision", **provision)
    p.set_defaults(fn=cmd_run)
    sub.add_parser("status", help="which local processes are up").set_defaults(fn=cmd_status)
    sub.add_parser("emulator", help="serve the AWS emulator (moto) in the foreground").set_defaults(fn=None)
    sub.add_parser("serve", help="serve the runtime for the stack file in the foreground").set_defaults(fn=None)
    sub.add_parser("openapi", help="write or --check the merged OpenAPI document").set_defaults(fn=None)
    sub.add_parser("replay", help="drive the live loop day by day: --start YYYY-MM-DD --end YYYY-MM-DD").set_defaults(
        fn=None
    )
    sub.add_parser("env", help="print exports pointing AWS clients at the local stack").set_defaults(fn=cmd_env)
    p = sub.add_parser("bootstrap", help="create the stack in a running emulator and seed it")
    p.add_argument("--endpoint", default=os.environ.get("AWS_ENDPOINT_URL", load_config().emulator_url))
    p.set_defaults(fn=cmd_bootstrap)
    p = sub.add_parser("terraform", help="terraform apply/destroy of envs/local against the running emulator")
    p.add_argument("action", choices=["apply", "destroy"])
    p.add_argument("--endpoint", help="emulator URL (default: the stack file's, else TRADELOOP_EMULATOR_PORT)")
    p.add_argument("--compute", action="store_true", help="also the Lambda functions and HTTP API (make package)")
    p.add_argument("--lifecycle", action="store_true", help="also the bucket lifecycle rules (about 55 s more)")
    p.set_defaults(fn=cmd_terraform)
    sub.add_parser("urls", help="print the local URLs (dashboard last)").set_defaults(fn=cmd_urls)
    sub.add_parser("demo-script", help="place the demo order and show the portfolio").set_defaults(fn=cmd_demo_script)
    sub.add_parser("portfolio", help="cash, equity, positions").set_defaults(fn=show_portfolio)
    p = sub.add_parser("orders", help="the order blotter, newest first")
    p.add_argument("--symbol")
    p.add_argument("--status", choices=["PENDING", "FILLED", "REJECTED"])
    p.add_argument("--limit", type=int, default=20)
    p.set_defaults(fn=show_orders)
    p = sub.add_parser("order", help="place a market order, e.g. `tradeloop order buy AAPL 10`")
    p.add_argument("side", choices=["buy", "sell", "BUY", "SELL"])
    p.add_argument("symbol")
    p.add_argument("quantity", type=int)
    p.add_argument("--key", help="client_order_id (idempotency key); random if omitted")
    p.set_defaults(fn=place)
    p = sub.add_parser("signals", help="the latest signal per symbol; --run runs the signal job first")
    p.add_argument("--run", action="store_true", help="POST /signals/run (as the schedule would)")
    p.add_argument("--as-of", help="decision time for --run, YYYY-MM-DD (default: now)")
    p.set_defaults(fn=signals)
    p = sub.add_parser("controls", help="show, or --state to set, the kill switch")
    p.add_argument("--state", choices=["ACTIVE", "REDUCE_ONLY", "HALTED"])
    p.set_defaults(fn=controls)

    raw = sys.argv[1:] if argv is None else argv
    # Subcommands that own their own argument parsing.
    if raw and raw[0] == "emulator":
        from tradeloop_local.emulator import main as emulator_main

        emulator_main(raw[1:])
        return 0
    if raw and raw[0] == "serve":
        from tradeloop_local.stackctl import serve

        serve()
        return 0
    if raw and raw[0] == "replay":
        from tradeloop_local.replay import main as replay_main

        return replay_main(raw[1:])
    if raw and raw[0] == "openapi":
        from tradeloop_local.openapi import main as openapi_main

        return openapi_main(raw[1:])
    args = parser.parse_args(raw)
    return int(args.fn(args))
