"""Dashboard settings, read once from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

DEFAULT_API_URL = "http://127.0.0.1:8080"
DEFAULT_REFRESH_SECONDS = 15


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class DashboardSettings:
    api_url: str = DEFAULT_API_URL
    api_sigv4: bool = False
    aws_region: str | None = None
    api_timeout: float = 15.0
    refresh_seconds: int = DEFAULT_REFRESH_SECONDS
    env: str = "local"
    user: str | None = None
    password: str | None = None
    password_secret_arn: str | None = None
    trusted_proxies: int = 0  # proxies in front that append X-Forwarded-For (the ALB in AWS)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> DashboardSettings:
        env = os.environ if environ is None else environ
        try:
            refresh = max(1, int(env.get("TRADELOOP_DASHBOARD_REFRESH_SECONDS", DEFAULT_REFRESH_SECONDS)))
        except ValueError:
            refresh = DEFAULT_REFRESH_SECONDS
        env_name = (env.get("TRADELOOP_ENV") or "local").strip().lower()
        try:
            proxies = int(env.get("TRADELOOP_DASHBOARD_TRUSTED_PROXIES") or (1 if env_name == "aws" else 0))
        except ValueError:
            proxies = 0
        return cls(
            api_url=(env.get("TRADELOOP_API_URL") or DEFAULT_API_URL).rstrip("/"),
            api_sigv4=_flag(env.get("TRADELOOP_API_SIGV4")),
            aws_region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION"),
            api_timeout=float(env.get("TRADELOOP_API_TIMEOUT_SECONDS", "15")),
            refresh_seconds=refresh,
            env=env_name,
            user=env.get("TRADELOOP_DASHBOARD_USER") or None,
            password=env.get("TRADELOOP_DASHBOARD_PASSWORD") or None,
            password_secret_arn=env.get("TRADELOOP_DASHBOARD_PASSWORD_SECRET_ARN") or None,
            trusted_proxies=max(0, proxies),
        )


@lru_cache(maxsize=1)
def get_settings() -> DashboardSettings:
    return DashboardSettings.from_env()
