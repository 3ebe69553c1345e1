"""Back office: importing attendees takes three pages, upload, preview and result.

The upload asks for the file, whether to send the emails (yes, unless the
organiser says no) and the organiser's word that the people consented. The
preview changes nothing; the confirmation imports once, however often it is
sent. Only the event's organisers reach any of it, and no file, however
broken or hostile, gives anything but a page that says what is wrong.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import timedelta

import openpyxl
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from registration.accounts import services as account_services
from registration.accounts.models import AuditEntry
from registration.database import utcnow
from registration.events.models import Event, EventStatus
from registration.extensions import db
from registration.notifications.models import OutboxMessage
from registration.registrations.models import Registration, RegistrationStatus
from registration.registrations.pending_imports import PendingImport
from tests.factories import PASSWORD, make_account, make_event, make_registration

HEADER = "Imię i nazwisko;Adres e-mail;Instytucja;Kategoria;Miasto\r\n"
PEOPLE = (
    HEADER
    + "Łucja Żółkiewska;lucja@example.org;Teatr Miejski;Pracownik instytucji kultury;Łódź\r\n"
    + "Adam Łoś;adam@example.org;Urząd Miejski;Urzędnik samorządowy;Gdańsk\r\n"
    + ";nie-adres;Urząd;Inne;Kraków\r\n"
    + "Ewa Zięba;ewa@example.org;Fundacja;NGO;Wrocław\r\n"
).encode("utf-8-sig")


@pytest.fixture(autouse=True)
def quick_passwords(monkeypatch):
    """Signing in is tested in tests/accounts; here argon2's cost would only slow every test."""
    monkeypatch.setattr(
        account_services, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


@pytest.fixture
def event_id(app) -> int:
    """A Wrocław seminar with two seats and a waitlist."""
    with app.app_context():
        event = make_event(title="Seminarium we Wrocławiu", capacity=2)
        db.session.commit()
        return event.id


@pytest.fixture
def gdansk_event_id(app) -> int:
    with app.app_context():
        event = make_event(title="Spotkanie w Gdańsku", city_slug="gdansk")
        db.session.commit()
        return event.id


def upload(client, event_id: int, data: bytes = PEOPLE, *, name="ludzie.csv", **fields):
    form = {"file": (io.BytesIO(data), name), "consent": "y", "send_emails": "y", **fields}
    return client.post(
        f"/organiser/events/{event_id}/import?lang=en",
        data={key: value for key, value in form.items() if value is not None},
        content_type="multipart/form-data",
    )


def preview_address(response) -> str:
    assert response.status_code == 303, response.text
    return response.headers["Location"]


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


class TestUploading:
    def test_the_form_asks_for_the_file_emails_on_by_default_and_the_peoples_consent(
        self, client, signed_in, event_id
    ):
        signed_in()
        html = client.get(f"/organiser/events/{event_id}/import?lang=en").text

        assert 'enctype="multipart/form-data"' in html
        assert re.search(
            r'<input[^>]*checked[^>]*id="send_emails"|id="send_emails"[^>]*checked', html
        )
        assert "the data controller" in html
        assert not re.search(r'id="consent"[^>]*checked', html)

    def test_the_attendee_pages_link_to_the_import_and_the_badges(
        self, client, signed_in, event_id
    ):
        signed_in()
        html = client.get(f"/organiser/events/{event_id}/attendees?lang=en").text

        assert f'href="/organiser/events/{event_id}/import"' in html
        assert f'href="/organiser/events/{event_id}/badges.pdf"' in html

    def test_a_good_file_leads_to_its_preview_and_adds_nobody_yet(
        self, app, client, signed_in, event_id
    ):
        signed_in()
        address = preview_address(upload(client, event_id))
        html = client.get(address + "?lang=en").text

        assert "Łucja Żółkiewska" in html
        assert "Enter your full name" in html  # row 4 has no name
        counts = re.findall(r"<dd>(\d+)</dd>", html)
        assert counts == ["2", "1", "1"]  # a seat, the waitlist, skipped
        assert "Import 3 people" in html
        assert count(app, Registration) == 0

    def test_without_the_consent_or_the_file_nothing_is_kept(self, client, signed_in, event_id):
        signed_in()
        without_consent = upload(client, event_id, consent=None)
        without_file = client.post(
            f"/organiser/events/{event_id}/import?lang=en", data={"consent": "y"}
        )

        assert without_consent.status_code == 422
        assert "Confirm that the people have agreed first." in without_consent.text
        assert without_file.status_code == 422
        assert "Choose the file to import." in without_file.text

    @pytest.mark.parametrize(
        ("data", "says"),
        [
            (b"", "The file is empty."),
            (b"\x00\x01binary\xff", "This is not a CSV or XLSX file."),
            (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old Excel file"),
            (b"PK\x03\x04 not really a zip", "could not be read"),
            (b"Name;Surname\r\nAnna;Nowak\r\n", "Missing: Full name, Email address"),
            (HEADER.encode() + b"x" * 200_000 + b";a@example.org;i;Inne;c\r\n", "not a CSV"),
            (HEADER.encode(), "only the column names"),
        ],
        ids=["empty", "binary", "xls", "broken-xlsx", "foreign-columns", "huge-cell", "no-rows"],
    )
    def test_a_file_that_cannot_be_read_says_why_on_the_form(
        self, app, client, signed_in, event_id, data, says
    ):
        signed_in()
        response = upload(client, event_id, data)

        assert response.status_code == 422
        assert says in response.text
        assert count(app, Registration) == 0

    def test_a_zip_that_unpacks_to_a_huge_file_is_refused(self, client, signed_in, event_id):
        bomb = io.BytesIO()
        with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("xl/sharedStrings.xml", b"\0" * (30 * 1024 * 1024))
        signed_in()

        response = upload(client, event_id, bomb.getvalue(), name="bomb.xlsx")

        assert response.status_code == 422
        assert "too large" in response.text

    def test_a_file_over_the_size_limit_is_refused_before_it_is_read(
        self, client, signed_in, event_id
    ):
        signed_in()
        response = upload(client, event_id, PEOPLE * 20_000)

        assert response.status_code == 413
        assert "The file is larger than 1 MB." in response.text
        assert 'id="file"' in response.text

    def test_a_body_over_the_limit_elsewhere_gets_the_usual_page(
        self, make_app, client, signed_in, event_id, gdansk_event_id
    ):
        # With CSRF checked, as in production, the body is read before the sign-in check.
        stranger = make_app(WTF_CSRF_ENABLED=True).test_client()
        signed_out = stranger.post(
            f"/organiser/events/{event_id}/import?lang=en",
            data={"file": (io.BytesIO(PEOPLE * 20_000), "x.csv")},
            content_type="multipart/form-data",
        )
        signed_in()
        elsewhere = upload(client, gdansk_event_id, PEOPLE * 20_000)
        unknown = upload(client, 999_999, PEOPLE * 20_000)
        other_page = client.post(
            f"/organiser/events/{event_id}/message?lang=en", data={"body": "x" * 2_000_000}
        )

        assert [signed_out.status_code, other_page.status_code] == [413, 413]
        assert (elsewhere.status_code, unknown.status_code) in [(403, 404), (413, 413)]
        for response in (signed_out, elsewhere, unknown, other_page):
            assert "larger than 1 MB" not in response.text
            assert 'id="file"' not in response.text

    def test_text_in_place_of_the_file_and_a_file_in_place_of_text_give_the_form_again(
        self, client, signed_in, event_id
    ):
        signed_in()
        text_for_file = client.post(
            f"/organiser/events/{event_id}/import?lang=en",
            data={"file": "ludzie.csv", "consent": "y"},
        )
        file_for_consent = client.post(
            f"/organiser/events/{event_id}/import?lang=en",
            data={"consent": (io.BytesIO(b"x"), "x.csv")},
            content_type="multipart/form-data",
        )

        assert text_for_file.status_code == 422
        assert file_for_consent.status_code == 422

    @pytest.mark.parametrize("change", ["ended", "cancelled", "draft"])
    def test_an_event_that_takes_no_more_people_takes_no_file(
        self, app, client, signed_in, event_id, change
    ):
        with app.app_context():
            event = db.session.get(Event, event_id)
            if change == "ended":
                event.starts_at = utcnow() - timedelta(days=2)
                event.ends_at = utcnow() - timedelta(days=1)
            else:
                event.status = EventStatus(change)
            db.session.commit()
        signed_in()

        assert (
            "only to a published event"
            in client.get(f"/organiser/events/{event_id}/import?lang=en").text
        )
        assert upload(client, event_id).status_code == 409
        assert count(app, Registration) == 0


class TestImporting:
    def test_confirming_imports_the_good_rows_and_shows_the_counts(
        self, app, client, signed_in, event_id
    ):
        signed_in()
        address = preview_address(upload(client, event_id))

        response = client.post(address)
        assert response.status_code == 303
        html = client.get(response.headers["Location"] + "?lang=en").text

        assert "2 confirmed, 1 on the waitlist, 1 skipped." in html
        with app.app_context():
            people = db.session.scalars(sa.select(Registration).order_by(Registration.id)).all()
            assert [(p.full_name, p.status) for p in people] == [
                ("Łucja Żółkiewska", RegistrationStatus.CONFIRMED),
                ("Adam Łoś", RegistrationStatus.CONFIRMED),
                ("Ewa Zięba", RegistrationStatus.WAITLISTED),
            ]
            assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 3
            entry = db.session.scalar(
                sa.select(AuditEntry).where(AuditEntry.action == "registration.import")
            )
            assert entry.details == {
                "confirmed": 2,
                "waitlisted": 1,
                "skipped": 1,
                "emails": "sent",
            }

    def test_with_the_emails_unticked_nobody_is_written_to(self, app, client, signed_in, event_id):
        signed_in()
        address = preview_address(upload(client, event_id, send_emails=None))
        assert "Nobody gets an email" in client.get(address + "?lang=en").text

        client.post(address)

        assert count(app, Registration) == 3
        assert count(app, OutboxMessage) == 0

    def test_a_second_confirmation_imports_nothing_more(self, app, client, signed_in, event_id):
        signed_in()
        address = preview_address(upload(client, event_id))

        client.post(address)
        again = client.post(address)

        assert again.status_code == 303
        assert count(app, Registration) == 3
        assert "2 confirmed" in client.get(address + "?lang=en").text

    def test_the_result_keeps_no_personal_data(self, app, client, signed_in, event_id):
        signed_in()
        address = preview_address(upload(client, event_id))
        client.post(address)

        with app.app_context():
            kept = json.dumps(
                [[row.rows, row.outcome] for row in db.session.scalars(sa.select(PendingImport))],
                ensure_ascii=False,
            )
        assert "confirmed" in kept
        assert "lucja" not in kept
        assert "Łucja" not in kept

    def test_rows_wait_for_one_hour_at_most(self, app, client, signed_in, event_id):
        signed_in()
        address = preview_address(upload(client, event_id))
        with app.app_context():
            db.session.execute(
                sa.update(PendingImport).values(kept_since=utcnow() - timedelta(seconds=3601))
            )
            db.session.commit()

        assert client.get(address).status_code == 404
        assert client.post(address).status_code == 404
        assert count(app, Registration) == 0

    def test_without_a_csrf_token_nothing_is_imported(self, make_app, event_id):
        app = make_app(WTF_CSRF_ENABLED=True)
        client = app.test_client()
        with app.app_context():
            make_account()
            db.session.commit()
        login = client.get("/organiser/login").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
        client.post(
            "/organiser/login",
            data={"email": "organiser@example.org", "password": PASSWORD, "csrf_token": token},
        )
        page = client.get(f"/organiser/events/{event_id}/import").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        assert upload(client, event_id).status_code == 400
        address = preview_address(upload(client, event_id, csrf_token=token))

        assert client.post(address).status_code == 400
        assert count(app, Registration) == 0


class TestWhoMay:
    def test_signed_out_visitors_are_sent_to_sign_in(self, client, event_id):
        for method, page in [
            ("get", f"/organiser/events/{event_id}/import"),
            ("post", f"/organiser/events/{event_id}/import"),
            ("get", f"/organiser/events/{event_id}/import/{'a' * 32}"),
            ("post", f"/organiser/events/{event_id}/import/{'a' * 32}"),
            ("get", f"/organiser/events/{event_id}/badges.pdf"),
        ]:
            response = getattr(client, method)(page)
            assert response.status_code == 302, page
            assert response.headers["Location"].startswith("/organiser/login?next="), page

    def test_another_citys_organiser_is_forbidden_everywhere(
        self, app, client, signed_in, gdansk_event_id
    ):
        signed_in("organiser.gdansk@example.org", city_slug="gdansk")
        address = preview_address(upload(client, gdansk_event_id))
        signed_in()  # an organiser of Wrocław

        assert client.get(f"/organiser/events/{gdansk_event_id}/import").status_code == 403
        assert upload(client, gdansk_event_id).status_code == 403
        assert client.get(address).status_code == 403
        assert client.post(address).status_code == 403
        assert client.get(f"/organiser/events/{gdansk_event_id}/badges.pdf").status_code == 403
        assert count(app, Registration) == 0

    def test_another_organisers_rows_of_the_same_city_are_not_found(
        self, app, client, signed_in, event_id
    ):
        signed_in("colleague@example.org")
        address = preview_address(upload(client, event_id))
        signed_in()

        assert client.get(address).status_code == 404
        assert client.post(address).status_code == 404
        assert count(app, Registration) == 0

    def test_rows_of_one_event_are_not_found_under_another(self, app, client, signed_in, event_id):
        with app.app_context():
            other = make_event().id
            db.session.commit()
        signed_in()
        address = preview_address(upload(client, event_id))

        moved = address.replace(f"/events/{event_id}/", f"/events/{other}/")
        assert client.get(moved).status_code == 404
        assert client.post(moved).status_code == 404

    @pytest.mark.parametrize("token", ["x", "../../secret_key", "A" * 32, "a" * 33, "a" * 5000])
    def test_made_up_addresses_are_not_found(self, client, signed_in, event_id, token):
        signed_in()

        assert client.get(f"/organiser/events/{event_id}/import/{token}").status_code == 404
        assert client.post(f"/organiser/events/{event_id}/import/{token}").status_code == 404

    def test_an_admin_may_import_for_any_city(self, app, client, signed_in, gdansk_event_id):
        signed_in("admin@example.org", role="admin", city_slug=None)
        client.post(preview_address(upload(client, gdansk_event_id)))

        assert count(app, Registration) == 3


def test_already_registered_people_are_shown_and_skipped(app, client, signed_in, event_id):
    with app.app_context():
        make_registration(db.session.get(Event, event_id), email="adam@example.org")
        db.session.commit()
    signed_in()
    address = preview_address(upload(client, event_id))

    assert "Already registered for this event." in client.get(address + "?lang=en").text


def test_a_formula_in_an_uploaded_xlsx_stays_an_error_on_the_preview(
    app, client, signed_in, event_id
):
    workbook = openpyxl.Workbook()
    workbook.active.append(["Full name", "Email address", "Institution", "Category", "City"])
    workbook.active.append(
        ['=HYPERLINK("http://evil.example")', "a@example.org", "I", "NGO", "Łódź"]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    signed_in()

    address = preview_address(upload(client, event_id, buffer.getvalue(), name="x.xlsx"))

    assert "A cell holds a formula." in client.get(address + "?lang=en").text
    client.post(address)
    assert count(app, Registration) == 0


def test_a_file_uploaded_on_one_host_is_confirmed_on_another(database_url, tmp_path, event_id, app):
    """Two application hosts behind a balancer share the database, not an instance folder:
    the preview and the confirmation may each reach either host."""
    from registration import create_app
    from tests.conftest import app_config

    hosts = [
        create_app(
            app_config(database_url, SECRET_KEY="one key for every host " * 2),
            instance_path=str(tmp_path / name),
        )
        for name in ("host-a", "host-b")
    ]
    with hosts[0].app_context():
        make_account()
        db.session.commit()
    first, second = (host.test_client() for host in hosts)
    response = first.post(
        "/organiser/login", data={"email": "organiser@example.org", "password": PASSWORD}
    )
    assert response.status_code == 303
    second.set_cookie(
        first.get_cookie("session").key, first.get_cookie("session").value, domain="localhost"
    )

    address = preview_address(upload(first, event_id))
    assert "Łucja Żółkiewska" in second.get(address + "?lang=en").text
    assert second.post(address).status_code == 303
    assert first.post(address).status_code == 303  # a second click, on the other host

    assert count(app, Registration) == 3
    assert "2 confirmed" in first.get(address + "?lang=en").text
    assert not any((tmp_path / name / "imports").exists() for name in ("host-a", "host-b"))
    for host in hosts:
        with host.app_context():
            db.engine.dispose()
