"""Back-office event pages: the list, create, edit, publish, cancel, duplicate."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from registration.accounts.models import AuditEntry
from registration.database import utcnow
from registration.events.models import Event, EventStatus
from registration.extensions import db
from registration.notifications.models import MessageKind, OutboxMessage
from registration.registrations.models import Registration, RegistrationStatus
from registration.registrations.services import cancel
from tests.factories import PASSWORD, city, make_account, make_event, make_registration

YEAR = utcnow().year + 1


def form(app, **overrides) -> dict:
    """The event form as a browser posts it (Polish dates, Warsaw time)."""
    with app.app_context():
        wroclaw = city("wroclaw").id
    values = {
        "type": "seminar",
        "title": "Seminarium: publiczność instytucji kultury",
        "summary": "Jak miasta mierzą publiczność.",
        "description": "Pierwszy akapit.\r\n\r\nDrugi akapit.",
        "city": str(wroclaw),
        "venue": "Wrocławski Dom Literatury",
        "address": "Przejście Żelazne 1",
        "online_url": "",
        "starts_at": f"10.03.{YEAR} 10:00",
        "ends_at": f"10.03.{YEAR} 15:30",
        "capacity": "25",
        "waitlist": "y",
        "registration_opens_at": "",
        "registration_closes_at": "",
        "contact_email": "koalicja@example.org",
    }
    values.update(overrides)
    return {key: value for key, value in values.items() if value is not None}


class _FormReader(HTMLParser):
    """What a browser would send back from the page's event form, untouched."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._in_form = False
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and attributes.get("class") == "event-form":
            self._in_form = True
        if not self._in_form:
            return
        name = attributes.get("name")
        if tag == "input" and name and name != "csrf_token":
            if attributes.get("type") != "checkbox" or "checked" in attributes:
                self.values[name] = attributes.get("value") or ""
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in attributes:
            self.values[self._select] = attributes["value"]
        elif tag == "textarea":
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def edit_form(client, event_id: int) -> dict:
    """The edit form's current values, as a browser sends them back unchanged."""
    reader = _FormReader()
    reader.feed(client.get(f"/organiser/events/{event_id}/edit").text)
    # Browsers drop the one newline that follows <textarea>, as HTML says.
    reader.values["description"] = reader.values["description"].removeprefix("\n")
    return reader.values


def one_event(app, event_id: int) -> Event:
    with app.app_context():
        event = db.session.get(Event, event_id)
        db.session.expunge(event)
        return event


def outbox(app, kind: MessageKind) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(OutboxMessage.registration_id)
                .where(OutboxMessage.kind == kind)
                .order_by(OutboxMessage.id)
            )
        )


def audit_actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


@pytest.fixture
def events(app) -> dict[str, int]:
    """Wrocław: a published event with two seats taken, one waiting and one cancelled, and a
    draft; Gdańsk: one event."""
    with app.app_context():
        published = make_event(title="Seminarium we Wrocławiu", capacity=2)
        people = [make_registration(published) for _ in range(4)]
        cancel(people[3])
        draft = make_event(title="Szkic wizyty", status=EventStatus.DRAFT)
        gdansk = make_event(title="Spotkanie w Gdańsku", city_slug="gdansk")
        db.session.commit()
        return {"published": published.id, "draft": draft.id, "gdansk": gdansk.id}


PAGES = [
    "/organiser/events",
    "/organiser/events/new",
    "/organiser/events/{id}/edit",
    "/organiser/events/{id}/cancel",
    "/organiser/audit",
]
ACTIONS = [
    "/organiser/events/new",
    "/organiser/events/{id}/edit",
    "/organiser/events/{id}/publish",
    "/organiser/events/{id}/cancel",
    "/organiser/events/{id}/duplicate",
]


