"""Settings read once from the environment (the Lambda configuration, or the local stack file)."""

from __future__ import annotations

import os
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tradeloop_common.errors import ConfigurationError

T = TypeVar("T", bound=BaseModel)


class _EnvModel(BaseModel):
    model_config = ConfigDict(populate_by_name=True, frozen=True, extra="ignore")


class TablesEnv(_EnvModel):
    orders_table: str = Field(default="tradeloop-orders", alias="TRADELOOP_ORDERS_TABLE")
    accounts_table: str = Field(default="tradeloop-accounts", alias="TRADELOOP_ACCOUNTS_TABLE")
    controls_table: str = Field(default="tradeloop-controls", alias="TRADELOOP_CONTROLS_TABLE")
    signals_table: str = Field(default="tradeloop-signals", alias="TRADELOOP_SIGNALS_TABLE")
    snapshots_table: str = Field(default="tradeloop-snapshots", alias="TRADELOOP_SNAPSHOTS_TABLE")
    idempotency_table: str = Field(default="tradeloop-idempotency", alias="TRADELOOP_IDEMPOTENCY_TABLE")


class StorageEnv(_EnvModel):
    data_bucket: str = Field(default="tradeloop-data", alias="TRADELOOP_DATA_BUCKET")
    models_bucket: str = Field(default="tradeloop-models", alias="TRADELOOP_MODELS_BUCKET")
    model_name: str = Field(default="tradeloop", alias="TRADELOOP_MODEL_NAME")


class QueueEnv(_EnvModel):
    order_queue_url: str = Field(default="", alias="TRADELOOP_ORDER_QUEUE_URL")
    order_dlq_url: str = Field(default="", alias="TRADELOOP_ORDER_DLQ_URL")


class BrokerEnv(_EnvModel):
    account_id: str = Field(default="paper", alias="TRADELOOP_ACCOUNT_ID", pattern=r"^[A-Za-z0-9_-]{1,32}$")
    commission_bps: Annotated[Decimal, Field(ge=0, le=100)] = Field(
        default=Decimal("1"), alias="TRADELOOP_COMMISSION_BPS"
    )
    slippage_bps: Annotated[Decimal, Field(ge=0, le=100)] = Field(default=Decimal("5"), alias="TRADELOOP_SLIPPAGE_BPS")
    # paper: nothing is submitted, the session's open fills the orders here (tradeloop_common.execution);
    # alpaca: orders go to Alpaca's paper-trading endpoint, fills and the account come back from it.
    broker: Literal["paper", "alpaca"] = Field(default="paper", alias="TRADELOOP_BROKER")


class AlpacaEnv(_EnvModel):
    """Where the alpaca broker trades and with which keys: Alpaca's own variables
    (``APCA_API_KEY_ID``, ``APCA_API_SECRET_KEY``: MarketDataEnv reads them, the same account's keys)
    win; else the Secrets Manager secret (JSON ``{"key_id", "secret_key"}``, AWS)."""

    # Empty: the SDK's paper endpoint. Set: a stand-in (the local fake: tradeloop_local.fake_alpaca).
    alpaca_url: str = Field(default="", alias="TRADELOOP_ALPACA_URL", pattern=r"^(https?://[^\s]+)?$")
    alpaca_secret_arn: str = Field(
        default="", alias="TRADELOOP_ALPACA_SECRET_ARN", pattern=r"^(arn:aws[a-z-]*:secretsmanager:[^\s]+)?$"
    )


class ExecutionEnv(_EnvModel):
    """How the order service rebalances (tradeloop_common.execution)."""

    rebalance_band: Annotated[Decimal, Field(ge=0, le=Decimal("0.5"))] = Field(
        default=Decimal("0.01"), alias="TRADELOOP_REBALANCE_BAND"
    )
    cash_buffer: Annotated[Decimal, Field(ge=0, le=Decimal("0.5"))] = Field(
        default=Decimal("0.02"), alias="TRADELOOP_CASH_BUFFER"
    )
    pending_max_sessions: Annotated[int, Field(ge=1, le=30)] = Field(default=5, alias="TRADELOOP_PENDING_MAX_SESSIONS")


