from __future__ import annotations

from pydantic import BaseModel

from tradeloop_common.models import Snapshot


class Health(BaseModel):
    status: str
    service: str
    code_version: str
    model_version: str | None
    account_id: str
    checks: dict[str, str]


class History(BaseModel):
    account_id: str
    snapshots: list[Snapshot]
