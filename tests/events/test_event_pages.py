"""Public pages: the list of upcoming events and the event page, in Polish first."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from registration.database import utcnow
from registration.events.models import EventStatus, EventType
from registration.events.views import EVENT_LIST_PAGES
from registration.extensions import db
from tests.factories import make_event, make_registration

WARSAW = ZoneInfo("Europe/Warsaw")


def _titles(html: str) -> list[str]:
    return re.findall(r'class="event-card__title"><a href="[^"]+">([^<]+)</a>', html)


@pytest.fixture
def programme(app):
    """A small programme: upcoming, past, draft and cancelled events in two cities."""
    with app.app_context():
        soon = utcnow() + timedelta(days=5)
        make_event(title="Seminarium we Wrocławiu", starts_at=soon + timedelta(days=1))
        make_event(
            title="Wizyta w Łodzi", type=EventType.STUDY_VISIT, city_slug="lodz", starts_at=soon
        )
        make_event(
            title="Spotkanie w Gdańsku",
            type=EventType.EXPERT_MEETING,
            city_slug="gdansk",
            starts_at=soon + timedelta(days=40),
        )
        make_event(title="Minione seminarium", starts_at=utcnow() - timedelta(days=3))
        make_event(title="Szkic wizyty", status=EventStatus.DRAFT)
        make_event(title="Odwołane spotkanie", status=EventStatus.CANCELLED)
        db.session.commit()


def test_list_shows_upcoming_published_events_soonest_first(client, programme):
    html = client.get("/").text
    assert _titles(html) == ["Wizyta w Łodzi", "Seminarium we Wrocławiu", "Spotkanie w Gdańsku"]


def test_list_hides_drafts_past_and_cancelled_events(client, programme):
    html = client.get("/").text
    for hidden in ("Minione seminarium", "Szkic wizyty", "Odwołane spotkanie"):
        assert hidden not in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("type=study_visit", ["Wizyta w Łodzi"]),
        ("city=gdansk", ["Spotkanie w Gdańsku"]),
        ("city=lodz&type=seminar", []),
        ("type=nonsense", ["Wizyta w Łodzi", "Seminarium we Wrocławiu", "Spotkanie w Gdańsku"]),
    ],
)
def test_list_filters_by_type_and_city(client, programme, query, expected):
    assert _titles(client.get(f"/?{query}").text) == expected


def test_list_filters_by_month_in_warsaw_time(client, app):
    """An event at 00:30 on 1 March in Warsaw is a March event, though it is February in UTC."""
    year = utcnow().year + 1
    with app.app_context():
        make_event(title="Nocne otwarcie", starts_at=datetime(year, 3, 1, 0, 30, tzinfo=WARSAW))
        db.session.commit()
    assert _titles(client.get(f"/?month={year}-03").text) == ["Nocne otwarcie"]
    assert _titles(client.get(f"/?month={year}-02").text) == []


def test_list_shows_seats_left_and_waitlist(client, app):
    with app.app_context():
        open_event = make_event(title="Wolne miejsca", capacity=5)
        full_event = make_event(title="Pełne", capacity=1)
        make_registration(open_event)
        make_registration(full_event)
        make_registration(full_event)
        db.session.commit()
    html = client.get("/").text
    assert "Zostały 4 miejsca" in html
    assert "Brak miejsc · 1 osoba na liście rezerwowej" in html


def test_pages_are_polish_by_default(client, programme):
    html = client.get("/").text
    assert '<html lang="pl">' in html
    assert "Nadchodzące wydarzenia" in html


def test_english_follows_the_browser_and_an_explicit_choice_sticks(client, programme):
    html = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).text
    assert '<html lang="en">' in html
    assert "Upcoming events" in html
    chosen = client.get("/?lang=en")
    assert "lang=en" in chosen.headers["Set-Cookie"]
    # The cookie now outranks the browser's Polish.
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "pl"}).text


def test_caches_keep_one_copy_per_language(client, programme):
    """A shared cache must not hand the Polish page to someone who asked for English."""
    for path in ("/", "/api/v1/events"):
        vary = client.get(path).vary
        assert "Accept-Language" in vary
        assert "Cookie" in vary


def test_event_page_shows_details_in_warsaw_time(client, app):
    with app.app_context():
        event = make_event(
            title="Seminarium letnie",
            starts_at=datetime(utcnow().year + 1, 7, 1, 8, 0, tzinfo=UTC),
            capacity=20,
            venue="Barbara",
            address="ul. Świdnicka 8b",
        )
        make_registration(event)
        db.session.commit()
        event_id = event.id
    html = client.get(f"/events/{event_id}").text
    assert "<h1>Seminarium letnie</h1>" in html
    assert "1 lipca" in html
    assert "10:00" in html  # 08:00 UTC is 10:00 in Warsaw in summer
    assert "Barbara" in html
    assert "ul. Świdnicka 8b, Wrocław" in html
    assert "Zostało 19 miejsc" in html


def test_event_page_renders_description_as_safe_paragraphs(client, app):
    with app.app_context():
        event = make_event(description="Akapit <b>pierwszy</b>\n\n<script>alert(1)</script>")
        db.session.commit()
        event_id = event.id
    html = client.get(f"/events/{event_id}").text
    assert "<p>Akapit &lt;b&gt;pierwszy&lt;/b&gt;</p>" in html
    assert "<script>alert(1)" not in html


def test_drafts_and_unknown_events_are_not_found(client, app):
    with app.app_context():
        draft = make_event(status=EventStatus.DRAFT)
        db.session.commit()
        draft_id = draft.id
    assert client.get(f"/events/{draft_id}").status_code == 404
    response = client.get("/events/999999")
    assert response.status_code == 404
    assert "Nie znaleziono strony" in response.text


def test_cancelled_event_page_says_so(client, app):
    with app.app_context():
        event = make_event(status=EventStatus.CANCELLED)
        db.session.commit()
        event_id = event.id
    assert "To wydarzenie zostało odwołane." in client.get(f"/events/{event_id}").text


def test_pages_carry_security_headers_and_load_nothing_from_other_hosts(client, programme):
    response = client.get("/")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    # What the page loads: links to other sites (a map, a calendar service) load nothing.
    assets = re.findall(r'(?:src="([^"]+)"|<link [^>]*href="([^"]+)")', response.text)
    assets = [source or linked for source, linked in assets]
    assert assets
    assert all(not asset.startswith(("http:", "https:", "//")) for asset in assets)
    css = client.get("/static/css/site.css")
    assert css.status_code == 200


def test_accessibility_statement_is_published(client, app):
    html = client.get("/accessibility").text
    assert "Deklaracja dostępności" in html
    assert "2019" in html


def test_long_lists_come_in_pages_that_keep_the_filters(client, app):
    with app.app_context():
        for day in range(25):
            make_event(
                title=f"Seminarium {day:02d}",
                city_slug="lublin",
                starts_at=utcnow() + timedelta(days=day + 1),
            )
        make_event(title="Gdzie indziej", city_slug="gdansk")
        db.session.commit()
    first = client.get("/?city=lublin").text
    assert _titles(first) == [f"Seminarium {day:02d}" for day in range(20)]
    assert "25 wydarzeń" in first
    assert 'href="/?city=lublin&amp;page=2"' in first
    second = client.get("/?city=lublin&page=2").text
    assert _titles(second) == [f"Seminarium {day:02d}" for day in range(20, 25)]


def test_each_worker_reuses_a_list_page_for_a_moment(make_app):
    """The busiest page is rendered at most once per second per worker and language."""
    app = make_app(EVENT_LIST_CACHE_SECONDS=60)
    client = app.test_client()
    with app.app_context():
        make_event(title="Pierwsze")
        db.session.commit()
    assert _titles(client.get("/").text) == ["Pierwsze"]
    with app.app_context():
        make_event(title="Drugie", starts_at=utcnow() + timedelta(days=30))
        db.session.commit()
    assert _titles(client.get("/").text) == ["Pierwsze"]  # within the moment
    assert _titles(client.get("/?city=wroclaw").text) == ["Pierwsze", "Drugie"]  # other filters
    app.config["EVENT_LIST_CACHE_SECONDS"] = 0
    assert _titles(client.get("/").text) == ["Pierwsze", "Drugie"]


def test_arguments_the_list_does_not_know_never_fill_its_cache(make_app):
    """Anybody can invent query strings: they must not push real pages out of the cache."""
    app = make_app(EVENT_LIST_CACHE_SECONDS=60)
    client = app.test_client()
    with app.app_context():
        make_event(title="Pierwsze")
        db.session.commit()
    assert _titles(client.get("/").text) == ["Pierwsze"]
    with app.app_context():
        make_event(title="Drugie", starts_at=utcnow() + timedelta(days=30))
        db.session.commit()
    for number in range(EVENT_LIST_PAGES + 1):
        junk = client.get(f"/?utm_source={number}&city=nowhere-{number}&page=-{number}")
        assert _titles(junk.text) == ["Pierwsze", "Drugie"]  # rendered, never kept
    assert _titles(client.get("/").text) == ["Pierwsze"]  # still the page kept a moment ago


def test_a_kept_list_page_carries_no_link_from_the_request(make_app):
    """A page kept for everybody must not link where one visitor's request pointed."""
    app = make_app(EVENT_LIST_CACHE_SECONDS=60)
    client = app.test_client()
    with app.app_context():
        for day in range(25):
            make_event(title=f"Seminarium {day:02d}", starts_at=utcnow() + timedelta(days=day + 1))
        db.session.commit()
    asked = client.get(
        "/?city=wroclaw&page=2&_external=1&endpoint=x",
        headers={"Host": "attacker.example"},
    ).text
    assert "attacker.example" not in asked
    assert 'href="/?city=wroclaw&amp;page=2&amp;lang=en"' in asked
    assert 'href="/?city=wroclaw" rel="prev"' in asked
    kept = client.get("/?city=wroclaw&page=2").text
    assert "attacker.example" not in kept
    assert 'href="/?city=wroclaw&amp;page=2&amp;lang=en"' in kept


def test_the_language_link_keeps_what_chooses_the_page_and_nothing_else(client, app):
    with app.app_context():
        event_id = make_event().id
        db.session.commit()
    html = client.get(f"/events/{event_id}?event_id=1&_method=POST&utm_source=x").text
    assert f'href="/events/{event_id}?lang=en"' in html