class SignalEnv(_EnvModel):
    """When the signal service refuses to trade, and how often it re-checks the live model."""

    model_check_seconds: Annotated[int, Field(ge=0, le=86400)] = Field(
        default=60, alias="TRADELOOP_MODEL_CHECK_SECONDS"
    )
    # Sessions of the exchange calendar (tradeloop_common.freshness), not weekdays.
    max_bar_age_days: Annotated[int, Field(ge=0, le=365)] = Field(default=3, alias="TRADELOOP_MAX_BAR_AGE_DAYS")
    max_model_age_days: Annotated[int, Field(ge=0, le=3650)] = Field(default=180, alias="TRADELOOP_MAX_MODEL_AGE_DAYS")
    signal_symbols: str = Field(default="", alias="TRADELOOP_SIGNAL_SYMBOLS", pattern=r"^[A-Z0-9.,\-]*$")

    @property
    def symbols(self) -> list[str]:
        return [s for s in self.signal_symbols.split(",") if s]


class MarketDataEnv(_EnvModel):
    """Where the market-data service gets the session's bars (docs/architecture.md, market data)."""

    marketdata_provider: Literal["alpaca", "stooq", "csv"] = Field(
        default="alpaca", alias="TRADELOOP_MARKETDATA_PROVIDER"
    )
    # The provider's base URL; empty: its public endpoint. The embedded mode and the tests point it
    # at tradeloop_local.fake_market.
    marketdata_url: str = Field(default="", alias="TRADELOOP_MARKETDATA_URL")
    marketdata_secret_arn: str = Field(default="", alias="TRADELOOP_MARKETDATA_SECRET_ARN")
    marketdata_feed: Literal["sip", "iex"] = Field(default="sip", alias="TRADELOOP_MARKETDATA_FEED")
    marketdata_adjustment: Literal["raw", "split", "all"] = Field(
        default="raw", alias="TRADELOOP_MARKETDATA_ADJUSTMENT"
    )
    marketdata_path: str = Field(default="", alias="TRADELOOP_MARKETDATA_PATH")
    catch_up_sessions: Annotated[int, Field(ge=1, le=250)] = Field(
        default=30, alias="TRADELOOP_MARKETDATA_CATCH_UP_SESSIONS"
    )
    # Alpaca's own variable names: keys from the environment (a laptop) win over the secret (AWS).
    alpaca_key_id: str = Field(default="", alias="APCA_API_KEY_ID")
    alpaca_secret_key: str = Field(default="", alias="APCA_API_SECRET_KEY")
    stooq_apikey: str = Field(default="", alias="TRADELOOP_STOOQ_APIKEY")


class Settings(TablesEnv, StorageEnv, QueueEnv, BrokerEnv, AlpacaEnv, ExecutionEnv, SignalEnv, MarketDataEnv):
    """Everything a service needs to find its tables, buckets and queue."""

    endpoint_url: str | None = Field(default=None, alias="AWS_ENDPOINT_URL")
    code_version: str = Field(default="dev", alias="TRADELOOP_CODE_VERSION")


ENV_NAMES: dict[str, str] = {name: str(field.alias) for name, field in Settings.model_fields.items() if field.alias}


@lru_cache
def get_environment_variables(model: type[T] = Settings) -> T:  # type: ignore[assignment]
    """Parse the process environment into ``model``; cached because Lambda env never changes."""
    try:
        return model.model_validate(dict(os.environ))
    except ValidationError as exc:
        fields = ", ".join(
            str(model.model_fields[str(e["loc"][0])].alias)
            if e["loc"] and str(e["loc"][0]) in model.model_fields
            else str(e["loc"])
            for e in exc.errors()
        )
        raise ConfigurationError(f"invalid environment variable(s): {fields}: {exc}") from exc


def get_settings() -> Settings:
    return get_environment_variables(Settings)
