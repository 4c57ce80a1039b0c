#!/usr/bin/env python3
"""Write the fake market's recording (services/local/tradeloop_local/recordings/sessions.json):
the real sample days (bokeh_sampledata.stocks, public domain, offline) of the sessions after the
stack's seeding cutoff, which the embedded stack's series stop at. The fake provider serves them
in Alpaca's and Stooq's formats, so `make pipeline SESSION=...` appends real bars.

Usage: python scripts/record_fake_market.py"""

from __future__ import annotations

import json
from datetime import date

from bokeh_sampledata import stocks

from tradeloop_local.fake_market import RECORDING
from tradeloop_local.seed import SAMPLE_SYMBOLS, SEED_CUTOFF


def main() -> None:
    bars = {}
    for symbol in SAMPLE_SYMBOLS:
        data = getattr(stocks, symbol)
        rows = zip(data["date"], data["open"], data["high"], data["low"], data["close"], data["volume"], strict=True)
        bars[symbol] = [[d, o, h, lo, c, int(v)] for d, o, h, lo, c, v in rows if date.fromisoformat(d) > SEED_CUTOFF]
    document = {
        "about": "Real days of the offline sample (bokeh_sampledata.stocks, unadjusted, as the stack is seeded) "
        f"after the seeding cutoff {SEED_CUTOFF}: date, open, high, low, close, volume. "
        "Written by scripts/record_fake_market.py; served by tradeloop_local.fake_market.",
        "cutoff": SEED_CUTOFF.isoformat(),
        "bars": bars,
    }
    RECORDING.write_text(json.dumps(document, indent=1) + "\n")
    print(f"{RECORDING}: {sum(len(v) for v in bars.values())} bars after {SEED_CUTOFF}")


if __name__ == "__main__":
    main()
