"""How many configurations have been evaluated on the same data: the gate's multiple-testing count.

Every ``evaluate`` on a dataset (by its sha256) records its configuration's hash in
``<workdir>/trials.json``. Re-running one configuration counts once; changing features' settings,
windows, seeds, epochs, candidates, the label or the policy counts as another trial, because
picking the best of several tries on the same out-of-sample years is selection the gate must
pay for (``ml.gate``: Bonferroni over configurations). ``--trials N`` adds configurations tried
elsewhere (a notebook). Deleting the file forgets them: the count is only as honest as its keeper.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from ml.config import TrainConfig, runs_dir

# Settings that change neither the data nor the predictions: not a new trial.
_NOT_A_TRIAL = ("verbose", "gate")


def ledger_path() -> Path:
    return runs_dir().parent / "trials.json"


def config_hash(cfg: TrainConfig) -> str:
    d = {k: v for k, v in cfg.to_dict().items() if k not in _NOT_A_TRIAL}
    return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:16]


def record_trial(data_sha256: str, cfg: TrainConfig, path: Path | None = None) -> int:
    """Record this configuration for this data; the number of distinct configurations so far."""
    path = path or ledger_path()
    ledger: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    seen = ledger.setdefault(data_sha256, [])
    h = config_hash(cfg)
    if h not in seen:
        seen.append(h)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(ledger, indent=1))
    return len(seen)
