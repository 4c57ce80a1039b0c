"""Domain exceptions. Each carries the HTTP status and error code the API answers with."""

from __future__ import annotations

from typing import Any


class TradeloopError(Exception):
    status: int = 500
    code: str = "internal_error"

    def __init__(self, message: str, details: list[dict[str, Any]] | dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details if details is not None else []


class ConfigurationError(TradeloopError):
    code = "configuration_error"


class BadRequestError(TradeloopError):
    status = 400
    code = "bad_request"


class NotFoundError(TradeloopError):
    status = 404
    code = "not_found"


class ConflictError(TradeloopError):
    status = 409
    code = "conflict"


class PayloadTooLargeError(TradeloopError):
    status = 413
    code = "payload_too_large"


class UnprocessableError(TradeloopError):
    status = 422
    code = "validation_error"


class UnknownSymbolError(UnprocessableError):
    code = "unknown_symbol"


class StoreError(TradeloopError):
    """A data store failed in a way a retry may fix (throttling, a transaction that kept conflicting)."""

    status = 503
    code = "store_unavailable"
