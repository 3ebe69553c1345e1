"""The audit log reads as sentences in Polish and English, in Warsaw time; it is filtered by
event, person, action and day, paged, and downloaded; an organiser reads only what
concerns their own city's events."""

from __future__ import annotations

import codecs
import csv
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from babel.dates import format_date
from bs4 import BeautifulSoup
from flask_babel import force_locale

from registration.accounts import audit
from registration.accounts.models import Account, AuditEntry
from registration.accounts.services import record
from registration.database import utcnow
from registration.events import services as events
from registration.events.models import Event
from registration.extensions import db
from registration.i18n import WARSAW
from registration.privacy import retention
from registration.registrations import services as registrations
from registration.registrations.models import Registration
from tests.factories import make_account, make_event, make_registration

ADMIN = "admin@example.org"
WROCLAW_ORGANISER = "organiser@example.org"
SOURCE = Path(__file__).parents[2] / "registration"
PATHS = ("/organiser/audit", "/organiser/audit.csv", "/organiser/audit.xlsx")

#: Actions being added beside this work; each must read as a sentence from the start.
ACTIONS_ON_THE_WAY = {
    "account.invite",
    "account.update",
    "account.deactivate",
    "account.reactivate",
    "account.password_changed",
    "account.password_reset",
    "token.create",
    "token.revoke",
    "registration.check_in_undone",
    "registration.import",
    "message.resend",
}


def recorded_actions() -> set[str]:
    """Every action string the source gives an audit entry: ``record(who, "x.y"…)``,
    ``action="x.y"`` and the event service's ``_action`` choices."""
    found = set()
    for path in SOURCE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(r"\brecord\(\s*[^,()]+,\s*\"([a-z_]+\.[a-z_]+)\"", text))
        found |= set(re.findall(r"\baction=\"([a-z_]+\.[a-z_]+)\"", text))
        found |= set(re.findall(r"return \"(event\.[a-z_]+)\"", text))
    return found


def sign_in_as(signed_in, email: str) -> int:
    if email == ADMIN:
        return signed_in(ADMIN, role="admin", city_slug=None)
    city = "gdansk" if "gdansk" in email else "wroclaw"
    return signed_in(email, city_slug=city)


def page_of(client, url: str) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == 200, response.text
    return BeautifulSoup(response.text, "html.parser")


def sentences(page: BeautifulSoup) -> list[str]:
    return [" ".join(cell.get_text().split()) for cell in page.select(".audit-sentence")]


def phrases(page: BeautifulSoup) -> list[str]:
    return [item.get_text() for item in page.select(".audit-details li")]


def at(entry_action: str, when: datetime) -> None:
    """Give the (one) entry of this action the time ``when``."""
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == entry_action)).one()
    entry.created_at = when


@pytest.fixture
def scene(app):
    """A Wrocław and a Gdańsk event, their organisers and an admin, a person in each."""
    with app.app_context():
        wroclaw = make_event(title="Seminarium we Wrocławiu", capacity=1)
        gdansk = make_event(title="Spotkanie w Gdańsku", city_slug="gdansk")
        zofia = make_registration(wroclaw, name="Zofia Wiśniewska", email="zofia@example.org")
        jan = make_registration(wroclaw, name="Jan Kowalski", email="jan@example.org")
        piotr = make_registration(gdansk, name="Piotr Gdański", email="piotr@example.org")
        db.session.commit()
        return {
            "wroclaw": wroclaw.id,
            "gdansk": gdansk.id,
            "zofia": zofia.id,
            "jan": jan.id,
            "piotr": piotr.id,
        }


def today_in_polish() -> str:
    """The day a check-in made in a test is recorded for, as the Polish log says it."""
    return format_date(datetime.now(WARSAW).date(), "d MMMM y", locale="pl")


def account(email: str) -> Account:
    return db.session.scalars(sa.select(Account).where(Account.email == email)).one()