class TestWhoMayDoWhat:
    def test_anonymous_visitors_are_sent_to_sign_in(self, app, client, events):
        for url in PAGES:
            response = client.get(url.format(id=events["draft"]))
            assert response.status_code == 302, url
            assert response.headers["Location"].startswith("/organiser/login?next="), url
        for url in ACTIONS:
            response = client.post(url.format(id=events["draft"]), data=form(app, title="Obcy"))
            assert response.status_code == 302, url
            assert response.headers["Location"].startswith("/organiser/login?next="), url
        assert one_event(app, events["draft"]).status == EventStatus.DRAFT
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count(Event.id))) == 3
        assert audit_actions(app) == []

    @pytest.mark.parametrize("which", ["published", "draft"])
    def test_an_organiser_of_another_city_gets_403_and_changes_nothing(
        self, app, client, signed_in, events, which
    ):
        """Guessing the id of another city's event, even a draft, leads nowhere."""
        signed_in("gdansk@example.org", city_slug="gdansk")
        before = one_event(app, events[which])
        for url in (page for page in PAGES if "{id}" in page):
            assert client.get(url.format(id=events[which])).status_code == 403, url
        for url in (action for action in ACTIONS if "{id}" in action):
            response = client.post(url.format(id=events[which]), data=form(app, title="Przejęte"))
            assert response.status_code == 403, url
        after = one_event(app, events[which])
        assert (after.title, after.status, after.sequence) == (
            before.title,
            before.status,
            before.sequence,
        )
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count(Event.id))) == 3
        assert audit_actions(app) == ["account.login"]
        assert outbox(app, MessageKind.EVENT_CANCELLED) == []

    def test_unknown_events_are_404(self, client, signed_in, events):
        signed_in()
        assert client.get("/organiser/events/999999/edit").status_code == 404
        assert client.post("/organiser/events/999999/publish").status_code == 404

    def test_an_admin_may_open_every_page_in_every_city(self, client, signed_in, events):
        signed_in("admin@example.org", role="admin", city_slug=None)
        for url in PAGES:
            assert client.get(url.format(id=events["gdansk"])).status_code == 200, url

    def test_the_navigation_links_events_and_the_audit_log(self, client, signed_in):
        signed_in("admin@example.org", role="admin", city_slug=None)
        html = client.get("/organiser/?lang=en").text
        assert '<a href="/organiser/events">Events</a>' in html
        assert '<a href="/organiser/audit">Audit log</a>' in html


class TestList:
    def test_shows_own_city_with_drafts_seats_taken_and_waitlist(self, client, signed_in, events):
        signed_in()
        html = client.get("/organiser/events?lang=en").text
        assert "Seminarium we Wrocławiu" in html
        assert "Szkic wizyty" in html
        assert "Spotkanie w Gdańsku" not in html
        row = re.search(r"Seminarium we Wrocławiu.*?</tr>", html, re.S).group(0)
        assert "<td>2 / 2</td>" in row
        assert "<td>1</td>" in row  # one waiting; the one who cancelled is not counted
        assert f'action="/organiser/events/{events["draft"]}/publish"' in html
        assert f'action="/organiser/events/{events["published"]}/publish"' not in html

    def test_upcoming_or_past(self, app, client, signed_in, events):
        with app.app_context():
            make_event(title="Minione seminarium", starts_at=utcnow() - timedelta(days=3))
            db.session.commit()
        signed_in()
        upcoming = client.get("/organiser/events").text
        past = client.get("/organiser/events?when=past").text
        assert "Minione seminarium" not in upcoming
        assert "Minione seminarium" in past
        assert "Szkic wizyty" not in past
        assert 'href="/organiser/events?when=past" aria-current="page"' in past

    def test_an_admin_sees_every_city(self, client, signed_in, events):
        signed_in("admin@example.org", role="admin", city_slug=None)
        html = client.get("/organiser/events").text
        assert "Spotkanie w Gdańsku" in html
        assert "Szkic wizyty" in html


