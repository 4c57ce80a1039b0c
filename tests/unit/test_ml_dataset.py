"""CSV ingest: bad inputs fail with file, row and column; good exports are normalised."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ml.config import SAMPLE_SYMBOLS
from ml.dataset import IngestError, csv_files, parse_bars_csv, read_bars_file, sample_bars

GOOD = """Date,Open,High,Low,Close,Volume
2024-01-02,10,11,9,10.5,1000
2024-01-03,10.5,11.5,10,11,1200
2024-01-04,11,12,10.5,11.5,900
"""

BAD_CASES = [
    # (id, csv text, row, column, message fragment)
    ("missing-column", "Date,Open,High,Low,Close\n2024-01-02,10,11,9,10.5\n", 1, "volume", "missing column"),
    ("bad-date", GOOD.replace("2024-01-03", "03/01/2024"), 3, "date", "not an ISO date"),
    ("nan", GOOD.replace("10.5,11.5,10,11,1200", "10.5,11.5,10,nan,1200"), 3, "close", "non-finite"),
    (
        "yahoo-null",
        GOOD.replace("11,12,10.5,11.5,900", "null,null,null,null,null"),
        4,
        "open",
        "not a number",
    ),
    ("empty-cell", GOOD.replace("10,11,9,10.5,1000", "10,,9,10.5,1000"), 2, "high", "not a number"),
    ("text", GOOD.replace("1200", "lots"), 3, "volume", "not a number"),
    ("negative-price", GOOD.replace("10,11,9,10.5,1000", "10,11,-9,10.5,1000"), 2, "low", "> 0"),
    ("negative-volume", GOOD.replace("1200", "-5"), 3, "volume", ">= 0"),
    ("high-below-low", GOOD.replace("10.5,11.5,10,11,1200", "10.5,9,10,11,1200"), 3, "high", "below"),
    (
        "conflicting-duplicate",
        GOOD.replace("2024-01-04,", "2024-01-03,99,100,98,99,5\n2024-01-04,"),
        4,
        "date",
        "duplicate date",
    ),
    ("unsorted", GOOD + "2024-01-03,11,12,10.5,11.5,900\n", 5, "date", "ascending date order"),
    ("index-symbol", GOOD, None, None, "^GSPC"),
    ("short-row", GOOD + "2024-01-05,1,2\n", 5, None, "expected 6 fields"),
    ("inf", GOOD.replace("1000", "inf"), 2, "volume", "non-finite"),
]


@pytest.mark.parametrize(
    ("text", "row", "column", "fragment"), [c[1:] for c in BAD_CASES], ids=[c[0] for c in BAD_CASES]
)
def test_bad_csv_raises_naming_file_row_and_column(
    text: str, row: int | None, column: str | None, fragment: str
) -> None:
    # Given a broken export (or a symbol the services would refuse); When it is parsed
    symbol = "^GSPC" if fragment == "^GSPC" else "XYZ"
    with pytest.raises(IngestError) as info:
        parse_bars_csv(text, "data/XYZ.csv", symbol)
    # Then the error names the file, row and column
    err = info.value
    assert (err.file, err.row, err.column) == ("data/XYZ.csv", row, column)
    assert fragment in str(err) and "data/XYZ.csv" in str(err)
    if row is not None:
        assert f"row {row}" in str(err)
    if column is not None:
        assert f"column '{column}'" in str(err)


def test_empty_file_and_header_only_are_errors() -> None:
    for text in ("", "date,open,high,low,close,volume\n"):
        with pytest.raises(IngestError, match="XYZ.csv"):
            parse_bars_csv(text, "XYZ.csv", "XYZ")


def test_unsorted_rows_are_refused_unless_sorting_is_asked_and_then_counted() -> None:
    # Given rows out of date order
    lines = GOOD.strip().split("\n")
    text = "\n".join([lines[0], lines[3], lines[1], lines[2], lines[1]]) + "\n"
    # When parsed as they are / Then refused, naming the first row out of order and the fix
    with pytest.raises(IngestError, match=r"row 3, column 'date'.*ascending date order.*--sort"):
        parse_bars_csv(text, "x.csv", "X")
    # When sorting is asked / Then sorted, the exact repeat dropped, both counted for the quality report
    bars = parse_bars_csv(text, "x.csv", "X", sort=True)
    assert [str(d) for d in bars.dates] == ["2024-01-02", "2024-01-03", "2024-01-04"]
    np.testing.assert_array_equal(bars.close, [10.5, 11, 11.5])
    assert bars.unsorted_rows == [3, 5] and bars.duplicate_rows == [5]


def test_an_exact_repeat_of_a_row_is_dropped_and_counted() -> None:
    lines = GOOD.strip().split("\n")
    bars = parse_bars_csv("\n".join([*lines, lines[-1]]) + "\n", "x.csv", "X")
    assert len(bars) == 3 and bars.duplicate_rows == [5] and bars.unsorted_rows == []


def test_a_file_named_after_an_index_is_refused_with_the_rule(tmp_path: Path) -> None:
    # Given Yahoo's S&P 500 export saved under its ticker / When it is read for ingest
    (tmp_path / "^GSPC.csv").write_text(GOOD)
    with pytest.raises(IngestError, match=r"symbol '\^GSPC' is refused: symbols must match") as info:
        read_bars_file(tmp_path / "^GSPC.csv")
    # Then the error says which rule and what to do
    assert "GSPC.csv" in str(info.value)


def test_yahoo_export_with_adj_close_is_adjusted() -> None:
    # Yahoo: Date,Open,High,Low,Close,Adj Close,Volume; a 2:1 split shows up in Close only.
    text = (
        "Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-02,100,102,99,100,50,1000\n2024-01-03,51,52,50,51,51,2000\n"
    )
    bars = parse_bars_csv(text, "AAPL.csv", "AAPL")
    np.testing.assert_allclose(bars.close, [50, 51])
    np.testing.assert_allclose(bars.open, [50, 51])
    np.testing.assert_allclose(bars.volume, [2000, 2000])


def test_stooq_and_tradeloop_headers_parse_identically() -> None:
    stooq = parse_bars_csv(GOOD, "s.csv", "S")
    ours = parse_bars_csv(
        GOOD.replace("Date,Open,High,Low,Close,Volume", "date,open,high,low,close,volume"), "o.csv", "S"
    )
    assert stooq.to_csv() == ours.to_csv()
    assert parse_bars_csv(ours.to_csv(), "round.csv", "S").to_csv() == ours.to_csv()


@pytest.mark.parametrize("symbol", SAMPLE_SYMBOLS)
def test_sample_bars_are_clean_and_split_adjusted(symbol: str) -> None:
    bars = sample_bars(symbol)
    assert len(bars) > 2000 and bars.first_date >= "2000-03-01" and bars.last_date == "2013-03-01"
    assert np.all(np.diff(bars.dates.astype(int)) > 0)
    # Raw sample prices halve on split days (AAPL 2005, MSFT 2003); adjusted ones never do.
    ret = bars.open[1:] / bars.open[:-1]
    assert ret.min() > 0.45
    split_like = np.abs(ret - 0.5) < 0.03
    assert split_like.sum() <= 1  # AAPL's real -52% crash (2000-09-29) is the one allowed


def test_unknown_sample_symbol_says_to_ingest_it() -> None:
    # A symbol outside the offline sample is not a typo to correct from a list: it needs its own bars.
    with pytest.raises(IngestError, match="TSLA is not in the offline sample") as info:
        sample_bars("TSLA")
    assert "ingest its bars first" in str(info.value) and "--ingest-source csv --path" in str(info.value)


def test_a_missing_csv_file_or_folder_is_an_ingest_error_not_a_traceback(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="no such file"):
        read_bars_file(tmp_path / "NOPE.csv")
    with pytest.raises(IngestError, match="no such file or folder"):
        csv_files(tmp_path / "nowhere")
    (tmp_path / "IBM.csv").write_text(GOOD)
    with pytest.raises(IngestError, match=r"no MSFT.csv in this folder \(found: \['IBM'\]\)"):
        csv_files(tmp_path, ["IBM", "MSFT"])
    assert csv_files(tmp_path, ["ibm"]) == [tmp_path / "IBM.csv"]