class TestEveryActionHasWords:
    def test_every_action_recorded_anywhere_has_a_sentence(self):
        actions = recorded_actions()
        assert {"event.publish", "registration.check_in", "privacy.exported"} <= actions
        assert actions - audit.KINDS.keys() == set()

    def test_the_actions_being_added_elsewhere_have_sentences_too(self):
        assert ACTIONS_ON_THE_WAY - audit.KINDS.keys() == set()

    @pytest.mark.parametrize("action", sorted(audit.KINDS))
    def test_each_reads_in_polish_and_in_english(self, ctx, action):
        kind = audit.KINDS[action]
        words = {}
        for language in ("pl", "en"):
            with force_locale(language):
                sentence = str(kind.sentence) % {"actor": "A", "person": "P", "action": action}
                words[language] = (str(kind.label), sentence)
        assert words["pl"] != words["en"]
        assert words["pl"][0] != words["en"][0]
        for label, sentence in words.values():
            assert "%(" not in sentence
            assert label
            assert "." not in label

    def test_an_unknown_action_still_reads(self, ctx):
        entry = AuditEntry(action="mail.bounced", details={"address": "x@example.org"})
        with force_locale("en"):
            described = audit.describe(entry, audit.Context())
        assert described.sentence == "The system: mail.bounced"
        assert described.details == ["address: x@example.org"]


class TestSentences:
    def test_a_move_to_the_waitlist_names_the_actor_city_person_and_event(
        self, app, client, signed_in, scene
    ):
        sign_in_as(signed_in, WROCLAW_ORGANISER)
        with app.app_context():
            zofia = db.session.get(Registration, scene["zofia"])
            registrations.move_to_waitlist(zofia, account=account(WROCLAW_ORGANISER))
            db.session.commit()
        english = page_of(client, "/organiser/audit?lang=en&action=registration.move_to_waitlist")
        assert sentences(english) == [
            "organiser@example.org (Wrocław) moved Zofia Wiśniewska to the waitlist"
            " — Seminarium we Wrocławiu"
        ]
        assert phrases(english) == ["The seat went to: Jan Kowalski"]
        link = english.select_one(".audit-sentence a")
        assert link["href"] == f"/organiser/events/{scene['wroclaw']}/attendees"
        polish = page_of(client, "/organiser/audit?lang=pl&action=registration.move_to_waitlist")
        assert sentences(polish) == [
            "organiser@example.org (Wrocław) — przeniesiono na listę rezerwową: Zofia Wiśniewska"
            " — Seminarium we Wrocławiu"
        ]
        assert phrases(polish) == ["Miejsce otrzymała osoba: Jan Kowalski"]
        assert polish.select_one(".audit-kind").get_text() == "Przeniesienie na listę rezerwową"

    def test_an_organiser_with_a_name_is_named_by_it(self, app, client, signed_in, scene):
        """The issue's own example: "Anna Nowak (Poznań) — przeniesiono…"."""
        sign_in_as(signed_in, WROCLAW_ORGANISER)
        with app.app_context():
            organiser = account(WROCLAW_ORGANISER)
            organiser.name = "Anna Nowak"
            zofia = db.session.get(Registration, scene["zofia"])
            registrations.move_to_waitlist(zofia, account=organiser)
            db.session.commit()
        polish = page_of(client, "/organiser/audit?lang=pl&action=registration.move_to_waitlist")
        assert sentences(polish) == [
            "Anna Nowak (Wrocław) — przeniesiono na listę rezerwową: Zofia Wiśniewska"
            " — Seminarium we Wrocławiu"
        ]

    def test_an_event_change_says_each_field_from_and_to(self, app, client, signed_in, scene):
        sign_in_as(signed_in, ADMIN)
        with app.app_context():
            event = db.session.get(Event, scene["wroclaw"])
            starts = datetime(2031, 7, 1, 8, 0, tzinfo=UTC)
            changes = {"capacity": 25, "starts_at": starts, "ends_at": starts + timedelta(hours=2)}
            changes["description"] = "Nowy opis."
            changes["title"] = "Seminarium we Wrocławiu, drugie"
            events.update_event(event, changes, account=account(ADMIN))
            db.session.commit()
        page = page_of(client, "/organiser/audit?lang=en&action=event.update")
        assert sentences(page) == [
            "admin@example.org changed the event — Seminarium we Wrocławiu, drugie"
        ]
        details = phrases(page)
        assert "Number of seats: 1 → 25" in details
        assert any(re.fullmatch(r"Starts: .* → 1 July 2031, 10:00", d) for d in details)
        assert "Description changed" in details
        assert "Title: “Seminarium we Wrocławiu” → “Seminarium we Wrocławiu, drugie”" in details
        polish = page_of(client, "/organiser/audit?lang=pl&action=event.update")
        assert "Liczba miejsc: 1 → 25" in phrases(polish)
        assert any(phrase.startswith("Początek: ") for phrase in phrases(polish))
        assert "Tytuł: „Seminarium we Wrocławiu” → „Seminarium we Wrocławiu, drugie”" in phrases(
            polish
        )

    def test_a_cancellation_gives_its_reason(self, app, client, signed_in, scene):
        sign_in_as(signed_in, ADMIN)
        with app.app_context():
            event = db.session.get(Event, scene["gdansk"])
            events.cancel_event(event, account(ADMIN), reason="Choroba prelegenta.")
            db.session.commit()
        page = page_of(client, "/organiser/audit?lang=en&action=event.cancel")
        assert sentences(page) == ["admin@example.org cancelled the event — Spotkanie w Gdańsku"]
        assert phrases(page) == ["Status: Published → Cancelled", "Reason: Choroba prelegenta."]

    def test_what_the_system_does_is_said_to_be_the_systems(self, app, client, signed_in, scene):
        sign_in_as(signed_in, ADMIN)
        with app.app_context():
            record(None, "privacy.anonymised", retention_days=30, registrations=2, messages=1)
            db.session.commit()
        english = page_of(client, "/organiser/audit?lang=en&action=privacy.anonymised")
        assert sentences(english) == ["The system anonymised the data of past events"]
        details = phrases(english)
        assert details == ["data kept 30 days after an event", "2 registrations", "1 message"]
        polish = page_of(client, "/organiser/audit?lang=pl&action=privacy.anonymised")
        assert sentences(polish) == ["System — zanonimizowano dane minionych wydarzeń"]
        details = phrases(polish)
        assert details == ["dane przechowywane 30 dni po wydarzeniu", "2 zgłoszenia", "1 wiadomość"]

    def test_a_command_on_an_account_is_the_systems_and_names_the_account(
        self, app, client, signed_in
    ):
        sign_in_as(signed_in, ADMIN)
        with app.app_context():
            record(account(ADMIN), "account.tokens_revoked", tokens=2)
            db.session.commit()
        page = page_of(client, "/organiser/audit?lang=en&action=account.tokens_revoked")
        assert sentences(page) == [
            "The system revoked the API tokens of the account admin@example.org"
        ]

    def test_an_anonymised_person_is_not_named(self, app, client, signed_in, scene):
        sign_in_as(signed_in, ADMIN)
        with app.app_context():
            zofia = db.session.get(Registration, scene["zofia"])
            registrations.check_in(zofia, account=account(ADMIN), other_day=True)
            db.session.commit()
            retention.anonymise_registrations([scene["zofia"]], now=utcnow())
            db.session.commit()
        english = page_of(client, "/organiser/audit?lang=en&action=registration.check_in")
        assert sentences(english) == [
            "admin@example.org checked in an anonymised person — Seminarium we Wrocławiu"
        ]
        assert "Zofia" not in english.main.get_text()
        polish = page_of(client, "/organiser/audit?lang=pl&action=registration.check_in")
        assert sentences(polish) == [
            "admin@example.org — odnotowano obecność: osoba zanonimizowana"
            " — Seminarium we Wrocławiu"
        ]

    def test_what_people_typed_is_shown_as_text(self, app, client, signed_in, scene):
        sign_in_as(signed_in, ADMIN)
        with app.app_context():
            event = db.session.get(Event, scene["wroclaw"])
            registrations.message_attendees(
                event,
                subject="<script>alert(1)</script>",
                body="Treść",
                recipients="confirmed",
                account=account(ADMIN),
            )
            db.session.commit()
        response = client.get("/organiser/audit?lang=en")
        assert "<script>alert(1)</script>" not in response.text
        page = BeautifulSoup(response.text, "html.parser")
        details = phrases(page)
        assert details == [
            "Subject: <script>alert(1)</script>",
            "To: people with a confirmed seat",
            "1 recipient",
        ]