class TestCreating:
    def test_the_form_offers_only_the_organisers_city(self, client, signed_in):
        signed_in()
        html = client.get("/organiser/events/new?lang=en").text
        options = re.search(r'<select[^>]*id="city".*?</select>', html, re.S).group(0)
        assert re.findall(r"<option[^>]*>([^<]+)</option>", options) == ["Wrocław"]
        assert re.search(r'<label for="starts_at">Starts</label>', html)
        assert "Day.month.year hour:minute, e.g. 10.03.2027 09:30." in html
        assert 'value="organiser@example.org"' in html

    def test_saves_a_draft_in_warsaw_time_and_records_it(self, app, client, signed_in):
        signed_in()
        response = client.post(
            "/organiser/events/new?lang=en",
            data=form(app, starts_at=f"1.07.{YEAR} 9:00", ends_at=f"01.07.{YEAR}, 17.00"),
        )
        assert response.status_code == 303
        with app.app_context():
            event = db.session.scalars(sa.select(Event)).one()
            assert response.headers["Location"] == f"/organiser/events/{event.id}/edit"
            assert event.status == EventStatus.DRAFT
            assert event.slug == "seminarium-publicznosc-instytucji-kultury"
            assert event.starts_at == datetime(YEAR, 7, 1, 7, 0, tzinfo=UTC)  # CEST
            assert event.capacity == 25
            assert event.waitlist is True
            assert event.online_url is None
            assert event.description == "Pierwszy akapit.\r\n\r\nDrugi akapit."
        assert audit_actions(app)[-1] == "event.create"
        page = client.get(response.headers["Location"]).text
        assert "The event is saved as a draft." in page

    def test_winter_times_are_read_as_cet(self, app, client, signed_in):
        signed_in()
        client.post("/organiser/events/new", data=form(app))
        with app.app_context():
            event = db.session.scalars(sa.select(Event)).one()
            assert event.starts_at == datetime(YEAR, 3, 10, 9, 0, tzinfo=UTC)

    def test_another_citys_id_is_refused(self, app, client, signed_in):
        signed_in()
        with app.app_context():
            gdansk = city("gdansk").id
        response = client.post("/organiser/events/new", data=form(app, city=str(gdansk)))
        assert response.status_code == 422
        assert "Wybierz jedną z opcji." in response.text
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count(Event.id))) == 0

    def test_an_admin_may_create_in_any_city(self, app, client, signed_in):
        signed_in("admin@example.org", role="admin", city_slug=None)
        with app.app_context():
            gdansk = city("gdansk").id
        assert client.post("/organiser/events/new", data=form(app, city=str(gdansk))).status_code
        with app.app_context():
            assert db.session.scalars(sa.select(Event)).one().city.slug == "gdansk"

    def test_missing_fields_are_named_in_polish(self, app, client, signed_in):
        signed_in()
        response = client.post("/organiser/events/new", data=form(app, title="", starts_at=""))
        assert response.status_code == 422
        html = response.text
        assert '<div class="error-summary" role="alert"' in html
        assert "Wystąpił problem" in html
        assert re.search(r'<a href="#title">[^<]*: To pole jest wymagane.</a>', html)
        assert re.search(r'<a href="#starts_at">[^<]*: To pole jest wymagane.</a>', html)
        assert 'aria-describedby="title-error"' in html
        assert 'aria-invalid="true"' in html

    def test_a_rule_broken_is_shown_next_to_its_field_in_english(self, app, client, signed_in):
        signed_in()
        response = client.post(
            "/organiser/events/new?lang=en",
            data=form(app, ends_at=f"10.03.{YEAR} 09:00"),
        )
        assert response.status_code == 422
        assert re.search(
            r'<p class="field-error" id="ends_at-error">The event must end after it starts.</p>',
            response.text,
        )
        assert '<a href="#ends_at">Ends: The event must end after it starts.</a>' in response.text
        assert "Error: New event" in response.text
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count(Event.id))) == 0

    def test_a_malformed_time_and_number_are_explained(self, app, client, signed_in):
        signed_in()
        response = client.post(
            "/organiser/events/new?lang=en",
            data=form(app, starts_at="jutro", capacity="dużo"),
        )
        assert response.status_code == 422
        assert "Enter a date and time" in response.text
        assert "Enter a whole number." in response.text

    def test_each_limit_is_explained_next_to_its_field(self, app, client, signed_in):
        """The same rules as the API, in one place (events.services), shown field by field."""
        signed_in()
        response = client.post(
            "/organiser/events/new",
            data=form(
                app,
                description="x" * 20_001,
                capacity="100001",
                registration_opens_at="1999-12-01T10:00",
                contact_email="koalicja@example..org",
            ),
        )
        assert response.status_code == 422
        errors = dict(
            re.findall(r'<p class="field-error" id="(\w+)-error">([^<]*)</p>', response.text)
        )
        assert errors == {
            "description": "Skróć opis do najwyżej 20\xa0000 znaków.",
            "capacity": "Podaj liczbę miejsc od 0 do 100\xa0000.",
            "registration_opens_at": "Podaj datę z lat 2000–2100.",
            "contact_email": "Podaj poprawny adres e-mail, np. imie@example.org.",
        }
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count(Event.id))) == 0


