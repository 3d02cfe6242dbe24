"""Browser tests in a real headless Chromium: the `browser` fixture and its helpers.

Registered in the root conftest through `pytest_plugins`. Debian's chromium and
chromium-driver and a pinned axe-core are installed by `deploy/local/browser.sh up`
(scripts/test.sh runs it before pytest, as it starts PostgreSQL). When one of them is
missing the fixture FAILS and says so: a browser test that silently skips proves nothing.

Selenium is given the exact chromedriver (`Service(executable_path=...)`) and chromium
(`binary_location`), so Selenium Manager is never run and nothing is ever downloaded;
SE_OFFLINE is set as well, in case a later Selenium consults it anyway.

    def test_page(browser, live_url):
        browser.get(live_url)
        wait_visible(browser, "main h1")
        assert_accessible(browser, "caseload")
        screenshot(browser, "caseload")
        with tablet(browser):
            screenshot(browser, "caseload-tablet")
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
BROWSER_SH = REPO_ROOT / "deploy" / "local" / "browser.sh"
HINT = "run `bash deploy/local/browser.sh up` (as root it installs chromium, chromium-driver and axe-core)"

DESKTOP = (1280, 900)
TABLET = (768, 1024)

# --headless is Chromium's new headless mode. The rest keep Chromium off the network: on
# this closed network its background fetches (component updates, safe browsing, sync,
# QUIC probes, Google host look-ups) are refused many at a time and slow every start.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",  # we run as root in a container; the sandbox refuses to start there
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",  # small /dev/shm in containers crashes renderers
    "--disable-default-apps",
    "--disable-extensions",
    "--metrics-recording-only",
    "--no-default-browser-check",
    "--password-store=basic",
    "--use-mock-keychain",
    # Even with the flags above, Debian's Chromium still tries update.googleapis.com,
    # clients2.google.com, accounts.google.com and its start page (seen in a net log):
    # no host name but these resolves, so no such connection is ever attempted, and a page
    # that needs a CDN or a remote font fails here rather than in production behind a proxy.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
)

# The impacts axe ranks that fail a page (WCAG 2.1 AA bar of issue 15).
FAILING_IMPACTS = ("serious", "critical")

T = TypeVar("T")


@dataclass(frozen=True)
class BrowserTools:
    chromium: Path
    chromedriver: Path
    axe_js: Path


def _env_from_script() -> dict[str, str]:
    """`browser.sh env` is the one place that knows the pinned axe-core path."""
    try:
        out = subprocess.run(
            ["bash", str(BROWSER_SH), "env"], check=True, capture_output=True, text=True, timeout=30
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    found = re.findall(r"^export (\w+)=(.*)$", out, flags=re.M)
    return dict(found)


def find_tools() -> BrowserTools:
    """The chromium, chromedriver and axe.min.js to use; fails the test (never skips)."""
    script_env: dict[str, str] | None = None

    def pick(name: str, default: str | None) -> Path:
        nonlocal script_env
        value = os.environ.get(name) or default
        if not value:
            if script_env is None:
                script_env = _env_from_script()
            value = script_env.get(name, "")
        return Path(value)

    tools = BrowserTools(
        chromium=pick("WW_CHROMIUM", "/usr/bin/chromium"),
        chromedriver=pick("WW_CHROMEDRIVER", "/usr/bin/chromedriver"),
        axe_js=pick("WW_AXE_JS", None),
    )
    missing = [
        f"{label} ({path})"
        for label, path, ok in (
            ("chromium", tools.chromium, os.access(tools.chromium, os.X_OK)),
            ("chromedriver", tools.chromedriver, os.access(tools.chromedriver, os.X_OK)),
            ("axe-core", tools.axe_js, tools.axe_js.is_file()),
        )
        if not ok
    ]
    if missing:
        pytest.fail(f"browser tests need {', '.join(missing)}: {HINT}", pytrace=False)
    return tools


def screenshot_dir() -> Path:
    """<state dir>/screenshots: var/screenshots unless WW_STATE_DIR says otherwise (var/ is
    git-ignored; issue 15 wants the screenshots kept as CI artefacts from there)."""
    state = Path(os.environ.get("WW_STATE_DIR") or REPO_ROOT / "var")
    d = state / "screenshots"
    d.mkdir(parents=True, exist_ok=True)
    return d


def start_chromium(
    tools: BrowserTools,
    profile_dir: Path,
    *,
    log_path: Path | None = None,
    net_log: Path | None = None,
) -> Any:
    """A new headless Chromium under chromedriver with an empty profile in `profile_dir`;
    `net_log` makes Chromium write its NetLog there (see `tcp_connect_addresses`)."""
    # Imported here so that a missing selenium fails only the browser tests, readably.
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail("selenium is not installed: pip install -e '.[dev]'", pytrace=False)

    os.environ.setdefault("SE_OFFLINE", "true")
    options = webdriver.ChromeOptions()
    options.binary_location = str(tools.chromium)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile_dir}")
    options.add_argument(f"--window-size={DESKTOP[0]},{DESKTOP[1]}")
    if net_log is not None:
        options.add_argument(f"--log-net-log={net_log}")
    # Dutch is the application's default language; the tests pick English explicitly.
    options.add_experimental_option("prefs", {"intl.accept_languages": "nl-NL,nl,en"})
    service = Service(
        executable_path=str(tools.chromedriver),
        # Warnings only: at the default level every injected axe.min.js lands in the log.
        service_args=["--log-level=WARNING"],
        log_output=str(log_path) if log_path else subprocess.DEVNULL,
    )
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    set_viewport(driver, *DESKTOP)
    return driver


def tcp_connect_addresses(net_log: Path) -> set[str]:
    """Every address Chromium tried a TCP connection to, from a NetLog it wrote (read it
    after `quit()`; a log cut short by a crash is closed here so it still parses)."""
    text = net_log.read_text(encoding="utf-8").rstrip()
    if not text.endswith("}"):
        text = text.rstrip(",") + "]}"
    log = json.loads(text)
    names = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    return {
        str(e["params"]["address"])
        for e in log["events"]
        if names.get(e["type"]) == "TCP_CONNECT_ATTEMPT" and "address" in e.get("params", {})
    }


def set_viewport(driver: Any, width: int, height: int) -> None:
    """Make the page's viewport (window.innerWidth x innerHeight) exactly width x height;
    the window size alone would include whatever frame the headless window has."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )


