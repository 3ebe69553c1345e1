"""The participant's download behind the manage link, and the public verification page
(docs/certificates.md): only the manage link's token opens a certificate, and a code
shows the name, the event, its dates and the days attended, nothing more."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from registration.certificates import services
from registration.certificates.models import Certificate
from registration.database import utcnow
from registration.extensions import db
from registration.privacy import retention
from registration.registrations import services as registrations
from tests.certificates.conftest import THURSDAY, WEDNESDAY, attendee, study_visit, text_of
from tests.factories import make_registration

DOWNLOAD = "Pobierz zaświadczenie (PDF)"


@pytest.fixture
def people(app) -> dict:
    """At the visit: Anna checked in on two days, Ben registered but never checked in."""
    with app.app_context():
        visit = study_visit()
        anna = attendee(
            visit,
            [WEDNESDAY, THURSDAY],
            name="Anna Żółkiewska",
            email="anna@example.org",
            institution="Muzeum Sztuki",
        )
        ben = attendee(visit, [], name="Ben Brak")
        db.session.commit()
        return {"anna": anna.token, "ben": ben.token, "anna_id": anna.id}


class TestTheParticipantsDownload:
    def test_the_manage_page_offers_it_once_the_person_was_checked_in(self, client, people):
        assert DOWNLOAD in client.get(f"/r/{people['anna']}").text
        assert DOWNLOAD not in client.get(f"/r/{people['ben']}").text

    def test_it_is_a_pdf_of_the_persons_own_certificate(self, client, people):
        response = client.get(f"/r/{people['anna']}/certificate.pdf")

        assert response.status_code == 200
        assert response.mimetype == "application/pdf"
        assert response.headers["Content-Disposition"].startswith(
            'attachment; filename="zaswiadczenie-'
        )
        [page] = text_of(response.data)
        assert "Anna Żółkiewska" in page
        assert "Obecność: 10–11 marca 2027" in page

    def test_every_copy_carries_the_same_code(self, app, client, people):
        first = text_of(client.get(f"/r/{people['anna']}/certificate.pdf").data)
        second = text_of(client.get(f"/r/{people['anna']}/certificate.pdf").data)
        with app.app_context():
            [code] = db.session.scalars(sa.select(Certificate.code)).all()
        assert code in first[0]
        assert code in second[0]

    def test_nobody_checked_in_has_no_certificate(self, client, people):
        assert client.get(f"/r/{people['ben']}/certificate.pdf").status_code == 404

    @pytest.mark.parametrize("token", ["x", "a" * 43, "a" * 5000, "%00", "..%2F..%2Fetc"], ids=repr)
    def test_a_wrong_token_opens_nothing(self, client, people, token):
        response = client.get(f"/r/{token}/certificate.pdf")
        assert response.status_code == 404
        assert response.mimetype == "text/html"

    def test_another_persons_token_opens_only_their_own(self, client, people):
        """Ben's link gives Ben's answer (none), never Anna's certificate."""
        response = client.get(f"/r/{people['ben']}/certificate.pdf")
        assert "Żółkiewska" not in response.text

    def test_an_anonymised_registration_has_none(self, app, client, people):
        with app.app_context():
            retention.anonymise_registrations([people["anna_id"]], now=utcnow())
            db.session.commit()
        assert client.get(f"/r/{people['anna']}/certificate.pdf").status_code == 404


def issued_code(app, token: str) -> str:
    with app.app_context():
        registration = registrations.find_by_token(token)
        code = services.issue(registration).code
        db.session.commit()
        return code


