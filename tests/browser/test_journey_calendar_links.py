"""Journey: putting events into a calendar from the event page, the manage page and the list.

Every calendar link a page offers must be well formed and lead to a calendar
that is there: the https (here http, on loopback) address of each feed or file,
however it is wrapped (``webcal://``, Google Calendar's ``cid``, Outlook's "add
from web"), answers 200 ``text/calendar`` through the live server and holds the
event. A Google "add this event" link carries the event's title and times.
Walked in Polish and English at 1280 and 390 CSS pixels, pages checked with
``check_page``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from registration.database import utcnow
from registration.events.models import EventType
from tests.browser.journeys import expect_status

pytestmark = pytest.mark.browser

TITLE = "Wizyta studyjna: Stocznia Szczecińska jako miejsce kultury"
#: Where pages offer calendar links: the "add to calendar" section and any subscription list.
CALENDAR_LINKS = ".add-to-calendar a[href], .subscribe a[href]"
GOOGLE_TIME = "%Y%m%dT%H%M%SZ"


def _starts_at() -> datetime:
    """A month ahead, on a whole hour (Google's link carries seconds)."""
    return (utcnow() + timedelta(days=30)).replace(minute=0, second=0, microsecond=0)


def _query(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def _feed_address(href: str, site_url: str) -> str | None:
    """The http(s) address of the calendar behind a link; None for a one-event Google link."""
    parts = urlsplit(href)
    if parts.scheme == "webcal":
        return urlsplit(site_url).scheme + href.removeprefix("webcal")
    if parts.netloc == "calendar.google.com":
        if parts.path == "/calendar/render":
            return None
        assert parts.path == "/calendar/r", href
        return _feed_address(_query(href)["cid"], site_url)
    if parts.netloc in ("outlook.live.com", "outlook.office.com"):
        assert parts.path == "/calendar/0/addfromweb", href
        query = _query(href)
        assert query.get("name"), f"Outlook shows the calendar without a name: {href}"
        return query["url"]
    if not parts.scheme:
        return site_url + href
    assert href.startswith(f"{site_url}/"), f"a calendar link to an unknown place: {href}"
    return href


def _check_calendar(page, address: str, *, holds: str) -> None:
    """The calendar answers 200 text/calendar through the live server and holds the event."""
    response = page.request.get(address)
    assert response.status == 200, address
    assert response.headers["content-type"].startswith("text/calendar"), address
    body = response.text()
    assert body.startswith("BEGIN:VCALENDAR"), address
    assert holds in body, f"{address} does not hold {holds}"


def _check_google_event_link(href: str, *, event_id: int, site_url: str) -> None:
    query = _query(href)
    assert query["action"] == "TEMPLATE"
    assert query["text"] == TITLE
    starts, ends = query["dates"].split("/")
    assert datetime.strptime(starts, GOOGLE_TIME).replace(tzinfo=UTC) == _starts_at()
    assert datetime.strptime(ends, GOOGLE_TIME).replace(tzinfo=UTC) > _starts_at()
    assert f"{site_url}/events/{event_id}" in query["details"]


def _check_calendar_links(page, *, event_id: int, site_url: str) -> int:
    """Check every calendar link on the open page; return how many there were."""
    uid = f"UID:event-{event_id}@{urlsplit(site_url).hostname}"
    hrefs = [link.get_attribute("href") for link in page.locator(CALENDAR_LINKS).all()]
    for href in hrefs:
        assert not re.search(r"\s", href), f"white space in {href!r}"
        address = _feed_address(href, site_url)
        if address is None:
            _check_google_event_link(href, event_id=event_id, site_url=site_url)
        else:
            _check_calendar(page, address, holds=uid)
    for field in page.locator("input.subscribe__address").all():
        _check_calendar(page, field.input_value(), holds=uid)
    return len(hrefs)


def test_event_page_links_work_in_every_calendar(site, visitor, check_page):
    """Download, Google Calendar and subscribing: each link leads to this event."""
    event_id = site.event(title=TITLE, type=EventType.STUDY_VISIT, starts_at=_starts_at(), hours=8)
    page = visitor.page

    page.goto(f"/events/{event_id}")
    check_page(page, "event-calendar-links")

    section = page.locator(".add-to-calendar")
    expect(section.get_by_role("heading")).to_be_visible()
    links = _check_calendar_links(page, event_id=event_id, site_url=site.url)
    assert links >= 3  # the file, Google Calendar, a subscription


def test_manage_page_links_put_the_seat_in_a_calendar(site, visitor, check_page):
    """A confirmed person adds their event from the manage page."""
    event_id = site.event(title=TITLE, type=EventType.STUDY_VISIT, starts_at=_starts_at(), hours=8)
    token = site.someone_registers(event_id, email=visitor.address("confirmed"))
    page = visitor.page

    page.goto(f"/r/{token}")
    check_page(page, "manage-calendar-links")

    links = _check_calendar_links(page, event_id=event_id, site_url=site.url)
    assert links >= 2  # the file, Google Calendar


def test_waitlisted_person_is_offered_no_calendar_entry(site, visitor, check_page):
    """Without a seat, an "add to calendar" would promise what is not theirs yet."""
    event_id = site.event(
        title=TITLE, type=EventType.STUDY_VISIT, starts_at=_starts_at(), capacity=1
    )
    site.someone_registers(event_id, email=visitor.address("holder"))
    token = site.someone_registers(event_id, email=visitor.address("waiting"))
    page = visitor.page

    page.goto(f"/r/{token}")

    expect_status(page, "waitlisted")
    expect(page.locator(".add-to-calendar, a[href*='calendar'], a[download]")).to_have_count(0)
    check_page(page, "manage-waitlisted-no-calendar")


def test_list_offers_to_subscribe_to_the_events_it_shows(site, visitor, check_page):
    """Under the list's filters: subscribe to these events, in any calendar app."""
    event_id = site.event(
        title=TITLE, type=EventType.STUDY_VISIT, starts_at=_starts_at(), city_slug="szczecin"
    )
    page = visitor.page

    page.goto("/?city=szczecin")

    assert page.locator(".subscribe").count() >= 1, "no subscription links on the list"
    check_page(page, "list-calendar-links")
    assert _check_calendar_links(page, event_id=event_id, site_url=site.url) >= 4
    address = page.locator("input.subscribe__address").first.input_value()
    assert _query(address).get("city") == "szczecin"
