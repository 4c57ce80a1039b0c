"""`make deploy`, `make destroy`, `make aws-outputs`: terraform/envs/aws, in AWS or in an emulator.

AWS (the default): a preflight first (credentials, a tfvars file, a backend file, and no
AWS_ENDPOINT_URL pointing at an emulator); the state lives in your S3 backend, Terraform's
working files in .tradeloop/terraform/aws (a copy of terraform/: nothing lands in the source
tree).

``--emulator URL``: the same root with an override file (the emulator's endpoints, local state
in .tradeloop/terraform/aws-emulator), applied as the emulator's administrator. This is how the
infrastructure tests deploy, re-plan and destroy the AWS root itself.

destroy empties the stack's buckets first: they are versioned, and S3 deletes no bucket that
holds an object version or a delete marker. It lists what it deletes, per bucket, and asks
(unless --auto-approve). It needs no Lambda packages: a clean clone can destroy.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
EXIT_REFUSED = 2


def _say(line: str) -> None:
    print(line, flush=True)


def preflight(tfvars: Path, backend: Path) -> str | None:
    """Why AWS must not be touched yet, or None."""
    import boto3

    if not tfvars.exists():
        return (
            f"refusing: {tfvars} not found.\n"
            f"  cp terraform/envs/aws/terraform.tfvars.example {tfvars} and edit it (or AWS_TFVARS=path)"
        )
    if not backend.exists():
        return (
            f"refusing: {backend} not found (remote state settings).\n"
            f"  cp terraform/envs/aws/backend.hcl.example {backend} and edit it (or AWS_BACKEND=path)"
        )
    if os.environ.get("AWS_ENDPOINT_URL"):
        return f"refusing: AWS_ENDPOINT_URL={os.environ['AWS_ENDPOINT_URL']} is set (an emulator, not AWS); unset it"
    session = boto3.session.Session()
    if session.get_credentials() is None:
        return "refusing: no AWS credentials (set AWS_PROFILE, or run aws configure / aws sso login)"
    identity = session.client("sts", region_name=session.region_name or "us-east-1").get_caller_identity()
    _say(f"AWS account {identity['Account']} as {identity['Arn']}; region: {session.region_name or 'from the tfvars'}")
    return None


def _stack(args: argparse.Namespace) -> Any:
    from tradeloop_local.config import load_config
    from tradeloop_local.tfstack import TerraformStack, emulator_override

    cfg = load_config()
    if args.emulator:
        stack = TerraformStack.find(cfg, root_name="aws", workdir=cfg.state_dir / "terraform" / "aws-emulator")
        stack.sync()
        (stack.root / "emulator_override.tf").write_text(emulator_override(args.emulator))
        stack.run(["init", "-input=false", "-no-color"])
    else:
        stack = TerraformStack.find(cfg, need_mirror=False, root_name="aws", emulator=False)
        stack.sync()
        stack.run(["init", "-input=false", "-no-color", f"-backend-config={args.backend.resolve()}"])
    return stack


def _variables(args: argparse.Namespace) -> list[str]:
    out = [f"-var=package_dir={args.package_dir.resolve()}"]
    if args.tfvars and args.tfvars.exists():
        out.append(f"-var-file={args.tfvars.resolve()}")
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if region and not args.emulator:
        out.append(f"-var=region={region}")
    return out + [f"-var={v}" for v in args.var]


def _s3(args: argparse.Namespace) -> Any:
    import boto3

    from tradeloop_local.config import admin_aws_env

    if args.emulator:
        env = admin_aws_env(args.emulator)
        return boto3.client(
            "s3",
            endpoint_url=args.emulator,
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            region_name=env["AWS_REGION"],
        )
    return boto3.client("s3")


def _outputs(stack: Any) -> dict[str, Any]:
    proc = stack.run(["output", "-json", "-no-color"], check=False)
    if proc.returncode != 0:
        return {}
    return {k: v["value"] for k, v in json.loads(proc.stdout or "{}").items()}


def empty_buckets(s3: Any, buckets: list[str], auto_approve: bool) -> bool:
    """Delete every object version and delete marker of the buckets; False if the user said no."""
    plan: dict[str, list[dict[str, str]]] = {}
    for bucket in buckets:
        try:
            pages = list(s3.get_paginator("list_object_versions").paginate(Bucket=bucket))
        except s3.exceptions.NoSuchBucket:
            continue
        versions = [v for p in pages for v in p.get("Versions", [])]
        markers = [m for p in pages for m in p.get("DeleteMarkers", [])]
        current = sum(1 for v in versions if v.get("IsLatest"))
        _say(f"s3://{bucket}: {len(versions)} object version(s) ({current} current), {len(markers)} delete marker(s)")
        plan[bucket] = [{"Key": o["Key"], "VersionId": o["VersionId"]} for o in versions + markers]
    if not any(plan.values()):
        return True
    if not auto_approve:
        answer = input("Delete every object version above, for good? Only 'yes' is accepted: ")
        if answer.strip() != "yes":
            return False
    for bucket, objects in plan.items():
        for i in range(0, len(objects), 1000):
            s3.delete_objects(Bucket=bucket, Delete={"Objects": objects[i : i + 1000], "Quiet": True})
        _say(f"s3://{bucket}: emptied ({len(objects)} deleted)")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/aws_stack.py", description=__doc__)
    parser.add_argument("command", choices=["preflight", "deploy", "plan", "outputs", "destroy"])
    parser.add_argument("--emulator", help="apply to the emulator at this URL instead of AWS")
    parser.add_argument("--tfvars", type=Path, default=REPO / "terraform/envs/aws/terraform.tfvars")
    parser.add_argument("--backend", type=Path, default=REPO / "terraform/envs/aws/backend.hcl")
    parser.add_argument("--package-dir", type=Path, default=REPO / "build/lambda")
    parser.add_argument("--var", action="append", default=[], help="name=value, passed to Terraform as -var")
    parser.add_argument("--auto-approve", action="store_true")
    args = parser.parse_args(argv)
    sys.path[:0] = [str(REPO / "services" / d) for d in ("local", "common")]

    from tradeloop_local.tfstack import TerraformFailed, TerraformUnavailable

    if not args.emulator:
        refusal = preflight(args.tfvars, args.backend)
        if refusal:
            _say(refusal)
            return EXIT_REFUSED
    if args.command == "preflight":
        return 0
    approve = ["-auto-approve"] if args.auto_approve else []
    try:
        stack = _stack(args)
        if args.command == "deploy":
            stack.run(["apply", "-input=false", *approve, *_variables(args)], timeout=None, stream=True)
            stack.run(["output"], stream=True)
        elif args.command == "plan":
            proc = stack.run(
                ["plan", "-detailed-exitcode", "-input=false", "-no-color", *_variables(args)],
                timeout=None,
                stream=True,
                check=False,
            )
            return proc.returncode  # 0: no changes, 2: changes
        elif args.command == "outputs":
            stack.run(["output"], stream=True)
        else:
            names = _outputs(stack).get("stack", {})
            buckets = [names[k] for k in ("TRADELOOP_DATA_BUCKET", "TRADELOOP_MODELS_BUCKET") if k in names]
            if buckets and not empty_buckets(_s3(args), buckets, args.auto_approve):
                _say("destroy cancelled: nothing was deleted")
                return EXIT_REFUSED
            stack.run(["destroy", "-input=false", *approve, *_variables(args)], timeout=None, stream=True)
    except (TerraformFailed, TerraformUnavailable) as exc:
        _say(str(exc))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
