"""The `tradeloop` CLI against the local API: pretty tables over the same HTTP routes."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from tradeloop_local.cli import main


@pytest.fixture
def cli(local_api: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., str]:
    monkeypatch.setenv("TRADELOOP_API_URL", local_api)
    monkeypatch.setenv("COLUMNS", "200")  # rich wraps tables to the terminal width

    def run(*argv: str, code: int = 0) -> str:
        capsys.readouterr()
        try:
            rc = main(list(argv))
        except SystemExit as exc:
            rc = int(exc.code or 0)
        out = capsys.readouterr().out
        assert rc == code, out
        return out

    return run


def test_order_portfolio_and_blotter(cli: Callable[..., str], fresh_account: Callable[[Decimal], None]) -> None:
    out = cli("order", "buy", "IBM", "7", "--key", "cli-test-1")
    assert "IBM" in out and "FILLED" in out
    assert "IBM" in cli("portfolio") and " 7 " in cli("portfolio")
    # The same key again is the same order, not a second one
    cli("order", "buy", "IBM", "7", "--key", "cli-test-1")
    blotter = cli("orders", "--symbol", "IBM")
    assert blotter.count("cli-test-1") == 1


def test_bad_order_exits_non_zero_naming_the_field(cli: Callable[..., str], fresh_account: Callable) -> None:
    out = cli("order", "buy", "IBM", "0", code=1)
    assert "422" in out and "quantity" in out


def test_kill_switch_then_rejected_order(cli: Callable[..., str], fresh_account: Callable) -> None:
    assert "HALTED" in cli("controls", "--state", "HALTED")
    out = cli("order", "buy", "IBM", "1", code=3)
    assert "REJECTED" in out and "HALTED" in out
    assert "ACTIVE" in cli("controls", "--state", "ACTIVE")


def test_signals_run_scores_every_symbol_and_lists_them(cli: Callable[..., str]) -> None:
    out = cli("signals", "--run", "--as-of", "2011-06-01")
    assert "intent(s) sent" in out
    for symbol in ("AAPL", "GOOG", "IBM", "MSFT"):
        assert symbol in out  # a TARGET, or a HOLD with its reason when no model is live
    listed = cli("signals")
    assert all(symbol in listed for symbol in ("AAPL", "GOOG", "IBM", "MSFT"))


def test_api_down_is_a_clear_message(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TRADELOOP_API_URL", "http://127.0.0.1:9")
    with pytest.raises(SystemExit) as exited:
        main(["portfolio"])
    assert exited.value.code == 2 and "make up" in capsys.readouterr().out
