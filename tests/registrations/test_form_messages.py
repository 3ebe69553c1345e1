"""The registration form's errors, hints and seat notices, as the GOV.UK Design System's
patterns have them: each message names its field and says what to do, the summary above
takes the focus and leads to each field, and nothing says what is not true."""

from __future__ import annotations

import re

import pytest

from registration.extensions import db
from tests.factories import make_event, make_registration

EMPTY = {"consent": ""}


@pytest.fixture
def event_id(app) -> int:
    with app.app_context():
        event = make_event(capacity=2)
        db.session.commit()
        return event.id


def summary_of(html: str) -> str:
    return re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)


def test_each_missing_field_is_named_with_what_to_do(client, event_id):
    response = client.post(f"/events/{event_id}", data=EMPTY)
    assert response.status_code == 422
    summary = summary_of(response.text)
    for message in (
        "Wpisz imię i nazwisko",
        "Wpisz adres e-mail, na przykład jan.kowalski@example.org",
        "Wpisz nazwę instytucji",
        "Wybierz, kim jesteś",
        "Wpisz miasto, w którym pracujesz",
        "Zaznacz zgodę na przetwarzanie danych: bez niej nie możemy Cię zapisać",
    ):
        assert message in summary
    assert "To pole jest wymagane" not in response.text


def test_the_messages_are_english_for_an_english_visitor(client, event_id):
    client.get("/?lang=en")
    summary = summary_of(client.post(f"/events/{event_id}", data=EMPTY).text)
    for message in (
        "Enter your full name",
        "Enter your email address, like jan.kowalski@example.org",
        "Enter the name of your institution",
        "Choose what describes you best",
        "Enter the city you work in",
        "Tick the box to agree to the processing of your data",
    ):
        assert message in summary


def test_too_long_and_malformed_values_say_which_field_and_the_limit(client, event_id):
    html = client.post(
        f"/events/{event_id}",
        data={
            "name": "N" * 201,
            "email": "jan.kowalski@",
            "institution": "Dom\nKultury",
            "position": "P" * 201,
            "category": "emperor",
            "city": "Łódź",
            "needs": "bez\x00glutenu",
            "consent": "y",
        },
    ).text
    assert "Imię i nazwisko może mieć najwyżej 200 znaków" in html
    assert "Wpisz adres e-mail w poprawnym formacie, na przykład jan.kowalski@example.org" in html
    assert "Wpisz nazwę instytucji w jednym wierszu, bez znaków specjalnych" in html
    assert "Stanowisko może mieć najwyżej 200 znaków" in html
    assert "Wybierz, kim jesteś" in html
    assert "Usuń znaki specjalne z opisu potrzeb" in html


def test_the_summary_takes_the_focus_and_links_each_message_to_its_input(client, event_id):
    """After a failed submit the summary is what the person sees and hears first (autofocus
    needs no script); each link leads to the input, whose label is above it."""
    html = client.post(f"/events/{event_id}", data=EMPTY).text
    assert re.search(r'<div class="error-summary" role="alert" tabindex="-1" autofocus', html)
    assert html.count("autofocus") == 1
    summary = summary_of(html)
    for field in ("name", "email", "institution", "category", "city", "consent"):
        assert f'href="#{field}"' in summary
        assert f'id="{field}"' in html
    # The message sits between the label and the input, and the input points to it.
    assert re.search(
        r'<label for="name">.*?</label>\s*<p class="field-error" id="name-error">'
        r"Wpisz imię i nazwisko</p>\s*<input[^>]*aria-describedby=\"name-error\"",
        html,
        re.S,
    )
    assert "<title>Błąd: " in html


def test_the_email_hint_says_where_the_confirmation_goes(client, event_id):
    html = client.get(f"/events/{event_id}").text
    assert 'id="email-hint">Na ten adres wyślemy potwierdzenie i link do zarządzania' in html
    assert "autofocus" not in html  # an untouched form steals no focus


def test_a_likely_typo_in_the_domain_is_pointed_out_without_blocking(client, event_id):
    html = client.post(f"/events/{event_id}", data={"email": "ewa@gmial.com"}).text
    assert 'id="email-suggestion"' in html
    assert "Czy chodziło Ci o ewa@gmial.com" not in html
    assert "Czy chodziło Ci o ewa@gmail.com?" in html
    assert 'aria-describedby="email-hint email-suggestion"' in html
    assert 'id="email-error"' not in html  # a suggestion, not an error


def test_a_full_event_with_an_empty_waitlist_says_so_truly(app, client):
    with app.app_context():
        event = make_event(capacity=1)
        make_registration(event)
        db.session.commit()
        event_id = event.id
    html = client.get(f"/events/{event_id}").text
    assert "0 osób" not in html
    assert "Brak miejsc · lista rezerwowa pusta" in re.sub(r"\s+", " ", html)
    assert "Nikt jeszcze nie czeka: będziesz pierwszą osobą w kolejce." in html
    assert ">Zapisz mnie na listę rezerwową</button>" in html


def test_a_full_event_with_people_waiting_counts_them(app, client):
    with app.app_context():
        event = make_event(capacity=1)
        for _ in range(3):
            make_registration(event)
        db.session.commit()
        event_id = event.id
    html = re.sub(r"\s+", " ", client.get(f"/events/{event_id}").text)
    assert "2 osoby na liście rezerwowej" in html
    assert "Czekają już 2 osoby." in html


def test_the_form_offers_the_lost_link_page(client, event_id):
    html = client.get(f"/events/{event_id}").text
    assert f'href="/events/{event_id}/lost-link">Wyślemy go ponownie</a>' in html
