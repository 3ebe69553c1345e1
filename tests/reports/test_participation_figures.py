"""The coordinator's participation figures: each counted as docs/reports.md defines it,
anonymised registrations included, by home city, category, event type and quarter."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from registration.accounts.models import Account
from registration.events.models import City, EventStatus
from registration.extensions import db
from registration.reports.queries import Counts, Filters, breakdown, report, totals
from tests.factories import make_account, make_event, make_registration
from tests.reports.conftest import AFTER

SEMINAR = Counts(
    registered=4,
    confirmed=2,
    attended=1,
    no_shows=1,
    cancelled=2,
    joined_waitlist=2,
    got_seat=1,
    still_waiting=0,
    left_line=1,
)
VISIT = Counts(
    registered=2,
    confirmed=1,
    attended=0,
    no_shows=1,
    cancelled=0,
    joined_waitlist=1,
    got_seat=0,
    still_waiting=1,
    left_line=0,
)


@pytest.fixture
def admin(ctx) -> Account:
    return make_account("admin@example.org", role="admin", city_slug=None)


def rows(name: str, account: Account, filters: Filters | None = None) -> dict[str, Counts]:
    found = breakdown(name, account, filters or Filters(), now=AFTER)
    return {row.key: row.counts for row in found}


def test_totals_count_every_outcome_anonymised_registrations_included(season, admin):
    """Anonymising a past event's registrations takes the names, never the numbers."""
    assert totals(admin, Filters(), now=AFTER) == SEMINAR + VISIT


def test_people_are_counted_by_the_city_they_work_for(season, admin):
    by_city = rows("home_city", admin)
    assert by_city["gdansk"] == Counts(2, 2, 1, 1, 0, 0, 0, 0, 0)
    assert by_city["wroclaw"] == Counts(2, 0, 0, 0, 2, 1, 0, 0, 1)
    assert by_city["poznan"] == Counts(1, 0, 0, 0, 0, 1, 0, 1, 0)
    assert by_city["other"] == Counts(1, 1, 0, 1, 0, 1, 1, 0, 0)


def test_every_coalition_city_is_listed_even_without_registrations(season, admin):
    coalition = db.session.scalars(select(City.slug).where(City.coalition)).all()
    by_city = rows("home_city", admin)
    assert set(coalition) <= by_city.keys()
    assert by_city["lodz"] == Counts()
    assert list(by_city)[-1] == "other"


def test_categories_and_event_types(season, admin):
    by_category = rows("category", admin)
    assert by_category["culture_staff"] == Counts(3, 1, 0, 1, 1, 1, 0, 1, 0)
    assert by_category["official"] == Counts(1, 1, 1, 0, 0, 0, 0, 0, 0)
    assert list(by_category) == ["culture_staff", "official", "ngo", "other"]
    by_type = rows("event_type", admin)
    assert by_type == {"study_visit": VISIT, "seminar": SEMINAR, "expert_meeting": Counts()}


def test_quarters_follow_the_warsaw_calendar(season, admin):
    """The study visit starts at 00:30 on 1 April in Warsaw, 22:30 on 31 March in UTC."""
    assert rows("quarter", admin) == {"2026-1": SEMINAR, "2026-2": VISIT}


def test_quarters_are_named_in_the_readers_language(app, season):
    with app.test_request_context(headers={"Cookie": "lang=pl"}):
        admin = make_account("admin@example.org", role="admin", city_slug=None)
        names = [row.label for row in breakdown("quarter", admin, Filters(), now=AFTER)]
        assert names == ["I kw. 2026", "II kw. 2026"]
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        names = [row.label for row in breakdown("quarter", admin, Filters(), now=AFTER)]
        assert names == ["2026 Q1", "2026 Q2"]


def test_a_quarter_without_events_between_two_with_them_shows_as_zeros(ctx, admin):
    for starts_at in (datetime(2026, 1, 10, 9, tzinfo=UTC), datetime(2026, 7, 10, 9, tzinfo=UTC)):
        event = make_event(starts_at=starts_at)
        make_registration(event, now=datetime(2026, 1, 2, tzinfo=UTC))
    assert list(rows("quarter", admin).items()) == [
        ("2026-1", Counts(1, 1, 0, 1, 0, 0, 0, 0, 0)),
        ("2026-2", Counts()),
        ("2026-3", Counts(1, 1, 0, 0, 0, 0, 0, 0, 0)),  # not over yet: no no-shows
    ]


def test_the_period_is_of_the_days_events_start_in_warsaw(season, admin):
    assert totals(admin, Filters(since=date(2026, 4, 1)), now=AFTER) == VISIT
    assert totals(admin, Filters(until=date(2026, 3, 31)), now=AFTER) == SEMINAR
    assert totals(admin, Filters(since=date(2026, 3, 10), until=date(2026, 3, 10)), now=AFTER) == (
        SEMINAR
    )
    assert totals(admin, Filters(since=date(2026, 4, 2)), now=AFTER) == Counts()


def test_the_city_filter_is_of_the_hosting_city(season, admin):
    gdansk = db.session.scalar(select(City.id).where(City.slug == "gdansk"))
    assert totals(admin, Filters(city_id=gdansk), now=AFTER) == VISIT
    # Gdańsk's official went to Wrocław's seminar: by home city, still Gdańsk's.
    assert rows("home_city", admin, Filters(city_id=gdansk))["gdansk"].registered == 1


def test_an_organiser_counts_their_own_citys_events_only(season, ctx):
    organiser = make_account("gdansk@example.org", city_slug="gdansk")
    assert totals(organiser, Filters(), now=AFTER) == VISIT
    wroclaw = db.session.scalar(select(City.id).where(City.slug == "wroclaw"))
    assert totals(organiser, Filters(city_id=wroclaw), now=AFTER) == Counts()


def test_confirmed_people_of_an_event_not_yet_over_are_no_no_shows(season, admin):
    now = datetime(2026, 3, 31, tzinfo=UTC)  # the seminar is over, the visit to come
    assert report(admin, Filters(), now=now).totals.no_shows == 1  # the seminar's only


def test_nobody_missed_an_event_that_was_cancelled(ctx, admin):
    """A cancelled event keeps its registrations as they were: none of them is a no-show."""
    event = make_event(starts_at=datetime(2026, 3, 1, 9, tzinfo=UTC))
    make_registration(event, now=datetime(2026, 2, 1, tzinfo=UTC))
    event.status = EventStatus.CANCELLED
    assert totals(admin, Filters(), now=AFTER) == Counts(registered=1, confirmed=1)