class TestEditing:
    def test_the_form_shows_the_event_in_warsaw_time(self, app, client, signed_in):
        with app.app_context():
            event = make_event(starts_at=datetime(YEAR, 3, 10, 9, 0, tzinfo=UTC))
            db.session.commit()
            event_id = event.id
        signed_in()
        html = client.get(f"/organiser/events/{event_id}/edit").text
        assert f'value="10.03.{YEAR} 10:00"' in html

    def test_saving_unchanged_moves_nothing(self, app, client, signed_in, events):
        """A time shown to the minute must not count as a change (it would email everyone)."""
        signed_in()
        values = edit_form(client, events["published"])
        response = client.post(f"/organiser/events/{events['published']}/edit", data=values)
        assert response.status_code == 303, response.text
        assert one_event(app, events["published"]).sequence == 0
        assert outbox(app, MessageKind.EVENT_CHANGED) == []
        assert audit_actions(app) == ["account.login"]

    def test_a_new_time_bumps_sequence_and_tells_each_active_person_once(
        self, app, client, signed_in, events
    ):
        signed_in()
        values = edit_form(client, events["published"])
        values["starts_at"] = f"{YEAR}-05-05T10:00"
        values["ends_at"] = f"{YEAR}-05-05T12:00"
        response = client.post(f"/organiser/events/{events['published']}/edit", data=values)
        assert response.status_code == 303
        assert one_event(app, events["published"]).sequence == 1
        with app.app_context():
            active = list(
                db.session.scalars(
                    sa.select(Registration.id)
                    .where(
                        Registration.event_id == events["published"],
                        Registration.status != RegistrationStatus.CANCELLED,
                    )
                    .order_by(Registration.id)
                )
            )
        assert len(active) == 3
        assert outbox(app, MessageKind.EVENT_CHANGED) == active
        assert audit_actions(app)[-1] == "event.update"

    def test_the_saved_message_says_how_many_people_were_told(self, app, client, signed_in, events):
        signed_in()
        values = edit_form(client, events["published"])
        values["venue"] = "Centrum Historii Zajezdnia"
        client.post(f"/organiser/events/{events['published']}/edit", data=values)
        page = client.get(f"/organiser/events/{events['published']}/edit").text
        assert "Zapisano zmiany. Powiadomiliśmy o zmianie 3 osoby." in page
        values["venue"] = "Wrocławski Dom Literatury"
        client.post(f"/organiser/events/{events['published']}/edit?lang=en", data=values)
        page = client.get(f"/organiser/events/{events['published']}/edit?lang=en").text
        assert "The changes are saved. We have told 3 people about the change." in page

    def test_a_draft_moved_tells_nobody_and_says_nothing_of_telling(
        self, app, client, signed_in, events
    ):
        signed_in()
        values = edit_form(client, events["draft"])
        values["venue"] = "Centrum Historii Zajezdnia"
        client.post(f"/organiser/events/{events['draft']}/edit", data=values)
        page = client.get(f"/organiser/events/{events['draft']}/edit").text
        assert "Zmiany zostały zapisane." in page
        assert "Powiadomiliśmy" not in page
        assert outbox(app, MessageKind.EVENT_CHANGED) == []

    def test_a_new_title_tells_nobody(self, app, client, signed_in, events):
        signed_in()
        values = edit_form(client, events["published"])
        values["title"] = "Nowy tytuł seminarium"
        client.post(f"/organiser/events/{events['published']}/edit", data=values)
        event = one_event(app, events["published"])
        assert (event.title, event.sequence) == ("Nowy tytuł seminarium", 0)
        assert outbox(app, MessageKind.EVENT_CHANGED) == []

    def test_capacity_below_the_confirmed_seats_is_refused_in_polish(
        self, app, client, signed_in, events
    ):
        """A conflict with the seats taken, as the API answers it (409), beside the field."""
        signed_in()
        values = edit_form(client, events["published"])
        values.update(capacity="1", title="Nie zapisze się")
        response = client.post(f"/organiser/events/{events['published']}/edit", data=values)
        assert response.status_code == 409
        assert re.search(
            r'id="capacity-error">Liczba miejsc nie może być mniejsza niż liczba '
            r"potwierdzonych zgłoszeń.</p>",
            response.text,
        )
        event = one_event(app, events["published"])
        assert (event.capacity, event.title) == (2, "Seminarium we Wrocławiu")

    def test_raising_capacity_promotes_the_first_in_line(self, app, client, signed_in, events):
        signed_in()
        values = edit_form(client, events["published"])
        values["capacity"] = "3"
        client.post(f"/organiser/events/{events['published']}/edit", data=values)
        with app.app_context():
            statuses = db.session.scalars(
                sa.select(Registration.status)
                .where(Registration.event_id == events["published"])
                .order_by(Registration.id)
            ).all()
        assert statuses == ["confirmed"] * 3 + ["cancelled"]
        assert len(outbox(app, MessageKind.PROMOTED)) == 1