class TestWarsawTime:
    @pytest.mark.parametrize(
        ("utc", "polish", "english"),
        [
            # Winter: UTC+1.
            ((2026, 12, 5, 13, 3), "5 grudnia 2026, 14:03", "5 December 2026, 14:03"),
            # Summer: UTC+2.
            ((2026, 7, 1, 12, 3), "1 lipca 2026, 14:03", "1 July 2026, 14:03"),
            # The night the clocks go forward: 00:30 in Warsaw, still the day before in UTC.
            ((2026, 3, 28, 23, 30), "29 marca 2026, 00:30", "29 March 2026, 00:30"),
            # An hour after: the clocks have jumped from 02:00 to 03:00.
            ((2026, 3, 29, 1, 30), "29 marca 2026, 03:30", "29 March 2026, 03:30"),
        ],
    )
    def test_times_are_warsaw_wall_clock(self, app, client, signed_in, utc, polish, english):
        sign_in_as(signed_in, ADMIN)
        with app.app_context():
            record(None, "privacy.exported", registrations=1)
            at("privacy.exported", datetime(*utc, tzinfo=UTC))
            db.session.commit()
        for language, expected in (("pl", polish), ("en", english)):
            page = page_of(client, f"/organiser/audit?lang={language}&action=privacy.exported")
            assert page.select_one(".audit-when").get_text() == expected

    def test_days_are_warsaw_days_across_the_change_of_clocks(self, app, client, signed_in):
        sign_in_as(signed_in, ADMIN)
        with app.app_context():
            for hours, action in ((-1, "privacy.exported"), (0, "privacy.erased")):
                record(None, action)
                # 22:30 and 23:30 UTC on 28 March: 23:30 on the 28th and 00:30 on the 29th.
                at(action, datetime(2026, 3, 28, 23, 30, tzinfo=UTC) + timedelta(hours=hours))
            record(None, "privacy.anonymised")
            at("privacy.anonymised", datetime(2026, 3, 29, 21, 59, tzinfo=UTC))  # 23:59 CEST
            db.session.commit()
        page = page_of(client, "/organiser/audit?lang=en&since=2026-03-29&until=2026-03-29")
        assert [cell.get_text() for cell in page.select(".audit-kind")] == [
            "Data of past events anonymised",
            "Data erased on request",
        ]
        page = page_of(client, "/organiser/audit?lang=en&until=2026-03-28")
        assert [cell.get_text() for cell in page.select(".audit-kind")] == ["Own data downloaded"]


