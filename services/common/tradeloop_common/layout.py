"""The S3 layout, in one place: every key the services, ``ml/`` and the local tools read or write.

Data bucket:

- ``bars/daily/<SYMBOL>.csv``: a symbol's daily bars (header ``ohlcv.BAR_COLUMNS``);
- ``quality/latest.json``, ``quality/sessions/<YYYY-MM-DD>.json``, ``quality/reports/<UTC>-<source>.json``,
  ``quality/corrections/<SYMBOL>/<date>-<sha8>.json``: quality reports and corrections
  (``dal/quality.py``).

Models bucket:

- ``models/<name>/<version>/<file>``: a published version's files (``manifest.json`` last);
- ``models/<name>/LATEST``: the pointer naming the live version (``dal/registry.py`` reads it,
  ``ml/registry.py`` moves it with conditional puts).

Symbols are tickers in upper case (``models.types.SYMBOL_PATTERN``); the key upper-cases what it
is given, so ``aapl`` typed at a CLI and ``AAPL`` from the API name the same object. The IAM
policies of ``terraform/modules/stack/services.tf`` grant these prefixes (``bars/*``,
``models/<name>/LATEST``) as literal patterns: change both together
(``tests/unit/test_iam_grants_match_layout.py`` fails when they part). Pure: no I/O here.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

# ---- data bucket: bars --------------------------------------------------------------------------

BARS_PREFIX = "bars/daily/"
_CSV = ".csv"


def bars_key(symbol: str) -> str:
    """``bars/daily/<SYMBOL>.csv``."""
    return f"{BARS_PREFIX}{symbol.upper()}{_CSV}"


def symbol_of_bars_key(key: str) -> str | None:
    """The symbol a bars key names; None for any other key."""
    if not (key.startswith(BARS_PREFIX) and key.endswith(_CSV)):
        return None
    name = key[len(BARS_PREFIX) : -len(_CSV)]
    return name if name and "/" not in name else None


# ---- data bucket: quality reports -----------------------------------------------------------------

QUALITY_PREFIX = "quality/"
QUALITY_LATEST_KEY = f"{QUALITY_PREFIX}latest.json"


def quality_session_key(session: str) -> str:
    return f"{QUALITY_PREFIX}sessions/{session}.json"


def quality_report_key(source: str, at: datetime | None = None) -> str:
    return f"{QUALITY_PREFIX}reports/{(at or datetime.now(UTC)):%Y%m%dT%H%M%SZ}-{source}.json"


def correction_key(symbol: str, day: str, record: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()[:8]
    return f"{QUALITY_PREFIX}corrections/{symbol.upper()}/{day}-{digest}.json"


# ---- models bucket: the registry ----------------------------------------------------------------

MODELS_PREFIX = "models/"
LATEST = "LATEST"


def model_prefix(model_name: str) -> str:
    """``models/<name>/``: every version of the model, and its LATEST pointer."""
    return f"{MODELS_PREFIX}{model_name}/"


def latest_key(model_name: str) -> str:
    """``models/<name>/LATEST``."""
    return f"{model_prefix(model_name)}{LATEST}"


def version_prefix(model_name: str, version: str) -> str:
    """``models/<name>/<version>/``."""
    return f"{model_prefix(model_name)}{version}/"


def version_key(model_name: str, version: str, filename: str) -> str:
    """``models/<name>/<version>/<file>``."""
    return f"{version_prefix(model_name, version)}{filename}"


def pointer_fields(text: str) -> dict[str, Any]:
    """The LATEST pointer's fields: a JSON document ``{"name", "version", "promoted_at", "action",
    "history"}``, or (older pointers) the bare version as text, read as ``{"version": text}``."""
    text = text.strip()
    if text.startswith("{"):
        data = json.loads(text)
        return data if isinstance(data, dict) else {}
    return {"version": text} if text else {}
