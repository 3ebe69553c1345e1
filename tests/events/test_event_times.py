"""When an event happens reads the same everywhere: one day, overnight or several days,
in Warsaw time and on a 24-hour clock in both languages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask_babel import force_locale

from registration.extensions import db
from registration.i18n import period
from registration.notifications.delivery import deliver_due
from tests.factories import make_event, make_registration


def warsaw_winter(day: int, hour: int, minute: int = 0) -> datetime:
    """A December time in Warsaw (UTC+1), as the database stores it: in UTC; years ahead,
    so that registration is still open whenever the suite runs."""
    return datetime(2030, 12, day, hour - 1, minute, tzinfo=UTC)


ONE_DAY = (warsaw_winter(16, 11), warsaw_winter(16, 15))
OVERNIGHT = (warsaw_winter(16, 20), warsaw_winter(17, 2))
TWO_DAYS = (warsaw_winter(16, 9, 30), warsaw_winter(17, 17))

EXPECTED = {
    ("pl", ONE_DAY): "poniedziałek, 16 grudnia 2030, 11:00–15:00",
    ("en", ONE_DAY): "Monday 16 December 2030, 11:00–15:00",
    ("pl", OVERNIGHT): "poniedziałek, 16 grudnia 2030, 20:00 – wtorek, 17 grudnia 2030, 02:00",
    ("en", OVERNIGHT): "Monday 16 December 2030, 20:00 – Tuesday 17 December 2030, 02:00",
    ("pl", TWO_DAYS): "poniedziałek, 16 grudnia 2030, 09:30 – wtorek, 17 grudnia 2030, 17:00",
    ("en", TWO_DAYS): "Monday 16 December 2030, 09:30 – Tuesday 17 December 2030, 17:00",
}


@pytest.mark.parametrize(("language", "times"), list(EXPECTED))
def test_a_period_names_both_days_when_it_spans_more_than_one(ctx, language, times):
    with force_locale(language):
        assert str(period(*times)) == EXPECTED[language, times]


def test_a_period_in_html_marks_each_end_for_machines(ctx):
    with force_locale("en"):
        html = period(*TWO_DAYS).__html__()
    assert f'<time datetime="{TWO_DAYS[0].isoformat()}">' in html
    assert f'<time datetime="{TWO_DAYS[1].isoformat()}">Tuesday 17 December 2030, 17:00' in html


def test_english_never_uses_the_twelve_hour_clock(ctx):
    afternoon = (warsaw_winter(16, 12), warsaw_winter(16, 15))
    with force_locale("en"):
        text = str(period(*afternoon))
    assert text.endswith("12:00–15:00")
    assert "PM" not in text
    assert "AM" not in text


@pytest.mark.parametrize("language", ["pl", "en"])
def test_the_event_page_and_the_emails_give_both_days_of_a_study_visit(mail_app, smtp, language):
    with mail_app.app_context():
        event = make_event(starts_at=TWO_DAYS[0], ends_at=TWO_DAYS[1])
        make_registration(event, email="anna@example.org", language=language)
        db.session.commit()
        event_id = event.id
        deliver_due()
    expected = EXPECTED[language, TWO_DAYS]
    (message,) = smtp.messages_to("anna@example.org")
    assert expected in message.get_body(preferencelist=("plain",)).get_content()
    assert expected in message.get_body(preferencelist=("html",)).get_content()

    page = mail_app.test_client().get(f"/events/{event_id}?lang={language}").get_data(as_text=True)
    assert expected.split(" – ")[1] in page  # the end day and hour, inside its <time>
