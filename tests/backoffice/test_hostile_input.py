"""No 500 anywhere in the back office, whatever a signed-in admin sends: every address of
the URL map, read and posted, with every field the back-office forms know filled with
hostile values (empty, huge, NUL bytes, control characters, numbers past any column,
dates that are not dates, a file that is not a spreadsheet)."""

from __future__ import annotations

import io

import pytest
from werkzeug.routing import Rule

from registration.extensions import db
from tests.factories import make_event, make_registration

#: The names the back office's forms and filters read.
FIELDS = (
    *("email", "password", "current_password", "role", "city", "name", "expires_on"),
    *("recipients", "subject", "body", "count", "confirm", "back", "q", "code", "reason"),
    *("type", "title", "summary", "description", "venue", "address", "starts_at", "ends_at"),
    *("capacity", "waitlist", "registration_opens_at", "registration_closes_at", "language"),
    *("contact_email", "data_controller", "institution", "position", "category", "needs"),
    *("consent", "send_emails", "event", "person", "action", "since", "until", "page", "when"),
    *("next", "lang", "day", "other_day"),
)
HOSTILE = {
    "empty": "",
    "huge": "ż" * 100_000,
    "nul": "a\x00b",
    "control": "\x1b[31m\r\n\t\u202e\ufeff",
    "number": "99999999999999999999",
    "negative": "-1",
    "date": "31.02.2027 25:61",
    "markup": "<script>alert(1)</script>{{ 7*7 }}%(x)s",
}
SKIPPED = {
    "backoffice.logout",  # signs the admin out: the rest would only see the sign-in page
    "backoffice.deactivate_account",  # the admin's own account is refused, by design
}


@pytest.fixture
def ids(app) -> dict:
    with app.app_context():
        event = make_event(title="Seminarium: wrogie dane", capacity=1)
        holder = make_registration(event, name="Ewa Próbna", email="ewa@example.org")
        make_registration(event, name="Jan Kolejka", email="jan@example.org")
        db.session.commit()
        return {
            "event_id": event.id,
            "registration_id": holder.id,
            "code": holder.check_in_code,
            "batch": "0123456789abcdef",
            "token": "0" * 32,
            "account_id": 1,
            "token_id": 1,
            "key": "not-a-key",
            "breakdown": "home_city",
        }


def rules(app) -> list[Rule]:
    return sorted(
        (
            rule
            for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith("backoffice.") and rule.endpoint not in SKIPPED
        ),
        key=lambda rule: rule.rule,
    )


@pytest.mark.parametrize("kind", HOSTILE)
def test_no_back_office_address_answers_500(app, client, signed_in, ids, kind):
    signed_in("admin@example.org", role="admin", city_slug=None)
    value = HOSTILE[kind]
    fields = dict.fromkeys(FIELDS, value)
    # A web server refuses an address longer than a few kilobytes (gunicorn: 4094 bytes
    # in the request line) before the application sees it.
    query = dict.fromkeys(FIELDS, value[:60])
    answered = 0
    for rule in rules(app):
        path = rule.build({name: ids[name] for name in rule.arguments})[1]
        for method in sorted(rule.methods & {"GET", "POST"}):
            if method == "GET":
                response = client.get(path, query_string=query)
            else:
                data = {**fields, "file": (io.BytesIO(value.encode("utf-8")), "lista.xlsx")}
                response = client.post(path, data=data, content_type="multipart/form-data")
            assert response.status_code < 500, (method, path, kind, response.status_code)
            answered += 1
    assert answered > 40