class TestFilters:
    @pytest.fixture
    def logged(self, app, signed_in, scene):
        """The Wrocław organiser checks Zofia in and cancels Jan; the admin changes Gdańsk."""
        sign_in_as(signed_in, WROCLAW_ORGANISER)
        sign_in_as(signed_in, ADMIN)
        with app.app_context():
            organiser = account(WROCLAW_ORGANISER)
            registrations.check_in(
                db.session.get(Registration, scene["zofia"]), account=organiser, other_day=True
            )
            jan = db.session.get(Registration, scene["jan"])
            registrations.cancel_on_behalf(jan, account=organiser)
            gdansk = db.session.get(Event, scene["gdansk"])
            events.update_event(gdansk, {"capacity": 30}, account=account(ADMIN))
            db.session.commit()
        return scene

    def kinds(self, client, query: str) -> list[str]:
        page = page_of(client, f"/organiser/audit?lang=en&{query}")
        return [cell.get_text() for cell in page.select(".audit-kind")]

    def test_by_event(self, client, logged):
        assert self.kinds(client, f"event={logged['gdansk']}") == ["Event changed"]
        assert len(self.kinds(client, f"event={logged['wroclaw']}")) == 2

    def test_by_person_as_typed_without_polish_letters_or_case(self, client, logged):
        assert self.kinds(client, "person=WISNIEWSKA") == ["Check-in recorded"]
        assert self.kinds(client, "person=jan%40example") == [
            "Registration cancelled on a person's behalf"
        ]
        assert self.kinds(client, "person=nobody") == []

    def test_by_person_finds_what_an_account_did(self, client, logged):
        assert self.kinds(client, "person=organiser%40example.org") == [
            "Registration cancelled on a person's behalf",
            "Check-in recorded",
            "Signed in",
        ]

    def test_by_action(self, client, logged):
        assert self.kinds(client, "action=registration.check_in") == ["Check-in recorded"]

    def test_the_action_list_names_kinds_in_words(self, client, logged):
        page = page_of(client, "/organiser/audit")
        options = {o["value"]: o.get_text() for o in page.select("#audit-action option")}
        assert options["registration.move_to_waitlist"] == "Przeniesienie na listę rezerwową"
        assert len(options) == len(audit.KINDS) + 1

    def test_filters_combine_and_are_kept_across_pages(self, app, client, logged):
        with app.app_context():
            admin = account(ADMIN)
            gdansk = db.session.get(Event, logged["gdansk"])
            for number in range(audit.PAGE_SIZE + 1):
                record(admin, "event.update", event=gdansk, capacity=[number, number + 1])
            db.session.commit()
        query = f"event={logged['gdansk']}&action=event.update"
        first = page_of(client, f"/organiser/audit?lang=en&{query}")
        assert len(first.select(".audit-kind")) == audit.PAGE_SIZE
        assert first.select_one(".result-count").get_text() == "52 entries"
        older = first.select_one("a[rel=next]")["href"]
        assert f"event={logged['gdansk']}" in older
        assert "action=event.update" in older
        second = page_of(client, older)
        assert len(second.select(".audit-kind")) == 2
        assert phrases(second) == ["Number of seats: 0 → 1", "Number of seats: 10 → 30"]

    def test_fifty_a_page_newest_first(self, app, client, logged):
        with app.app_context():
            for number in range(audit.PAGE_SIZE):
                record(None, "privacy.anonymised", registrations=number)
            db.session.commit()
        first = page_of(client, "/organiser/audit?lang=en")
        assert first.select_one(".result-count").get_text() == "55 entries"
        assert phrases(first)[0] == "49 registrations"
        second = page_of(client, first.select_one("a[rel=next]")["href"])
        assert "Page 2 of 2" in second.select_one(".pagination").get_text()
        assert [cell.get_text() for cell in second.select(".audit-kind")] == [
            "Event changed",
            "Registration cancelled on a person's behalf",
            "Check-in recorded",
            "Signed in",
            "Signed in",
        ]

    def test_a_page_past_the_last_is_the_last(self, client, logged):
        page = page_of(client, "/organiser/audit?lang=en&page=99")
        assert len(page.select(".audit-kind")) == 5  # two sign-ins, three changes