@contextlib.contextmanager
def tablet(driver: Any) -> Iterator[Any]:
    """Within the block the viewport is a tablet's, 768 x 1024; then back to desktop."""
    set_viewport(driver, *TABLET)
    try:
        yield driver
    finally:
        set_viewport(driver, *DESKTOP)


@pytest.fixture(scope="session")
def browser_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One Chromium for the whole run (a start costs about a second)."""
    tools = find_tools()
    profile = tmp_path_factory.mktemp("chromium-profile")
    log = screenshot_dir().parent / "chromedriver.log"
    driver = start_chromium(tools, profile, log_path=log)
    driver._ww_axe_js = tools.axe_js  # read by axe()
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def browser(browser_session: Any) -> Any:
    """The session's Chromium, reset for this test: a blank page, no cookies or storage
    left over from the test before, the desktop viewport (1280 x 900)."""
    reset_browser(browser_session)
    return browser_session


def reset_browser(driver: Any) -> None:
    """Back to a blank page with no cookies, no web storage and the desktop viewport."""
    driver.get("about:blank")
    driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
    driver.execute_cdp_cmd("Storage.clearDataForOrigin", {"origin": "*", "storageTypes": "all"})
    set_viewport(driver, *DESKTOP)


def wait_for(driver: Any, condition: Callable[[Any], T], *, timeout_s: float = 10.0) -> T:
    """`condition(driver)` once it returns something truthy (fails after `timeout_s`)."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout_s, poll_frequency=0.05).until(condition)


def wait_visible(driver: Any, css: str, *, timeout_s: float = 10.0) -> Any:
    """The first element matching `css` once it is displayed."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    return wait_for(
        driver, ec.visibility_of_element_located((By.CSS_SELECTOR, css)), timeout_s=timeout_s
    )


def screenshot(driver: Any, name: str) -> Path:
    """Save the viewport as var/screenshots/<name>.png and return the path."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "page"
    path = screenshot_dir() / f"{safe}.png"
    if not driver.save_screenshot(str(path)):
        pytest.fail(f"screenshot {path} could not be written", pytrace=False)
    return path


_AXE_RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, arguments[0])
  .then(r => done({violations: r.violations}))
  .catch(e => done({error: String(e && e.stack || e)}));
"""


def axe(driver: Any, *, options: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Run axe-core on the current page and return its violations (axe's own dicts: id,
    impact, help, helpUrl, nodes[].target ...). Injected once per page load."""
    if not driver.execute_script("return typeof window.axe === 'object'"):
        axe_js: Path | None = getattr(driver, "_ww_axe_js", None)
        if axe_js is None:
            axe_js = find_tools().axe_js
        driver.execute_script(axe_js.read_text(encoding="utf-8"))
    run_options = {"resultTypes": ["violations"], **(options or {})}
    result = driver.execute_async_script(_AXE_RUN, run_options)
    if "error" in result:
        pytest.fail(f"axe.run failed: {result['error']}", pytrace=False)
    violations: list[dict[str, Any]] = result["violations"]
    return violations


def offsite_requests(driver: Any) -> list[str]:
    """URLs the current page loaded from anywhere but this machine (the page itself and
    its resources, per the Resource Timing API): the web front end must not need a CDN."""
    urls: list[str] = driver.execute_script(
        "return [location.href].concat(performance.getEntriesByType('resource').map(e => e.name))"
    )
    local = ("127.0.0.1", "localhost", "::1", "[::1]")
    return [u for u in urls if (urllib.parse.urlsplit(u).hostname or "") not in local]


def format_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        targets = [" ".join(map(str, n.get("target", []))) for n in v.get("nodes", [])]
        shown = ", ".join(targets[:5]) + (
            f" (+{len(targets) - 5} more)" if len(targets) > 5 else ""
        )
        lines.append(
            f"- [{v.get('impact')}] {v['id']}: {v.get('help')} -> {shown}  ({v.get('helpUrl')})"
        )
    return "\n".join(lines)


def assert_accessible(
    driver: Any, page_name: str, *, impacts: tuple[str, ...] = FAILING_IMPACTS
) -> list[dict[str, Any]]:
    """Fail when axe finds a violation of one of `impacts` (serious/critical) on the
    current page; saves a screenshot `a11y-<page_name>` then. Returns every violation
    (the minor/moderate ones too) for a caller that wants to look at them."""
    violations = axe(driver)
    bad = [v for v in violations if v.get("impact") in impacts]
    if bad:
        shot = screenshot(driver, f"a11y-{page_name}")
        pytest.fail(
            f"{page_name} ({driver.current_url}): {len(bad)} accessibility violation(s) "
            f"of impact {'/'.join(impacts)} (screenshot {shot}):\n{format_violations(bad)}",
            pytrace=False,
        )
    return violations
