"""Headless Chromium for the page tests: Debian's browser, a live server, axe-core.

- The browser is Debian's ``chromium`` package at ``/usr/bin/chromium``, driven
  by Playwright with its executable path set. Playwright's own browser download
  (``playwright install``) is never used: ``make test`` installs the Debian
  package when it is missing.
- The flags keep Chromium from phoning home (update checks, sync, field
  trials): on a machine with no network those connections only slow it down,
  and a test that counts requests must see nothing but the test server.
- ``live_server`` serves a Flask application with werkzeug's threaded server on
  ``127.0.0.1`` and a port the kernel picks, in a thread of the test process.
- ``run_axe`` runs axe-core (the npm package, installed from tests/package.json) on
  the open page and returns its violations for the WCAG 2.1 A and AA rules. It is
  evaluated through the DevTools protocol, which the page's CSP does not govern, so
  pages are checked with the site's own CSP in force.
- ``check_page`` is what every page and state of a journey must pass: axe at zero
  violations, every id reference leading somewhere, no sideways scrolling, and
  nothing logged as an error; it saves a screenshot when asked.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Iterator
from pathlib import Path

from flask import Flask
from werkzeug.serving import make_server

TESTS = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
AXE_SCRIPT = TESTS / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # the tests run as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: The widths every journey is walked at: a desktop window and a phone held upright.
DESKTOP, PHONE = 1280, 390
#: Tall enough for a desktop's first screenful, as a phone is tall.
HEIGHTS = {DESKTOP: 800, PHONE: 844}


@contextlib.contextmanager
def live_server(app: Flask) -> Iterator[str]:
    """Serve ``app`` on loopback in a background thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@functools.cache
def _axe_source() -> str:
    return AXE_SCRIPT.read_text(encoding="utf-8")


def run_axe(page, tags: list[str] = WCAG_21_AA) -> list[dict]:
    """Run axe-core on ``page`` and return its violations.

    The script is evaluated, not added as a ``<script>`` element, so the page's
    own CSP (``default-src 'self'``) stays in force while it is checked.
    """
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(_axe_source())
    result = page.evaluate(
        """async (tags) => {
            const results = await axe.run(document, {
                runOnly: {type: "tag", values: tags},
                resultTypes: ["violations"],
            });
            return results.violations.map((violation) => ({
                id: violation.id,
                impact: violation.impact,
                help: violation.help,
                nodes: violation.nodes.map((node) => ({
                    target: node.target.join(" "),
                    html: node.html,
                    summary: node.failureSummary,
                })),
            }));
        }""",
        tags,
    )
    return list(result)


def broken_id_references(page) -> list[str]:
    """Attributes that name an element by id (``aria-describedby``, ``for``…) which is not there.

    axe reports these only as "needs review", yet a reference to nothing (or to
    ``"None"``) leaves a field without the description or label it was meant to have.
    """
    return list(
        page.evaluate(
            """() => {
                const broken = [];
                const names = ["aria-describedby", "aria-labelledby", "aria-controls", "for"];
                for (const name of names) {
                    for (const element of document.querySelectorAll(`[${name}]`)) {
                        for (const id of element.getAttribute(name).split(/\\s+/)) {
                            if (id && !document.getElementById(id)) {
                                const label = element.id ? `#${element.id}` : element.tagName;
                                broken.push(`${label} ${name}="${id}"`);
                            }
                        }
                    }
                }
                return broken;
            }"""
        )
    )


def describe_violations(violations: list[dict]) -> str:
    """axe's findings as readable lines for an assertion message."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            lines.append(f"  {node['target']}: {node['html']}")
            lines.extend(f"    {line}" for line in (node["summary"] or "").splitlines())
    return "\n".join(lines)


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page is wider than its viewport (WCAG 1.4.10 wants none)."""
    return page.evaluate("document.documentElement.scrollWidth") - page.viewport_size["width"]


def check_page(
    page,
    name: str,
    *,
    errors: list[str] | None = None,
    screenshot: Path | None = None,
    full_page: bool = True,
) -> None:
    """Assert what every page and state of a journey promises; save a screenshot if asked.

    - axe-core finds no WCAG 2.1 A or AA violation;
    - every ``for``, ``aria-describedby``… names an element that is there;
    - the page does not scroll sideways at its width (390 CSS pixels on a phone);
    - ``errors`` (what the page logged: CSP refusals, script errors) is empty.

    :param name: says which page and state failed, in the assertion message
    :param screenshot: a PNG file to write, before the checks, so a failure can be seen
    """
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot), full_page=full_page)
    violations = run_axe(page)
    assert violations == [], f"{name}: axe found\n{describe_violations(violations)}"
    broken = broken_id_references(page)
    assert broken == [], f"{name}: references to missing elements:\n" + "\n".join(broken)
    overflow = horizontal_overflow(page)
    width = page.viewport_size["width"]
    assert overflow <= 0, f"{name}: {overflow}px wider than the {width}px viewport"
    assert not errors, f"{name}: the page logged errors:\n" + "\n".join(errors)