class TestVerification:
    def test_a_code_shows_the_name_event_dates_and_days_and_nothing_else(self, app, client, people):
        code = issued_code(app, people["anna"])
        page = client.get(f"/certificates/{code}")

        assert page.status_code == 200
        text = " ".join(page.text.split())
        assert "To zaświadczenie jest autentyczne" in text
        assert "Anna Żółkiewska" in text
        assert "Wizyta studyjna: Łódź – żywa kultura" in text
        assert "10–12 marca 2027" in text
        assert "10–11 marca 2027" in text
        for private in ("anna@example.org", "Muzeum Sztuki", people["anna"]):
            assert private not in page.text

    def test_the_form_leads_to_the_certificate_however_the_code_was_typed(
        self, app, client, people
    ):
        code = issued_code(app, people["anna"])
        typed = code.lower().replace("-", " ")

        answer = client.get("/certificates/verify", query_string={"code": typed})
        assert answer.status_code == 303
        assert answer.headers["Location"].endswith(f"/certificates/{code}")
        again = client.get(f"/certificates/{code.lower()}")
        assert again.status_code == 303
        assert again.headers["Location"].endswith(f"/certificates/{code}")

    def test_the_form_without_a_code_asks_for_one(self, client):
        page = client.get("/certificates/verify")
        assert page.status_code == 200
        assert "Sprawdź zaświadczenie o udziale" in page.text

    def test_an_unknown_code_is_a_clear_404_with_the_form_to_try_again(self, client, people):
        page = client.get("/certificates/ABCD-EFGH-JKMN")
        assert page.status_code == 404
        assert "Żadne zaświadczenie nie ma takiego kodu." in page.text
        assert 'value="ABCD-EFGH-JKMN"' in page.text

    def test_it_answers_in_the_visitors_language(self, client, people):
        page = client.get("/certificates/ABCD-EFGH-JKMN?lang=en")
        assert page.status_code == 404
        assert "No certificate has this code." in page.text

    @pytest.mark.parametrize(
        "typed",
        ["<script>alert(1)</script>", "A" * 5000, "\x00\x01", "' OR 1=1 --", "ąęść", "../../etc"],
        ids=repr,
    )
    def test_hostile_input_is_a_404_that_says_what_a_code_is(self, client, typed):
        page = client.get("/certificates/verify", query_string={"code": typed})
        assert page.status_code == 404
        assert "To nie jest kod zaświadczenia" in page.text
        assert "<script>alert" not in page.text

    @pytest.mark.parametrize("path", ["%3Cscript%3E", "A" * 3000, "%00", "ABCD-EFGH-JKMN%0A"])
    def test_hostile_addresses_are_404s(self, client, path):
        page = client.get(f"/certificates/{path}")
        assert page.status_code == 404
        assert "Żadne zaświadczenie nie ma takiego kodu." in page.text

    def test_after_anonymisation_it_says_it_was_issued_and_shows_no_name(self, app, client, people):
        code = issued_code(app, people["anna"])
        with app.app_context():
            retention.anonymise_registrations([people["anna_id"]], now=utcnow())
            db.session.commit()
        page = client.get(f"/certificates/{code}")

        assert page.status_code == 200
        assert "usunięte zgodnie z zasadami przechowywania danych" in page.text
        assert "Żółkiewska" not in page.text
        assert "Wizyta studyjna: Łódź – żywa kultura" in page.text


def test_the_verification_page_is_rate_limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True)
    client = app.test_client()
    answers = [client.get("/certificates/ABCD-EFGH-JKMN").status_code for _ in range(25)]
    assert answers[:20] == [404] * 20
    assert 429 in answers[20:]


def test_registering_someone_again_does_not_carry_a_certificate_over(app, client, people):
    """A certificate belongs to the registration checked in, not to the address."""
    with app.app_context():
        visit = registrations.find_by_token(people["anna"]).event
        other = make_registration(study_visit(), email="anna@example.org")
        db.session.commit()
        token = other.token
        assert visit.id != other.event_id
    assert client.get(f"/r/{token}/certificate.pdf").status_code == 404


def test_no_cache_keeps_a_certificate_or_the_name_it_shows(app, client, people):
    """A shared computer keeps no copy; and a name removed under the retention policy must
    not stay readable from a cache."""
    code = issued_code(app, people["anna"])
    for path in (f"/r/{people['anna']}/certificate.pdf", f"/certificates/{code}"):
        assert client.get(path).headers["Cache-Control"] == "no-store"
