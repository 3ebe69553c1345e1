"""Invariant 7 by example: generated queries and bodies on the public endpoints never get a 500.

``test_malformed_requests`` holds the cases found by hand; these look for more.
They are small and deterministic (``derandomize``): the same examples on every
run, a few seconds per backend.
"""

from __future__ import annotations

import itertools
import json
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registration.extensions import db
from tests.factories import make_event, make_registration

PUBLIC_PAGES = (
    "/",
    "/events/{event}",
    "/calendar.ics",
    "/events/{event}/calendar.ics",
    "/api/v1/events",
    "/api/v1/events/{event}",
    "/r/{token}",
    "/accessibility",
)
#: What the endpoints read, and what url_for or a view would take for its own.
NAMES = (
    *("type", "city", "month", "page", "from", "to", "past", "lang", "q", "next"),
    *("endpoint", "_method", "_external", "_anchor", "_scheme", "event_id", "token"),
)
#: Values at the edges of what those names accept.
EDGES = (
    *("", "0", "-1", "2147483648", "99999999999999999999", "1e309", "seminar", "wroclaw"),
    *("Łódź", "en", "2027-03", "2027-13", "9999-12", "0001-01-01", "9999-12-31"),
    *("9999-12-31T23:59:59-14:00", "2027-02-30T25:00", "2027-03-01T10:00", "\x00"),
)
#: Characters that have broken services before, offered often.
AWKWARD = ("\x00", "\r", "\n", "\t", "\x7f", "\u2028", "\ufeff", "%", "&", "=", "\\", "'")
TEXT = st.text(st.one_of(st.characters(codec="utf-8"), st.sampled_from(AWKWARD)), max_size=30)
#: In JSON a string may also hold a lone surrogate, escaped ("\ud800"), and it may be all
#: that is wrong with a registration.
JSON_TEXT = st.one_of(
    TEXT,
    st.text(st.sampled_from(("a", "ł", " ", "\ud800", "\udfff")), min_size=1, max_size=5),
)
JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | JSON_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(JSON_TEXT, inner, max_size=3),
    max_leaves=6,
)


def _percent_encoded(part: str | bytes) -> str:
    return quote(part, safe="")


# In a URL any byte can arrive percent-encoded, also bytes that are no UTF-8.
QUERY = st.lists(
    st.tuples(
        st.one_of(st.sampled_from(NAMES), TEXT, st.binary(max_size=6)).map(_percent_encoded),
        st.one_of(st.sampled_from(EDGES), TEXT, st.binary(max_size=6)).map(_percent_encoded),
    ),
    min_size=1,
    max_size=4,
).map(lambda pairs: "&".join(f"{name}={value}" for name, value in pairs))

REGISTRATION = {
    "name": "Zofia Wiśniewska",
    "institution": "Miejski Dom Kultury",
    "position": "Animatorka",
    "category": "culture_staff",
    "city": "Łódź",
    "consent": True,
}
FIELDS = (*REGISTRATION, "email", "needs", "language", "home_city")
#: Some fields of a valid registration changed, or others added.
JSON_CHANGES = st.dictionaries(
    st.one_of(st.sampled_from(FIELDS), JSON_TEXT),
    st.one_of(JSON_TEXT, JSON_VALUE),
    min_size=1,
    max_size=3,
)
FORM_CHANGES = st.dictionaries(
    st.one_of(st.sampled_from(FIELDS), TEXT), TEXT, min_size=1, max_size=3
)

EXAMPLES = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    # The database is made once per test, not per example, on purpose: the GETs
    # change nothing, and registrations only add people, whom later examples meet.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
_addresses = itertools.count(1)


def _registration(changes: dict) -> dict:
    """A valid registration of a new person, then the changes."""
    return {**REGISTRATION, "email": f"osoba.{next(_addresses)}@example.org", **changes}


@pytest.fixture
def published(app: Flask) -> dict[str, object]:
    """A published event with one registration, as the URLs' placeholders name them."""
    with app.app_context():
        event = make_event(capacity=3)
        token = make_registration(event).token
        db.session.commit()
        return {"event": event.id, "token": token}


@pytest.mark.parametrize("path", PUBLIC_PAGES)
@EXAMPLES
@given(query=QUERY)
def test_no_query_string_gets_a_500_from_a_public_page(client: FlaskClient, published, path, query):
    """Links are shared and typed by hand: whatever follows the ``?``, the page answers."""
    response = client.get(path.format(**published), query_string=query)
    assert response.status_code < 500, query


@EXAMPLES
@given(changes=JSON_CHANGES)
def test_no_registration_gets_a_500_from_the_api(client: FlaskClient, published, changes):
    """Partner sites send what their own forms took: any field, any JSON value in it."""
    body = _registration(changes)
    response = client.post(f"/api/v1/events/{published['event']}/registrations", json=body)
    assert response.status_code < 500, body


@EXAMPLES
@given(document=st.one_of(JSON_VALUE.map(json.dumps), st.binary(max_size=40)))
def test_no_body_gets_a_500_from_the_registration_api(client: FlaskClient, published, document):
    """A body that is not a registration at all, or not JSON at all, is a 4xx."""
    response = client.post(
        f"/api/v1/events/{published['event']}/registrations",
        data=document,
        content_type="application/json",
    )
    assert response.status_code < 500, document


@EXAMPLES
@given(changes=FORM_CHANGES)
def test_no_registration_form_gets_a_500_from_the_event_page(
    client: FlaskClient, published, changes
):
    """Whatever a browser (or a script) posts to the event page, the page answers."""
    form = _registration({"consent": "y", **changes})
    response = client.post(f"/events/{published['event']}", data=form)
    assert response.status_code < 500, form
