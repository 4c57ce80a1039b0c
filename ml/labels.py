"""Labels consistent with execution: a signal at the close of t fills at the open of t+1."""

from __future__ import annotations

import numpy as np

from ml.config import LabelSpec


def forward_open_return(open_: np.ndarray) -> np.ndarray:
    """r[t] = open[t+2] / open[t+1] - 1: what a position decided at the close of t earns
    before it can next be changed (NaN for the last two bars)."""
    o = np.asarray(open_, dtype=np.float64)
    out = np.full(len(o), np.nan)
    if len(o) > 2:
        out[:-2] = o[2:] / o[1:-1] - 1.0
    return out


def make_labels(open_: np.ndarray, spec: LabelSpec | None = None) -> np.ndarray:
    """1.0 (up), 0.0 (down) or NaN (inside the dead zone, or no future bars yet)."""
    spec = spec or LabelSpec()
    if spec.horizon != 2:
        raise ValueError("only the next-open -> following-open label (horizon 2) matches execution")
    fwd = forward_open_return(open_)
    y = np.full(len(fwd), np.nan)
    y[fwd > spec.dead_zone] = 1.0
    y[fwd < -spec.dead_zone] = 0.0
    if spec.dead_zone == 0.0:
        y[fwd == 0.0] = 0.0  # a flat day is "not up": keeps every bar without a dead zone
    return y