class TestStatusButtons:
    def test_publishing_a_draft_tells_nobody_and_returns_to_the_list(
        self, app, client, signed_in, events
    ):
        signed_in()
        response = client.post(
            f"/organiser/events/{events['draft']}/publish?lang=en",
            data={"next": "/organiser/events?when=upcoming"},
        )
        assert (response.status_code, response.headers["Location"]) == (
            303,
            "/organiser/events?when=upcoming",
        )
        assert one_event(app, events["draft"]).status == EventStatus.PUBLISHED
        assert "The event is published." in client.get("/organiser/events").text
        assert outbox(app, MessageKind.EVENT_CHANGED) == []
        assert audit_actions(app)[-1] == "event.publish"

    def test_publishing_never_goes_to_another_site(self, client, signed_in, events):
        signed_in()
        response = client.post(
            f"/organiser/events/{events['draft']}/publish", data={"next": "//evil.example"}
        )
        assert response.headers["Location"] == f"/organiser/events/{events['draft']}/edit"

    def test_cancelling_asks_first_then_tells_everyone_once(self, app, client, signed_in, events):
        signed_in()
        url = f"/organiser/events/{events['published']}/cancel"
        page = client.get(url + "?lang=en").text
        assert "2 people with a seat will get an email" in page
        assert "1 person on the waitlist will get it too." in page
        assert f'<form method="post" action="{url}"' in page
        assert 'name="csrf_token"' in page
        assert one_event(app, events["published"]).status == EventStatus.PUBLISHED
        response = client.post(url)
        assert response.status_code == 303
        event = one_event(app, events["published"])
        assert (event.status, event.sequence) == (EventStatus.CANCELLED, 1)
        assert len(outbox(app, MessageKind.EVENT_CANCELLED)) == 3
        client.post(url)
        assert len(outbox(app, MessageKind.EVENT_CANCELLED)) == 3
        assert audit_actions(app).count("event.cancel") == 1

    def test_a_reason_for_cancelling_goes_to_everyone_told_and_the_audit_log(
        self, app, client, signed_in, events
    ):
        signed_in()
        url = f"/organiser/events/{events['published']}/cancel"
        page = client.get(url).text
        assert '<label for="reason">Powód (opcjonalnie)</label>' in page
        assert 'maxlength="1000"' in page
        reason = "Sala zalana.\r\n\r\nPrzepraszamy <b>bardzo</b>."
        response = client.post(url, data={"reason": "  " + reason + "\n"})
        assert response.status_code == 303
        flashed = client.get(response.headers["Location"]).text
        assert "Wydarzenie zostało odwołane. Wysyłamy wiadomość o tym 3 osobom." in flashed
        expected = "Sala zalana.\n\nPrzepraszamy <b>bardzo</b>."
        with app.app_context():
            contexts = db.session.scalars(
                sa.select(OutboxMessage.context).where(
                    OutboxMessage.kind == MessageKind.EVENT_CANCELLED
                )
            ).all()
            entry = db.session.scalars(
                sa.select(AuditEntry).where(AuditEntry.action == "event.cancel")
            ).one()
            assert entry.details["reason"] == expected
        assert [context["reason"] for context in contexts] == [expected] * 3

    def test_cancelling_without_a_reason_adds_none(self, app, client, signed_in, events):
        signed_in()
        client.post(f"/organiser/events/{events['published']}/cancel", data={"reason": "  "})
        with app.app_context():
            contexts = db.session.scalars(
                sa.select(OutboxMessage.context).where(
                    OutboxMessage.kind == MessageKind.EVENT_CANCELLED
                )
            ).all()
            entry = db.session.scalars(
                sa.select(AuditEntry).where(AuditEntry.action == "event.cancel")
            ).one()
            assert "reason" not in entry.details
        assert len(contexts) == 3
        assert not any("reason" in context for context in contexts)

    def test_cancelling_an_event_nobody_registered_for_says_nobody_is_emailed(
        self, app, client, signed_in
    ):
        with app.app_context():
            empty = make_event(title="Pusto").id
            db.session.commit()
        signed_in()
        response = client.post(f"/organiser/events/{empty}/cancel?lang=en")
        page = client.get(response.headers["Location"]).text
        assert "The event is cancelled. Nobody was registered, so nobody is emailed." in page

    @pytest.mark.parametrize(
        ("reason", "message"),
        [
            ("x" * 1001, "Skróć tekst do najwyżej 1\N{NO-BREAK SPACE}000 znaków."),
            ("Sala\x00zalana", "Usuń znaki specjalne."),
        ],
    )
    def test_a_reason_too_long_or_with_control_characters_cancels_nothing(
        self, app, client, signed_in, events, reason, message
    ):
        signed_in()
        url = f"/organiser/events/{events['published']}/cancel"
        response = client.post(url, data={"reason": reason})
        assert response.status_code == 422
        assert f'<p class="field-error" id="reason-error">{message}</p>' in response.text
        assert 'aria-invalid="true"' in response.text
        assert one_event(app, events["published"]).status == EventStatus.PUBLISHED
        assert outbox(app, MessageKind.EVENT_CANCELLED) == []

    def test_duplicating_opens_a_new_draft(self, app, client, signed_in, events):
        signed_in()
        response = client.post(f"/organiser/events/{events['published']}/duplicate")
        assert response.status_code == 303
        with app.app_context():
            copy = db.session.scalars(sa.select(Event).order_by(Event.id.desc())).first()
            assert response.headers["Location"] == f"/organiser/events/{copy.id}/edit"
            assert copy.title == "Kopia: Seminarium we Wrocławiu"
            assert copy.status == EventStatus.DRAFT
            registered = sa.select(Registration.id).where(Registration.event_id == copy.id)
            assert db.session.scalars(registered).all() == []
        assert audit_actions(app)[-1] == "event.duplicate"

    def test_buttons_need_the_csrf_token(self, make_app, events):
        app = make_app(WTF_CSRF_ENABLED=True)
        client = app.test_client()
        login = client.get("/organiser/login").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
        with app.app_context():
            make_account()
            db.session.commit()
        client.post(
            "/organiser/login",
            data={
                "csrf_token": token,
                "email": "organiser@example.org",
                "password": PASSWORD,
            },
        )
        response = client.post(f"/organiser/events/{events['draft']}/publish")
        assert response.status_code == 400
        assert one_event(app, events["draft"]).status == EventStatus.DRAFT
        page = client.get("/organiser/events").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        response = client.post(
            f"/organiser/events/{events['draft']}/publish", data={"csrf_token": token}
        )
        assert response.status_code == 303
        assert one_event(app, events["draft"]).status == EventStatus.PUBLISHED


