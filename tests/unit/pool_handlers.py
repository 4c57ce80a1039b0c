"""Handlers for tests/unit/test_lambda_pool_timeout.py, imported by the pool's worker processes."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any


def sleep_then_write(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Sleep ``seconds``, then write ``marker``: what a handler does after its time is up."""
    time.sleep(float(event["seconds"]))
    Path(event["marker"]).write_text("finished")
    return {"finished": True}
