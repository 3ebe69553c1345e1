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
  the open page and returns its violations for the WCAG 2.1 A and AA rules.
"""

from __future__ import annotations

import contextlib
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


def run_axe(page, tags: list[str] = WCAG_21_AA) -> list[dict]:
    """Run axe-core on ``page`` (its context needs ``bypass_csp=True``); return violations."""
    page.add_script_tag(path=str(AXE_SCRIPT))
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
