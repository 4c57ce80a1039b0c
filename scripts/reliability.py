"""`make reliability`: the reliability harness (tradeloop_local.reliability) on a scratch embedded stack.

Starts its own stack (free ports, a state directory under .tradeloop/reliability/, provisioned the way
`make up` provisions: Terraform with IAM enforced per function role when it can run), drives at least
1,000 order intents and 100 POST /orders tickets through it while the emulator injects DynamoDB, S3 and
SQS throttling, 5xx and lost answers and the Lambda workers, the runtime and the emulator are killed
and restarted, fuzzes the served OpenAPI document, reconciles the ledger, prints one table, stops the
stack and deletes its scratch state (--keep keeps it). Exit 1 when any figure is not what it must be.
Your own stack (`make up`) is never touched."""

from __future__ import annotations

import argparse
import shutil
import sys
import time

from tradeloop_local import stackctl
from tradeloop_local.config import REPO_ROOT, LocalConfig
from tradeloop_local.embedded import free_port
from tradeloop_local.reliability import KILL_KINDS, Harness, Plan, harness_runtime_env


def main(argv: list[str] | None = None) -> int:
    defaults = Plan()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--intents", type=int, default=defaults.intents)
    parser.add_argument("--tickets", type=int, default=defaults.tickets)
    parser.add_argument("--throttle", type=float, default=defaults.throttle, help="share of requests throttled")
    parser.add_argument("--error", type=float, default=defaults.error, help="share answered 500")
    parser.add_argument("--timeout", type=float, default=defaults.timeout, help="share applied, answer lost")
    parser.add_argument(
        "--kills", default=",".join(defaults.kills), help=f"comma-separated, spread over the run: {KILL_KINDS}"
    )
    parser.add_argument("--fuzz-examples", type=int, default=defaults.fuzz_examples, help="per operation and mode")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--keep", action="store_true", help="keep the scratch stack's state directory")
    args = parser.parse_args(argv)
    kills = tuple(k for k in args.kills.split(",") if k)
    if any(k not in KILL_KINDS for k in kills):
        parser.error(f"--kills: choose among {KILL_KINDS}")
    plan = Plan(
        intents=args.intents,
        tickets=args.tickets,
        throttle=args.throttle,
        error=args.error,
        timeout=args.timeout,
        kills=kills,
        fuzz_examples=args.fuzz_examples,
        seed=args.seed,
    )
    state_dir = REPO_ROOT / ".tradeloop" / "reliability" / time.strftime("%Y%m%d-%H%M%S")
    cfg = LocalConfig("127.0.0.1", free_port(), free_port(), free_port(), state_dir)
    print(f"reliability: scratch stack in {state_dir} (API {cfg.api_url}, emulator {cfg.emulator_url})", flush=True)
    account = "reliability"  # the harness's own account (the stack's runtime trades it)
    try:
        stackctl.up(
            cfg, with_dashboard=False, log=lambda m: print(m, flush=True), runtime_env=harness_runtime_env(account)
        )
        harness = Harness(cfg, plan, account_id=account, log=lambda m: print(m, flush=True))
        if not harness.info.iam_enforced:
            print("NOTE: the stack has no roles (Python bootstrap): faults hit every client, IAM is not enforced")
        figures = harness.run()
    finally:
        stackctl.down(cfg, log=lambda _m: None)
        if not args.keep:
            shutil.rmtree(state_dir, ignore_errors=True)
    print()
    print(figures.table())
    print(f"\n{figures.orders} orders, {figures.fills} fills, {figures.seconds:.0f}s")
    for line in figures.problems()[:40]:
        print(f"  {line}")
    return 0 if figures.ok else 1


if __name__ == "__main__":
    sys.exit(main())
