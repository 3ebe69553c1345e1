"""The subscription links as a visitor uses them, in headless Chromium.

The macro is shown on a page of its own (the event and list pages place it
among much else; tests/browser walks those). Without JavaScript the address
is a read-only field to copy by hand; with it, a button copies it. Either way
the page meets WCAG 2.1 AA (axe-core), at desktop and phone widths, in both
languages, and logs no error (a CSP violation would be one).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask, render_template_string
from playwright.sync_api import expect

from tests.factories import city
from tests.support.browser import (
    broken_id_references,
    describe_violations,
    live_server,
    run_axe,
)

pytestmark = pytest.mark.browser

PAGE = """{% extends "base.html" %}{% from "ical/_subscribe.html" import subscribe_links %}
{% block content %}<h1>{{ _("Add to calendar") }}</h1>
{{ subscribe_links(public_subscription("seminar", lodz), "public-calendar") }}
{% endblock %}"""
WIDTHS = (1280, 390)


@pytest.fixture
def server_url(make_app) -> Iterator[str]:
    app: Flask = make_app(BASE_URL="https://koalicja.example.org")

    @app.get("/subscribe-links")
    def subscribe_links_page():
        return render_template_string(PAGE, lodz=city("lodz"))

    with live_server(app) as url:
        yield url


def open_page(chromium, server_url: str, language: str, width: int, **options):
    context = chromium.new_context(
        base_url=server_url, viewport={"width": width, "height": 800}, **options
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"/subscribe-links?lang={language}")
    return context, page, errors


@pytest.mark.parametrize("language", ["pl", "en"])
def test_without_javascript_the_address_is_a_field_to_copy(chromium, server_url, language):
    for width in WIDTHS:
        context, page, errors = open_page(
            chromium, server_url, language, width, java_script_enabled=False
        )
        field = page.get_by_role("textbox")

        assert field.input_value().startswith("https://koalicja.example.org/calendar.ics?")
        assert field.get_attribute("readonly") is not None
        assert not page.locator("button[data-copy]").is_visible()  # nothing that cannot work
        assert errors == []
        context.close()


@pytest.mark.parametrize(
    ("language", "copied"), [("pl", "Adres skopiowany."), ("en", "Address copied.")]
)
def test_the_copy_button_copies_the_address_and_says_so(chromium, server_url, language, copied):
    for width in WIDTHS:
        context, page, errors = open_page(chromium, server_url, language, width)
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server_url)
        address = page.get_by_role("textbox").input_value()

        page.get_by_role("button").click()

        expect(page.get_by_role("status")).to_have_text(copied)
        assert page.evaluate("navigator.clipboard.readText()") == address
        button = page.get_by_role("button").bounding_box()
        assert button["x"] + button["width"] <= width  # it fits on a phone
        assert errors == []
        context.close()


@pytest.mark.parametrize("language", ["pl", "en"])
def test_meets_wcag_21_aa_before_and_after_copying(chromium, server_url, language):
    for width in WIDTHS:
        context, page, _ = open_page(chromium, server_url, language, width, bypass_csp=True)
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server_url)

        for state in ("before", "after"):
            if state == "after":
                page.get_by_role("button").click()
                expect(page.get_by_role("status")).not_to_be_empty()
            violations = run_axe(page)
            assert violations == [], (state, width, describe_violations(violations))
            assert broken_id_references(page) == [], (state, width)
        context.close()