class TestExports:
    @pytest.fixture
    def logged(self, app, signed_in, scene):
        sign_in_as(signed_in, ADMIN)
        with app.app_context():
            organiser_zofia = db.session.get(Registration, scene["zofia"])
            registrations.check_in(organiser_zofia, account=account(ADMIN), other_day=True)
            at("registration.check_in", datetime(2025, 12, 1, 13, 3, tzinfo=UTC))
            record(None, "privacy.exported", registrations=1)
            db.session.commit()
        return scene

    def test_csv_for_polish_excel_with_the_columns_in_words(self, client, logged):
        response = client.get("/organiser/audit.csv?action=registration.check_in")
        assert response.status_code == 200
        assert response.mimetype == "text/csv"
        assert 'filename="audit-log.csv"' in response.headers["Content-Disposition"]
        assert response.data.startswith(codecs.BOM_UTF8)
        rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
        assert rows == [
            ["Czas (Warszawa)", "Kto", "Działanie", "Wydarzenie", "Osoba", "Co się stało"],
            [
                "2025-12-01 14:03",
                "admin@example.org",
                "Odnotowanie obecności",
                "Seminarium we Wrocławiu",
                "Zofia Wiśniewska",
                "admin@example.org — odnotowano obecność: Zofia Wiśniewska"
                f" — Seminarium we Wrocławiu (Dzień: {today_in_polish()};"
                " poza terminem wydarzenia)",
            ],
        ]

    def test_xlsx_in_english_has_warsaw_times(self, client, logged):
        response = client.get("/organiser/audit.xlsx?lang=en&person=zofia")
        assert response.status_code == 200
        sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
        rows = list(sheet.values)
        assert rows[0] == ("Time (Warsaw)", "Who", "Action", "Event", "Person", "What happened")
        assert rows[1][:5] == (
            datetime(2025, 12, 1, 14, 3),  # noqa: DTZ001  (Excel keeps no zone)
            "admin@example.org",
            "Check-in recorded",
            "Seminarium we Wrocławiu",
            "Zofia Wiśniewska",
        )
        assert len(rows) == 2

    def test_a_download_without_filters_has_every_entry_newest_first(self, client, logged):
        body = client.get("/organiser/audit.csv?lang=en").data.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(body), delimiter=";"))
        assert [row[2] for row in rows[1:]] == [
            "Own data downloaded",
            "Signed in",
            "Check-in recorded",
        ]

    def test_a_name_that_looks_like_a_formula_stays_text(self, app, client, signed_in):
        sign_in_as(signed_in, ADMIN)
        with app.app_context():
            event = make_event(title="=HYPERLINK(1)")
            record(account(ADMIN), "event.publish", event=event)
            db.session.commit()
        body = client.get("/organiser/audit.csv?action=event.publish").data.decode("utf-8-sig")
        assert ";'=HYPERLINK(1);" in body


