"""Reflow (WCAG 1.4.10) and text at 200% (1.4.4) on the main pages, in Polish and English.

- At 320 CSS pixels wide (a 1280-pixel window zoomed to 400%), nothing scrolls sideways.
- At 200% zoom of a 1280 × 800 window (640 × 400 CSS pixels, two device pixels each),
  nothing scrolls sideways either, and no content or control is clipped or overlapping:
  each heading, field, button and link lies within the window's width (a wide table
  scrolls in its own region instead, which 1.4.10 allows), and no two controls overlap.

Pages: the event list, an event page, its form sent with errors, the manage page, and the
back office's dashboard and attendee list.
"""

from __future__ import annotations

import pytest

from registration.extensions import db
from tests.factories import PASSWORD, make_account

pytestmark = pytest.mark.browser

ORGANISER = "powiekszenie@example.org"
#: name → viewport in CSS pixels and device pixels per CSS pixel.
ZOOMS = {
    "320px": ({"width": 320, "height": 640}, 1),
    "200%": ({"width": 640, "height": 400}, 2),
}
LOCALES = {"pl": "pl-PL", "en": "en-GB"}

#: Headings and controls in main that lie outside the window or on top of one another.
_LAYOUT_FAULTS = """() => {
    const width = document.documentElement.clientWidth;
    const selector = ["h1", "h2", "h3", "a", "button", "input", "select", "textarea", "label"]
        .map((name) => `main ${name}`).join(", ");
    const shown = [...document.querySelectorAll(selector)].filter((element) => {
        const box = element.getBoundingClientRect();
        return box.width > 1 && box.height > 1 && getComputedStyle(element).visibility !== "hidden";
    });
    const describe = (element) => element.outerHTML.slice(0, 90);
    const faults = [];
    for (const element of shown) {
        if (element.closest(".table-scroll")) continue;  // the table scrolls, not the page
        const box = element.getBoundingClientRect();
        if (box.left < -0.5 || box.right > width + 0.5) {
            const span = `${Math.round(box.left)}–${Math.round(box.right)}`;
            faults.push(`outside the window (${span}): ${describe(element)}`);
        }
    }
    const controls = shown.filter(
        (element) => element.matches("a, button, input, select, textarea"));
    for (let i = 0; i < controls.length; i++) {
        for (let j = i + 1; j < controls.length; j++) {
            const [a, b] = [controls[i], controls[j]];
            if (a.contains(b) || b.contains(a)) continue;
            for (const r of a.getClientRects()) {
                for (const s of b.getClientRects()) {
                    const x = Math.min(r.right, s.right) - Math.max(r.left, s.left);
                    const y = Math.min(r.bottom, s.bottom) - Math.max(r.top, s.top);
                    if (x > 1 && y > 1) {
                        faults.push(`overlapping: ${describe(a)} and ${describe(b)}`);
                    }
                }
            }
        }
    }
    return faults;
}"""


@pytest.fixture(scope="module")
def pages(site) -> dict[str, tuple[str, bool]]:
    """name → (path, whether an organiser must be signed in)."""
    event_id = site.event(title="Wizyta studyjna: powiększenie i przewijanie", capacity=2)
    token = site.someone_registers(event_id, name="Grażyna Powiększalska")
    site.someone_registers(event_id)
    site.someone_registers(event_id)  # on the waitlist
    with site.app.app_context():
        make_account(ORGANISER, city_slug="wroclaw")
        db.session.commit()
    return {
        "list": ("/", False),
        "event": (f"/events/{event_id}", False),
        "form-errors": (f"/events/{event_id}", False),
        "manage": (f"/r/{token}", False),
        "dashboard": ("/organiser/", True),
        "attendees": (f"/organiser/events/{event_id}/attendees", True),
    }


@pytest.fixture(params=list(ZOOMS))
def zoom(request):
    return request.param


@pytest.mark.parametrize("language", list(LOCALES))
@pytest.mark.parametrize(
    "name", ["list", "event", "form-errors", "manage", "dashboard", "attendees"]
)
def test_page_reflows_and_nothing_is_clipped_or_overlaps(
    chromium, site, pages, zoom, language, name
):
    viewport, scale = ZOOMS[zoom]
    context = chromium.new_context(
        base_url=site.url,
        locale=LOCALES[language],
        viewport=viewport,
        device_scale_factor=scale,
    )
    try:
        page = context.new_page()
        path, signed_in = pages[name]
        if signed_in:
            page.goto("/organiser/login")
            page.locator("#email").fill(ORGANISER)
            page.locator("#password").fill(PASSWORD)
            with page.expect_navigation():
                page.locator("main form button[type=submit]").click()
        page.goto(f"/?lang={language}")
        page.goto(path)
        if name == "form-errors":
            with page.expect_navigation():
                page.locator("form:has(#consent) button[type=submit]").click()
            assert page.locator("[aria-invalid=true]").count()

        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"{name} at {zoom}: {width}px wide"
        faults = page.evaluate(_LAYOUT_FAULTS)
        assert faults == [], f"{name} at {zoom} ({language}):\n" + "\n".join(faults)
    finally:
        context.close()
