"""Selenium helpers for the dashboard pages (waits keyed on each page's ids)."""

from __future__ import annotations

import time
from typing import Any

from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

# page name -> (path, id of the element whose text says the page has loaded its data)
PAGES = {
    "overview": ("/", "overview-updated"),
    "positions": ("/positions", "positions-updated"),
    "signals": ("/signals", "signals-updated"),
    "orders": ("/orders", "orders-updated"),
    "model": ("/model", "model-updated"),
    "controls": ("/controls", "controls-state"),
}


def text_of(driver: Any, css: str) -> str:
    try:
        return str(driver.find_element(By.CSS_SELECTOR, css).text)
    except (NoSuchElementException, StaleElementReferenceException):
        return ""


def wait_for(driver: Any, condition: Any, timeout: float = 45, message: str = "") -> Any:
    """WebDriverWait, but a timeout says what the page showed (the test log is all a CI run leaves)."""
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.05).until(lambda d: condition(d), message)
    except TimeoutException:
        body = text_of(driver, "body")[:3000]
        raise AssertionError(f"{message} (after {timeout:.0f} s) on {driver.current_url}; page text:\n{body}") from None


def wait_text(driver: Any, css: str, text: str, timeout: float = 45) -> str:
    wait_for(driver, lambda d: text in text_of(d, css), timeout, f"{text!r} never appeared in {css}")
    return text_of(driver, css)


def open_page(driver: Any, base_url: str, name: str, timeout: float = 45) -> float:
    """Navigate and wait until the page's data callback has answered; returns seconds taken."""
    path, ready_id = PAGES[name]
    started = time.perf_counter()
    driver.get(base_url + path)

    def loaded(d: Any) -> bool:
        text = text_of(d, f"#{ready_id}")
        return bool(text) and (name != "controls" or "Trading state" in text or "Controls" in text)

    wait_for(driver, loaded, timeout, f"{name} page never loaded")
    return time.perf_counter() - started


def page_text(driver: Any) -> str:
    return str(driver.find_element(By.TAG_NAME, "body").text)


def severe_console_entries(driver: Any) -> list[dict[str, Any]]:
    return [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


def full_page_screenshot(driver: Any, path: Any) -> None:
    height = int(driver.execute_script("return document.body.scrollHeight"))
    driver.set_window_size(1440, max(900, min(height + 40, 4000)))
    time.sleep(0.3)
    driver.save_screenshot(str(path))
    driver.set_window_size(1440, 1000)


def click(driver: Any, by: str, value: str, timeout: float = 20) -> None:
    def ready(d: Any) -> Any:
        try:
            el = d.find_element(by, value)
        except NoSuchElementException:
            return False
        return el if el.is_displayed() and el.is_enabled() else False

    element = wait_for(driver, ready, timeout, f"{value} not clickable")

    # A card above may still be rendering (a callback filling it in), moving the element after the
    # scroll: scroll again until it stays inside the viewport, then click.
    def in_view(d: Any) -> bool:
        d.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
        return bool(
            d.execute_script(
                "const r = arguments[0].getBoundingClientRect();return r.top >= 0 && r.bottom <= window.innerHeight;",
                element,
            )
        )

    wait_for(driver, in_view, timeout, f"{value} never came into view")
    element.click()


def fill(driver: Any, element_id: str, value: Any) -> None:
    element = driver.find_element(By.ID, element_id)
    element.clear()
    if value not in (None, ""):
        element.send_keys(str(value))


def submit_ticket(driver: Any, symbol: str, side: str, quantity: Any) -> str:
    """Fill and send the order ticket on the Controls page; returns the outcome text."""
    previous = text_of(driver, "#ticket-outcome")
    fill(driver, "ticket-symbol", symbol)
    click(driver, By.XPATH, f"//div[@id='ticket-side']//label[text()='{'Buy' if side == 'BUY' else 'Sell'}']")
    fill(driver, "ticket-quantity", quantity)
    click(driver, By.ID, "ticket-submit")
    wait_for(driver, lambda d: text_of(d, "#ticket-outcome") not in ("", previous), 60, "no ticket outcome")
    return text_of(driver, "#ticket-outcome")


def set_trading_state(
    driver: Any, label: str, state: str, screenshot: Any = None, reason: str | None = "e2e", expect: str | None = None
) -> None:
    """Kill switch through the UI: pick, give the reason, Apply, confirm in the dialog, then wait for
    the badge to show ``state`` (or, with ``expect``, for that text in the result: a refusal)."""
    wait_for(driver, lambda d: d.find_element(By.ID, "controls-state-apply").is_enabled(), 45, "form never loaded")
    click(driver, By.XPATH, f"//div[@id='controls-state-choice']//label[text()='{label}']")
    fill(driver, "controls-reason", reason)
    click(driver, By.ID, "controls-state-apply")
    wait_text(driver, "#controls-confirm-body", state, 20)
    if screenshot is not None:
        time.sleep(0.5)  # let the dialog's fade-in finish
        driver.save_screenshot(str(screenshot))
    click(driver, By.ID, "controls-confirm-yes")
    wait_for(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, ".modal.show"), 20, "dialog did not close")
    if expect is not None:
        wait_text(driver, "#controls-state-result", expect, 45)
        return
    wait_text(driver, "#controls-state-badge", state, 45)


def table_rows(driver: Any, table_id: str) -> list[list[str]]:
    rows = driver.find_elements(By.CSS_SELECTOR, f"#{table_id} tr")
    out = []
    for row in rows:
        cells = row.find_elements(By.CSS_SELECTOR, "td")
        if cells:
            out.append([c.text for c in cells])
    return out


def column_index(driver: Any, table_id: str, column_id: str) -> int:
    headers = driver.find_elements(By.CSS_SELECTOR, f"#{table_id} th")
    ids = [h.get_attribute("data-dash-column") for h in headers]
    return ids.index(column_id)


def choose(driver: Any, dropdown_id: str, label: str) -> None:
    """Pick an option of a dcc.Dropdown by its visible label (open it, type, click the option)."""
    click(driver, By.CSS_SELECTOR, f"#{dropdown_id}")
    xpath = f"//label[contains(@class, 'dash-dropdown-option') and normalize-space(.)='{label}']"
    click(driver, By.XPATH, xpath)