class TestWhoReadsWhat:
    @pytest.fixture
    def logged(self, app, signed_in, scene):
        """An entry about each city's event, a sign-in of each organiser and a system run."""
        sign_in_as(signed_in, "organiser@gdansk.example.org")
        sign_in_as(signed_in, ADMIN)
        with app.app_context():
            admin = account(ADMIN)
            for name in ("zofia", "piotr"):
                registrations.check_in(
                    db.session.get(Registration, scene[name]), account=admin, other_day=True
                )
            record(None, "privacy.anonymised", registrations=0)
            db.session.commit()
        return scene

    def test_an_admin_reads_everything(self, client, logged):
        page = page_of(client, "/organiser/audit?lang=en")
        assert len(page.select(".audit-kind")) == 5

    def test_an_organiser_reads_what_concerns_their_citys_events_only(
        self, client, signed_in, logged
    ):
        sign_in_as(signed_in, WROCLAW_ORGANISER)
        page = page_of(client, "/organiser/audit?lang=en")
        assert sentences(page) == [
            "admin@example.org checked in Zofia Wiśniewska — Seminarium we Wrocławiu"
        ]
        assert "Spotkanie w Gdańsku" not in page.text
        events = [option.get_text() for option in page.select("#audit-event option")][1:]
        assert len(events) == 1
        assert events[0].startswith("Seminarium we Wrocławiu (")
        body = client.get("/organiser/audit.csv").data.decode("utf-8-sig")
        assert "Zofia" in body
        assert "Piotr" not in body
        assert "Gdańsk" not in body
        workbook = client.get("/organiser/audit.xlsx?person=piotr").data
        assert list(openpyxl.load_workbook(io.BytesIO(workbook)).active.values)[1:] == []

    def test_an_organiser_cannot_ask_for_another_citys_event(self, client, signed_in, logged):
        sign_in_as(signed_in, WROCLAW_ORGANISER)
        for path in ("/organiser/audit", "/organiser/audit.csv", "/organiser/audit.xlsx"):
            assert client.get(f"{path}?event={logged['gdansk']}").status_code == 403
            assert client.get(f"{path}?event=999999").status_code == 404
            assert client.get(f"{path}?event={logged['wroclaw']}").status_code == 200

    @pytest.mark.parametrize("path", PATHS)
    def test_a_signed_out_visitor_is_sent_to_sign_in(self, client, path):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/organiser/login")

    def test_reading_the_log_changes_nothing(self, app, client, logged):
        with app.app_context():
            before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
        for path in ("/organiser/audit", "/organiser/audit.csv", "/organiser/audit.xlsx"):
            assert client.get(path).status_code == 200
            assert client.post(path).status_code == 405
        with app.app_context():
            after = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
        assert after == before


class TestHostileInput:
    @pytest.mark.parametrize(
        ("query", "status"),
        [
            ("event=abc", 400),
            ("event=-1", 400),
            ("event=99999999999999999999", 400),
            ("action=<script>", 400),
            ("action=event.update%00", 400),
            ("person=" + "x" * 10_000, 400),
            ("person=%00%01%FF", 200),
            ("person=%25_%5C", 200),
            ("since=2026-13-45", 400),
            ("since=99999-01-01", 400),
            ("since=0001-01-01", 400),
            ("since=2026-12-05&until=2026-12-01", 400),
            ("page=-5", 200),
            ("page=abc", 200),
            ("page=99999999999999999999", 200),
            ("event=1&event=2&action=a&action=b", 400),
        ],
    )
    def test_is_refused_or_ignored_never_an_error(self, client, signed_in, scene, query, status):
        sign_in_as(signed_in, ADMIN)
        response = client.get(f"/organiser/audit?{query}")
        assert response.status_code in (status, 404)
        if status == 400:
            page = BeautifulSoup(response.text, "html.parser")
            link = page.select_one(".error-summary li a")
            field = page.select_one(link["href"])
            assert field["aria-invalid"] == "true"
            assert page.select_one(f"#{field['aria-describedby']}").get_text() == link.get_text()
        for download in ("/organiser/audit.csv", "/organiser/audit.xlsx"):
            assert client.get(f"{download}?{query}").status_code in (200, 400, 404)

    def test_a_search_matching_tens_of_thousands_of_people_is_one_statement(self, ctx):
        # More ids than SQLite binds in one statement (32 766), as a one-letter search
        # over years of check-ins could match.
        admin = make_account(ADMIN, role="admin", city_slug=None)
        many = audit._inline(list(range(1, 40_001)))
        query = audit.entries_query(admin, audit.Filters())
        assert db.session.scalars(query.where(AuditEntry.registration_id.in_(many))).all() == []
