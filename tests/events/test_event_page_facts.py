"""The event page answers a newcomer's questions first: can I register, when, where, for
whom, for how much, in which language; and an English page says which text is Polish."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from registration.database import utcnow
from registration.events.models import EventLanguage, EventStatus
from registration.extensions import db
from registration.i18n import WARSAW
from tests.factories import make_event, make_registration

YEAR = utcnow().year + 1


def _page(client, event_id: int, language: str = "pl") -> str:
    return client.get(f"/events/{event_id}?lang={language}").text


def _call(html: str) -> str | None:
    """The text of the register button near the top, if there is one."""
    found = re.search(r'<a class="button[^"]*" href="#register">([^<]+)</a>', html)
    return found.group(1) if found else None


class TestTheRegisterButton:
    """Near the top, before the facts, so a phone shows it without scrolling."""

    def test_an_open_event_offers_to_register_and_leads_to_the_form(self, client, app):
        with app.app_context():
            event_id = make_event().id
            db.session.commit()
        html = _page(client, event_id)
        assert _call(html) == "Zapisz się"
        assert html.index('href="#register"') < html.index('<dl class="facts">')
        assert re.search(r'<div id="register"[^>]*>\s*<section class="register"', html)

    def test_a_full_event_with_a_waitlist_offers_the_waitlist(self, client, app):
        with app.app_context():
            event = make_event(capacity=1)
            make_registration(event)
            db.session.commit()
            event_id = event.id
        assert _call(_page(client, event_id)) == "Zapisz mnie na listę rezerwową"
        assert _call(_page(client, event_id, "en")) == "Join the waitlist"

    @pytest.mark.parametrize(
        "state",
        ["full without waitlist", "closed", "not open yet", "cancelled", "started"],
    )
    def test_no_button_where_nobody_can_register(self, client, app, state):
        now = utcnow()
        with app.app_context():
            if state == "full without waitlist":
                event = make_event(capacity=1, waitlist=False)
                make_registration(event)
            elif state == "closed":
                event = make_event(registration_closes_at=now - timedelta(hours=1))
            elif state == "not open yet":
                event = make_event(registration_opens_at=now + timedelta(days=2))
            elif state == "cancelled":
                event = make_event(status=EventStatus.CANCELLED)
            else:
                event = make_event(starts_at=now - timedelta(hours=1))
            db.session.commit()
            event_id = event.id
        html = _page(client, event_id)
        assert _call(html) is None
        assert 'href="#register"' not in html


class TestTheFacts:
    def test_where_links_the_address_to_a_map(self, client, app):
        with app.app_context():
            event_id = make_event(
                venue="Barbara", address="ul. Świdnicka 8b", city_slug="wroclaw"
            ).id
            db.session.commit()
        html = _page(client, event_id)
        assert (
            '<a href="https://www.openstreetmap.org/search?query='
            'ul.%20%C5%9Awidnicka%208b%2C%20Wroc%C5%82aw" rel="noopener noreferrer">'
            "Pokaż na mapie (OpenStreetMap)</a>"
        ) in html

    def test_hostile_address_stays_inside_the_map_link(self, client, app):
        with app.app_context():
            event_id = make_event(address='ul. "Długa" 1 & <b>2</b>?x=1#y').id
            db.session.commit()
        html = _page(client, event_id)
        link = re.search(r'href="(https://www\.openstreetmap\.org/search\?query=[^"]*)"', html)
        assert link is not None
        assert re.fullmatch(r"[A-Za-z0-9%._~/:?=&;-]+", link.group(1))
        assert "<b>2</b>" not in html

    def test_cost_is_free_unless_the_organisers_say_otherwise(self, client, app):
        with app.app_context():
            free = make_event().id
            paid = make_event(cost="150 zł, bez kosztów dojazdu").id
            db.session.commit()
        assert "<dt>Koszt</dt>\n    <dd>Udział bezpłatny</dd>" in _page(client, free)
        assert "<dt>Cost</dt>\n    <dd>Free of charge</dd>" in _page(client, free, "en")
        assert "<dd>150 zł, bez kosztów dojazdu</dd>" in _page(client, paid)

    def test_who_may_take_part_is_shown_when_the_organisers_say(self, client, app):
        with app.app_context():
            open_to_all = make_event().id
            narrowed = make_event(audience="Pracownicy instytucji kultury miast koalicji").id
            db.session.commit()
        assert "Kto może wziąć udział" not in _page(client, open_to_all)
        html = _page(client, narrowed)
        assert "<dt>Kto może wziąć udział</dt>" in html
        assert "<dd>Pracownicy instytucji kultury miast koalicji</dd>" in html

    def test_the_language_of_the_event(self, client, app):
        with app.app_context():
            polish = make_event().id
            english = make_event(language=EventLanguage.ENGLISH).id
            db.session.commit()
        assert "<dt>Język wydarzenia</dt>\n    <dd>polski</dd>" in _page(client, polish)
        assert "<dt>Język wydarzenia</dt>\n    <dd>angielski</dd>" in _page(client, english)
        assert "<dt>Language of the event</dt>\n    <dd>Polish</dd>" in _page(client, polish, "en")

    def test_registration_dates_read_as_the_british_write_them(self, client, app):
        with app.app_context():
            open_now = make_event(
                starts_at=datetime(YEAR, 3, 20, 10, 0, tzinfo=WARSAW),
                registration_closes_at=datetime(YEAR, 3, 1, 17, 0, tzinfo=WARSAW),
            ).id
            opens_later = make_event(
                starts_at=datetime(YEAR, 3, 20, 10, 0, tzinfo=WARSAW),
                registration_opens_at=datetime(YEAR, 2, 2, 9, 0, tzinfo=WARSAW),
            ).id
            db.session.commit()
        assert f"Open until 1 March {YEAR}, 17:00" in _page(client, open_now, "en")
        assert f"Otwarta do 1 marca {YEAR}, 17:00" in _page(client, open_now)
        assert f"Opens on 2 February {YEAR}, 09:00" in _page(client, opens_later, "en")

    def test_the_online_link_is_never_on_the_public_page(self, client, app):
        with app.app_context():
            event_id = make_event(online_url="https://meet.example.org/tajny-pokoj").id
            db.session.commit()
        for language in ("pl", "en"):
            html = _page(client, event_id, language)
            assert "meet.example.org" not in html
            assert "tajny-pokoj" not in html
        assert "Można też uczestniczyć online" in _page(client, event_id)
        assert client.get(f"/api/v1/events/{event_id}").get_json()["online_url"] is None


class TestPolishTextOnEnglishPages:
    """WCAG 3.1.2: a screen reader reads a Polish title on an English page as Polish."""

    @pytest.fixture
    def polish_event(self, app):
        with app.app_context():
            event_id = make_event(
                title="Wizyta studyjna: Łódź",
                summary="Dwa dni w Łodzi.",
                description="Spacer po **Księżym Młynie**.",
                audience="Pracownicy instytucji kultury",
                cost="150 zł",
                programme="10:00 Spacer | Zbiórka przy bramie",
                practical_information="Nocleg zapewnia organizator.",
                venue="EC1 Łódź – Miasto Kultury",
            ).id
            db.session.commit()
        return event_id

    def test_an_english_page_marks_each_polish_text(self, client, polish_event):
        html = _page(client, polish_event, "en")
        assert '<html lang="en">' in html
        assert '<h1 lang="pl">Wizyta studyjna: Łódź</h1>' in html
        assert '<p class="lead" lang="pl">Dwa dni w Łodzi.</p>' in html
        assert '<span class="place" lang="pl">EC1 Łódź – Miasto Kultury' in html
        assert '<dd lang="pl">Pracownicy instytucji kultury</dd>' in html
        assert '<dd lang="pl">150 zł</dd>' in html
        assert '<div class="prose" lang="pl"><p>Spacer po <strong>' in html
        assert '<span class="programme__title" lang="pl">Spacer</span>' in html
        assert '<div class="prose" lang="pl"><p>Nocleg' in html
        assert "The organisers wrote about this event in Polish." in html
        # What the page itself says stays English.
        assert '<h2 id="programme-heading">Programme</h2>' in html

    def test_a_polish_page_marks_nothing_and_needs_no_note(self, client, polish_event):
        html = _page(client, polish_event)
        assert 'lang="pl"' not in html.replace('<html lang="pl">', "").replace(
            '<span aria-current="true" lang="pl">', ""
        )
        assert "Organizatorzy opisali" not in html

    def test_an_english_event_is_marked_on_the_polish_page(self, client, app):
        with app.app_context():
            event_id = make_event(
                title="Expert meeting: artist residencies",
                description="Talks with curators from Vilnius and Lviv.",
                language=EventLanguage.ENGLISH,
            ).id
            db.session.commit()
        polish = _page(client, event_id)
        assert '<h1 lang="en">Expert meeting: artist residencies</h1>' in polish
        assert "Organizatorzy opisali to wydarzenie po angielsku." in polish
        english = _page(client, event_id, "en")
        assert "<h1>Expert meeting: artist residencies</h1>" in english
        assert "The organisers wrote" not in english

    def test_the_list_marks_polish_titles_and_summaries_on_english_pages(
        self, client, polish_event
    ):
        html = client.get("/?lang=en").text
        assert re.search(r'<h2 class="event-card__title" lang="pl"><a [^>]*>Wizyta studyjna', html)
        assert '<p class="event-card__summary" lang="pl">Dwa dni w Łodzi.</p>' in html
        assert 'class="event-card__title" lang' not in client.get("/?lang=pl").text


class TestSubscribing:
    def test_the_list_offers_a_feed_narrowed_to_the_chosen_type_and_city(self, client, app):
        with app.app_context():
            make_event(city_slug="lublin")
            db.session.commit()
        month = (utcnow() + timedelta(days=14)).astimezone(WARSAW).strftime("%Y-%m")
        html = client.get(f"/?type=seminar&city=lublin&month={month}").text
        section = re.search(r'<details class="subscribe-filtered">.*?</details>', html, re.S)
        assert section is not None
        assert "Subskrybuj te wydarzenia w swoim kalendarzu" in section.group(0)
        assert (
            'href="webcal://koalicja.example.org/calendar.ics?type=seminar&amp;city=lublin"'
        ) in section.group(0)
        assert "month" not in section.group(0).split("</summary>")[1].split("<ul")[1]
        assert "Kalendarz obejmuje wszystkie miesiące" in section.group(0)

    def test_the_list_without_filters_offers_every_event(self, client, app):
        html = client.get("/").text
        assert "Subskrybuj wszystkie wydarzenia w swoim kalendarzu" in html
        assert 'href="webcal://koalicja.example.org/calendar.ics"' in html

    def test_the_event_page_offers_the_event_and_every_event(self, client, app):
        with app.app_context():
            event_id = make_event().id
            db.session.commit()
        html = _page(client, event_id)
        section = re.search(r'<section class="add-to-calendar".*?</section>', html, re.S).group(0)
        assert f'href="/events/{event_id}/calendar.ics" download' in section
        assert "calendar.google.com/calendar/render?action=TEMPLATE" in section
        assert '<details class="subscribe-all">' in section
        assert 'href="webcal://koalicja.example.org/calendar.ics"' in section
