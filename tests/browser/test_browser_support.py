"""The browser-test infrastructure itself (tests/support/browser.py), on pages served by
a local http.server: axe finds nothing serious on an accessible page and the expected
rules on a broken one, forms and keyboard focus work, screenshots are real PNGs, and the
driver comes from the machine, never from Selenium Manager."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.support import browser as b

pytestmark = pytest.mark.browser

GOOD = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Accessible page</title>
<link rel="stylesheet" href="/style.css"></head>
<body><header><p>WW test site</p></header>
<main><h1>Register</h1>
<form method="post" action="/submit">
  <label for="name">Name</label> <input id="name" name="name" type="text">
  <label for="town">Town</label> <input id="town" name="town" type="text">
  <button id="send" type="submit">Send</button>
</form></main></body></html>"""

BAD = """<!doctype html>
<html><head><meta charset="utf-8"></head>
<body style="background:#fff">
<img src="/pixel.png">
<input id="nolabel" type="text">
<p style="color:#bbb">Hard to read grey text on white.</p>
</body></html>"""

CSS = "body { font-family: sans-serif; color: #111; background: #fff; }"

# A valid 1x1 PNG, so the broken page's image loads and only its missing alt is at fault.
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


class _Handler(BaseHTTPRequestHandler):
    def _send(self, status: int, ctype: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        pages = {
            "/good": ("text/html; charset=utf-8", GOOD.encode()),
            "/bad": ("text/html; charset=utf-8", BAD.encode()),
            "/style.css": ("text/css", CSS.encode()),
            "/pixel.png": ("image/png", PIXEL),
        }
        if self.path in pages:
            self._send(200, *pages[self.path])
        else:
            self._send(404, "text/plain", b"not found")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        name = form.get("name", [""])[0]
        body = (
            '<!doctype html><html lang="en"><head><title>Thanks</title></head>'
            f'<body><main><h1>Thanks</h1><p id="echo">{name}</p></main></body></html>'
        )
        self._send(200, "text/html; charset=utf-8", body.encode())

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep the test output clean


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)  # a free port
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is no PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_accessible_page_has_no_serious_or_critical_violation(browser: Any, site: str) -> None:
    browser.get(f"{site}/good")
    b.wait_visible(browser, "main h1")
    violations = b.assert_accessible(browser, "selftest-good")
    assert [v["id"] for v in violations if v["impact"] in b.FAILING_IMPACTS] == []
    # Every request the page made stayed on this machine (no CDN, no fonts from afar).
    assert b.offsite_requests(browser) == []


def test_broken_page_fails_with_the_expected_rules(browser: Any, site: str) -> None:
    browser.get(f"{site}/bad")
    b.wait_visible(browser, "#nolabel")
    found = {v["id"]: v["impact"] for v in b.axe(browser)}
    assert {"image-alt", "label", "color-contrast"} <= found.keys(), found
    assert found["image-alt"] == "critical"
    assert found["label"] == "critical"
    assert found["color-contrast"] == "serious"

    with pytest.raises(pytest.fail.Exception) as failed:
        b.assert_accessible(browser, "selftest-bad")
    message = str(failed.value)
    for rule in ("image-alt", "label", "color-contrast"):
        assert rule in message
    assert "#nolabel" in message  # names the offending element
    assert (b.screenshot_dir() / "a11y-selftest-bad.png").is_file()


def test_form_submit(browser: Any, site: str) -> None:
    browser.get(f"{site}/good")
    b.wait_visible(browser, "#name").send_keys("Fatima de Vries")
    browser.find_element("css selector", "#send").click()
    echo = b.wait_visible(browser, "#echo")
    assert echo.text == "Fatima de Vries"
    assert browser.title == "Thanks"


def test_keyboard_tab_moves_focus_in_document_order(browser: Any, site: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    browser.get(f"{site}/good")
    b.wait_visible(browser, "#name")
    order = []
    for keys in (Keys.TAB, "Jan", Keys.TAB, Keys.TAB):
        ActionChains(browser).send_keys(keys).perform()
        if keys == Keys.TAB:
            order.append(browser.execute_script("return document.activeElement.id"))
    assert order == ["name", "town", "send"]
    # Enter on the focused button submits what was typed, as a keyboard user would.
    ActionChains(browser).send_keys(Keys.ENTER).perform()
    assert b.wait_visible(browser, "#echo").text == "Jan"


def test_screenshots_are_pngs_of_the_desktop_and_tablet_viewport(browser: Any, site: str) -> None:
    browser.get(f"{site}/good")
    b.wait_visible(browser, "main h1")
    desktop = b.screenshot(browser, "selftest/good desktop")
    assert desktop == b.screenshot_dir() / "selftest-good-desktop.png"
    assert _png_size(desktop) == b.DESKTOP
    with b.tablet(browser):
        assert browser.execute_script("return [innerWidth, innerHeight]") == list(b.TABLET)
        assert _png_size(b.screenshot(browser, "selftest-good-tablet")) == b.TABLET
    assert browser.execute_script("return [innerWidth, innerHeight]") == list(b.DESKTOP)


def test_each_test_starts_without_the_previous_tests_cookies(browser: Any, site: str) -> None:
    browser.get(f"{site}/good")
    browser.add_cookie({"name": "session", "value": "x"})
    browser.execute_script("localStorage.setItem('k', 'v')")
    b.reset_browser(browser)
    browser.get(f"{site}/good")
    assert browser.get_cookies() == []
    assert browser.execute_script("return localStorage.getItem('k')") is None


def test_driver_is_the_machines_selenium_manager_never_runs_and_only_loopback_is_reached(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, site: str
) -> None:
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.selenium_manager import SeleniumManager

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("Selenium Manager ran (it would download a driver)")

    monkeypatch.setattr(SeleniumManager, "binary_paths", refuse)
    net_log = tmp_path / "net.json"
    driver = b.start_chromium(b.find_tools(), tmp_path / "profile", net_log=net_log)
    try:
        caps = driver.capabilities
        assert caps["browserName"] in {"chrome", "chromium"}
        major = caps["browserVersion"].split(".")[0]
        assert caps["chrome"]["chromedriverVersion"].startswith(major + ".")
        driver.get(f"{site}/good")
        assert driver.title == "Accessible page"
        # A page asking for something off this machine gets nothing (no look-up, no socket).
        # Any other host name is refused before a look-up. The machine's own name resolves
        # for Python (here /etc/hosts maps it to 127.0.0.1, where `site` listens), so only
        # the resolver rule can make Chromium call it unresolvable.
        port = site.rsplit(":", 1)[1]
        names = ["example.org"]
        with contextlib.suppress(OSError):
            socket.getaddrinfo(socket.gethostname(), int(port))
            names.append(socket.gethostname())
        for name in names:
            with pytest.raises(WebDriverException, match="ERR_NAME_NOT_RESOLVED"):
                driver.get(f"http://{name}:{port}/good")
    finally:
        driver.quit()
    # The browser's own background traffic included: it only ever connected to loopback.
    addresses = b.tcp_connect_addresses(net_log)
    assert f"127.0.0.1:{port}" in addresses
    assert {a for a in addresses if not a.startswith(("127.", "[::1]"))} == set()


def test_missing_chromium_fails_and_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WW_CHROMIUM", "/nonexistent/chromium")
    with pytest.raises(pytest.fail.Exception, match=r"deploy/local/browser\.sh up"):
        b.find_tools()
