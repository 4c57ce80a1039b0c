"""vectorbt as the oracle for ``ml.backtest`` (tests and ``make bench``): one copy of the mapping
from our fill convention to ``Portfolio.from_signals``. vectorbt is a test dependency only."""

from __future__ import annotations

import numpy as np

from ml.config import Costs
from ml.dataset import Bars


def vectorbt_equity(bars: Bars, signal: np.ndarray, costs: Costs, init_cash: float) -> np.ndarray:
    """Equity at each close of the long/flat strategy ``signal`` (decided at close t) in vectorbt."""
    import pandas as pd
    import vectorbt as vbt

    # vectorbt trades at bar i at price[i]; our signal at close t trades at the open of t+1.
    held = np.concatenate([[0.0], signal[:-1]]) > 0.5
    prev = np.concatenate([[False], held[:-1]])
    idx = pd.DatetimeIndex(bars.dates.astype("datetime64[ns]"))
    pf = vbt.Portfolio.from_signals(
        close=pd.Series(bars.close, idx),
        price=pd.Series(bars.open, idx),
        entries=pd.Series(held & ~prev, idx),
        exits=pd.Series(~held & prev, idx),
        fees=costs.commission,
        slippage=costs.slippage,
        init_cash=init_cash,
        freq="1D",
    )
    return np.asarray(pf.value().values, dtype=np.float64)
