"""Response models of the order service."""

from __future__ import annotations

from pydantic import BaseModel

from tradeloop_common.models import Controls, ControlsChange, Order


class OrderList(BaseModel):
    orders: list[Order]
    next_token: str | None = None


ControlsOut = Controls


class ControlsHistory(BaseModel):
    changes: list[ControlsChange]