def allocations(*seats: str) -> dict[str, str]:
    """The seven cities' inputs as a browser sends them, in Polish alphabetical order."""
    typed = [*seats, *[""] * (7 - len(seats))]
    return {f"allocations-{index}": value for index, value in enumerate(typed)}


class TestCoalitionRules:
    """The event form sets approval, the institution cap and the cities' allocations."""

    def test_saves_allocations_per_city_and_shows_them_again(self, app, client, signed_in):
        signed_in()
        values = form(
            app,
            approval="y",
            institution_cap="2",
            allocation_release_at=f"01.03.{YEAR} 12:00",
            **allocations("4", "", "", "3"),  # Gdańsk, Łódź
        )
        response = client.post("/organiser/events/new", data=values)
        assert response.status_code == 303, response.text
        with app.app_context():
            event = db.session.scalars(sa.select(Event)).one()
            assert {a.city.slug: a.seats for a in event.allocations} == {"gdansk": 4, "lodz": 3}
            assert (event.approval, event.institution_cap) == (True, 2)
            event_id = event.id
        again = edit_form(client, event_id)
        assert (again["allocations-0"], again["allocations-3"], again["allocations-1"]) == (
            "4",
            "3",
            "",
        )
        assert client.post(f"/organiser/events/{event_id}/edit", data=again).status_code == 303
        assert audit_actions(app) == ["account.login", "event.create"]

    def test_allocations_beyond_the_capacity_are_explained(self, app, client, signed_in):
        signed_in()
        values = form(app, capacity="5", **allocations("4", "4"))
        response = client.post("/organiser/events/new", data=values)
        assert response.status_code == 422
        assert "Pule miast łącznie nie mogą przekraczać liczby miejsc" in response.text

    def test_a_negative_allocation_is_explained_beside_its_city(self, app, client, signed_in):
        signed_in()
        response = client.post("/organiser/events/new", data=form(app, **allocations("", "", "-1")))
        assert response.status_code == 422
        assert "Lublin: Podaj liczbę miejsc" in response.text

    def test_every_citys_input_must_be_sent(self, app, client, signed_in):
        signed_in()
        response = client.post("/organiser/events/new", data=form(app, **{"allocations-2": "3"}))
        assert response.status_code == 422
        assert "Podaj liczbę miejsc zarezerwowanych dla każdego miasta" in response.text
        assert client.get("/organiser/events").text.count("Seminarium: publiczność") == 0
