"""`tradeloop`: run the local stack (up, down, status, replay, ...): the commands here; trading from a
terminal (portfolio, orders, order, signals, controls) is trade_cli's, registered on the same parser."""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

from rich.console import Console

from tradeloop_local.config import load_config
from tradeloop_local.trade_cli import add_trade_commands, configure

console = Console()


def _delegate(module: str, function: str, takes_argv: bool = True) -> Callable[[list[str]], Any]:
    """A subcommand served by another module's own parser, imported only when it runs."""
    return lambda argv: getattr(importlib.import_module(module), function)(*([argv] if takes_argv else []))


DELEGATED = {
    "emulator": _delegate("tradeloop_local.emulator", "main"),
    "fake-alpaca": _delegate("tradeloop_local.fake_alpaca", "main"),
    "serve": _delegate("tradeloop_local.stackctl", "serve", takes_argv=False),
    "replay": _delegate("tradeloop_local.replay", "main"),
    "pipeline": _delegate("tradeloop_local.pipeline", "main"),
    "openapi": _delegate("tradeloop_local.openapi", "main"),
}


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
    console.print(f"stopped {n} process group(s); the state is kept" if n else "nothing was running")
    return 0


def cmd_reset(args: argparse.Namespace) -> int:
    """Delete the local stack's state, after saying what it holds (and asking, on a terminal)."""
    from tradeloop_local import stackctl

    def confirm(question: str) -> bool:
        if args.yes:
            return True
        if not sys.stdin.isatty():
            console.print("not deleted: no terminal to confirm on; run `make reset YES=1` to delete without asking")
            return False
        return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")

    try:
        return 0 if stackctl.reset(confirm=confirm, log=print) else 1
    except stackctl.StackError as exc:
        console.print(f"[red]{exc}[/red]")
        return 1


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
    pids = stackctl.read_pids(cfg)
    for name, state in stackctl.status(cfg).items():
        console.print(f"{name:10s} {state:12s} {'pid ' + str(pids[name]) if name in pids else ''}")
    return 0


def cmd_env(_: argparse.Namespace) -> int:
    """Shell exports that point boto3 (and `make train-and-publish`) at the running local stack."""
    from tradeloop_local.config import admin_aws_env
    from tradeloop_local.embedded import read_stack

    info = read_stack(load_config())
    for key, value in {**admin_aws_env(info.endpoint_url), **info.environment}.items():
        print(f"export {key}={value}")
    return 0


def cmd_target(_: argparse.Namespace) -> int:
    """Where `make train-and-publish` (and the other ml targets) send their AWS calls: exports for
    the running local stack, nothing when the environment names a target itself, else exit 2."""
    import boto3

    from tradeloop_local.embedded import read_stack, stack_running

    if any(os.environ.get(k) for k in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_ACCESS_KEY_ID")):
        return 0  # the caller chose (an endpoint, a profile or keys): leave it alone
    cfg = load_config()
    if stack_running(cfg):
        print(f"# the running local stack at {read_stack(cfg).endpoint_url}", file=sys.stderr)
        return cmd_env(_)
    if boto3.session.Session().get_credentials() is not None:
        return 0  # the default AWS credential chain (e.g. ~/.aws, SSO): real AWS
    print(
        "no target: no local stack is running (start one: make up) and no AWS credentials are set "
        "(to publish to AWS: AWS_PROFILE=... AWS_REGION=... plus TRADELOOP_DATA_BUCKET/TRADELOOP_MODELS_BUCKET "
        "from `make aws-outputs`)",
        file=sys.stderr,
    )
    return 2


def cmd_bootstrap(args: argparse.Namespace) -> int:
    """Create the resources in an already running emulator (LocalStack in docker-compose) and seed."""
    from tradeloop_local.embedded import provision_and_seed

    info = provision_and_seed(args.endpoint, load_config())
    console.print(f"created and seeded {len(info.environment)} resources at {args.endpoint} ({info.provisioned_by})")
    return 0


def cmd_terraform(args: argparse.Namespace) -> int:
    """terraform apply/destroy of envs/local against the running emulator (`make local-apply`)."""
    from tradeloop_local import tfstack
    from tradeloop_local.embedded import read_stack

    cfg = load_config()
    endpoint = args.endpoint or (read_stack(cfg).endpoint_url if cfg.stack_file.exists() else cfg.emulator_url)
    try:
        stack = tfstack.TerraformStack.find(cfg, need_mirror=False)
        started = time.monotonic()
        if args.action == "apply":
            info = stack.apply(endpoint, compute=args.compute, fast=not args.lifecycle)
            console.print_json(info.to_json())
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
    provision: dict[str, Any] = {
        "choices": ["auto", "terraform", "python"],
        "help": "create the resources with terraform apply of envs/local, or the Python bootstrap "
        "(default: $TRADELOOP_PROVISION, else auto = terraform when it and the provider mirror are found)",
    }
    p = sub.add_parser("up", help="start emulator, API and dashboard in the background")
    p.add_argument("--no-dashboard", action="store_true")
    p.add_argument("--provision", **provision)
    p.set_defaults(fn=cmd_up)
    sub.add_parser("down", help="stop what `up` started (the state is kept)").set_defaults(fn=cmd_down)
    p = sub.add_parser("reset", help="delete the local stack's state, saying what it holds first")
    p.add_argument("--yes", action="store_true", help="do not ask")
    p.set_defaults(fn=cmd_reset)
    p = sub.add_parser("run", help="like up, in the foreground; Ctrl-C stops everything")
    p.add_argument("--no-dashboard", action="store_true")
    p.add_argument("--provision", **provision)
    p.set_defaults(fn=cmd_run)
    sub.add_parser("status", help="each local component: up, unresponsive, dead or absent").set_defaults(fn=cmd_status)
    sub.add_parser("emulator", help="serve the AWS emulator (moto) in the foreground").set_defaults(fn=None)
    sub.add_parser("serve", help="serve the runtime for the stack file in the foreground").set_defaults(fn=None)
    sub.add_parser(
        "fake-alpaca", help="serve a local fake of Alpaca's trading API in the foreground (--port, --cash)"
    ).set_defaults(fn=None)
    sub.add_parser("openapi", help="write or --check the merged OpenAPI document").set_defaults(fn=None)
    sub.add_parser("replay", help="drive the live loop day by day: --start YYYY-MM-DD --end YYYY-MM-DD").set_defaults(
        fn=None
    )
    sub.add_parser(
        "pipeline", help="run the daily pipeline (ingest -> fill -> signal -> intents): --session YYYY-MM-DD"
    ).set_defaults(fn=None)
    sub.add_parser("env", help="print exports pointing AWS clients at the local stack").set_defaults(fn=cmd_env)
    sub.add_parser(
        "target", help="exports for the running local stack unless AWS is configured; exit 2 when neither"
    ).set_defaults(fn=cmd_target)
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
    add_trade_commands(sub)

    raw = sys.argv[1:] if argv is None else argv
    # Subcommands that own their own argument parsing.
    if raw and raw[0] in DELEGATED:
        return int(DELEGATED[raw[0]](raw[1:]) or 0)
    args = parser.parse_args(raw)
    if hasattr(args, "api"):
        configure(args.api, args.sigv4)
    return int(args.fn(args))
