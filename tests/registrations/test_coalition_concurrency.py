"""The coalition's seat rules under a rush, through real processes (docs/coalition.md).

As in ``test_concurrency``: the application runs under gunicorn with several worker
processes on the test's own database, SQLite or PostgreSQL, and a crowd of client
threads released at the same instant sends its requests to the JSON API. What no
public endpoint does (an organiser approving a request, the periodic job releasing
the city allocations) runs in processes of its own (``tests.support.organiser_hands``),
cued at the same instant as the crowd. Afterwards the database must show:

1. never more confirmed seats than the capacity, and, while the allocations hold,
   no city with more seats than its allocation and its share of the common pool;
2. the waitlist in order of arrival, closed up, and nobody waiting for whom a seat
   is free by the rules (a freed seat goes to the first in line who may take it);
3. one active registration (confirmed, waitlisted or pending) per address;
5. exactly one message queued per change: none lost, none doubled.

Each test also says which seats go to whom, worked out here from the rules in
docs/coalition.md, not from ``registrations.coalition``. The people set up before a
rush are registered one by one in the test's own process, so that their order, and
so the state the rush meets, is known.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from datetime import timedelta
from typing import NamedTuple

import pytest
import sqlalchemy as sa

from registration.accounts.models import AuditEntry
from registration.database import utcnow
from registration.events.models import City, Event
from registration.extensions import db
from registration.notifications.models import MessageKind, OutboxMessage
from registration.registrations import services
from registration.registrations.models import Registration
from tests.factories import make_event, make_registration
from tests.registrations.test_concurrency import (
    CANCELLED,
    CONFIRMED,
    WAITLISTED,
    all_at_once,
    applicant,
    assert_waitlist_closed_up,
    call,
    problem_code,
)
from tests.support.organiser_hands import organiser_hands
from tests.support.servers import gunicorn_server

pytestmark = pytest.mark.processes

WORKERS = 4
PENDING = "pending"
REJECTED = "rejected"
#: Somebody from a city outside the coalition: no allocation is theirs.
ELSEWHERE = "Kraków"
CITY_NAMES = {
    "wroclaw": "Wrocław",
    "gdansk": "Gdańsk",
    "katowice": "Katowice",
    "lublin": "Lublin",
    "lodz": "Łódź",
    "poznan": "Poznań",
    "szczecin": "Szczecin",
}


class Row(NamedTuple):
    id: int
    email: str
    status: str
    token: str
    home_city: str | None  # a coalition city's slug; None: another city
    promoted: bool


@pytest.fixture
def server(database_url: str) -> Iterator[str]:
    """The application under gunicorn on this test's database; its base URL."""
    with gunicorn_server(database_url, workers=WORKERS) as base_url:
        yield base_url


# --- Setting the scene, in the test's own process -------------------------------------


def event_with_allocations(allocations: Mapping[str, int], *, capacity: int, **fields) -> Event:
    """A published event keeping seats per city slug (released a week before its start)."""
    event = make_event(capacity=capacity, waitlist=True, **fields)
    cities = dict(db.session.execute(sa.select(City.slug, City.id)).all())
    services.change_allocations(
        event, {cities[slug]: seats for slug, seats in allocations.items()}, release_at=None
    )
    return event


def registered_one_by_one(event: Event, cities: Sequence[str]) -> list[int]:
    """People from these cities (names, as typed), registered in this order; their ids."""
    return [make_registration(event, city=city).id for city in cities]


def done(event: Event) -> int:
    """Commit the scene and close the session, so that no transaction of the test holds
    SQLite's write lock while the workers want it; the event's id."""
    event_id = event.id
    db.session.commit()
    db.session.close()
    return event_id


# --- The crowd -------------------------------------------------------------------------


def person(number: int, city: str, **overrides) -> dict:
    """A registration body from someone working in ``city`` (a name, as typed)."""
    return applicant(number, city=city, email=f"crowd.{number}@example.org", **overrides)


def registering(base_url: str, event_id: int, body: dict):
    return lambda: call(base_url, "POST", f"/api/v1/events/{event_id}/registrations", body)


def cancelling(base_url: str, token: str):
    return lambda: call(base_url, "DELETE", f"/api/v1/registrations/{token}")


# --- Reading what happened, each read in a transaction ended at once ------------------


def registrations_of(event_id: int) -> list[Row]:
    """Every registration of the event, in order of arrival."""
    try:
        rows = db.session.execute(
            sa.select(
                Registration.id,
                Registration.email,
                Registration.status,
                Registration.token,
                City.slug,
                Registration.promoted_at.is_not(None),
            )
            .outerjoin(City, City.id == Registration.home_city_id)
            .where(Registration.event_id == event_id)
            .order_by(Registration.id)
        ).all()
        return [Row(row[0], row[1], str(row[2]), row[3], row[4], row[5]) for row in rows]
    finally:
        db.session.rollback()


def messages_of(event_id: int) -> dict[int, list[MessageKind]]:
    """The messages queued for each registration of the event, in the order queued."""
    try:
        rows = db.session.execute(
            sa.select(OutboxMessage.registration_id, OutboxMessage.kind)
            .join(Registration, OutboxMessage.registration_id == Registration.id)
            .where(Registration.event_id == event_id)
            .order_by(OutboxMessage.id)
        ).all()
    finally:
        db.session.rollback()
    queued: dict[int, list[MessageKind]] = {}
    for registration_id, kind in rows:
        queued.setdefault(registration_id, []).append(MessageKind(kind))
    return queued


def event_counts(event_id: int) -> tuple[int, int]:
    """The confirmed and waitlisted counts the database keeps on the event's row."""
    try:
        return tuple(
            db.session.execute(
                sa.select(Event.confirmed_count, Event.waitlisted_count).where(Event.id == event_id)
            ).one()
        )
    finally:
        db.session.rollback()


def releases_recorded(event_id: int) -> int:
    try:
        return db.session.scalar(
            sa.select(sa.func.count(AuditEntry.id)).where(
                AuditEntry.event_id == event_id, AuditEntry.action == "event.allocations_released"
            )
        )
    finally:
        db.session.rollback()


def with_status(rows: Sequence[Row], status: str) -> list[Row]:
    return [row for row in rows if row.status == status]


def ids(rows: Sequence[Row]) -> list[int]:
    return [row.id for row in rows]


# --- The rules, worked out independently of registrations.coalition -------------------


def seated_one_by_one(
    rows: Sequence[Row], *, capacity: int, allocations: Mapping[str, int]
) -> list[int]:
    """Who gets a seat when these people come one by one, in this order, while the
    allocations hold: a seat of their own city's allocation while one is left, else
    one of the common pool while one is left, else none."""
    kept = dict(allocations)
    common = capacity - sum(allocations.values())
    seated = []
    for row in rows:
        if kept.get(row.home_city, 0) > 0:
            kept[row.home_city] -= 1
        elif common > 0:
            common -= 1
        else:
            continue
        seated.append(row.id)
    return seated


def assert_invariants(
    base_url: str,
    event_id: int,
    *,
    capacity: int,
    allocations: Mapping[str, int] | None = None,
    waiting_before: Sequence[int] = (),
) -> list[Row]:
    """Invariants 1-3 in the database and in the API's answers; the registrations.

    :param allocations: seats per city slug while they hold; ``None`` once released
    :param waiting_before: the people waiting when the rush began
    """
    rows = registrations_of(event_id)
    confirmed, waitlisted = with_status(rows, CONFIRMED), with_status(rows, WAITLISTED)
    # 1. Seats: the capacity, and while allocations hold, each city's share of it.
    assert len(confirmed) <= capacity
    seats_by_city = Counter(row.home_city for row in confirmed)
    if allocations is not None:
        common = capacity - sum(allocations.values())
        from_common = {
            city: taken - allocations.get(city, 0)
            for city, taken in seats_by_city.items()
            if taken > allocations.get(city, 0)
        }
        assert sum(from_common.values()) <= common, (seats_by_city, from_common)
    # 2. Nobody waits for whom a seat is free by the rules ...
    if allocations is None:
        assert not waitlisted or len(confirmed) == capacity
    else:
        common_left = common - sum(from_common.values())
        for row in waitlisted:
            kept_left = allocations.get(row.home_city, 0) - seats_by_city[row.home_city]
            assert len(confirmed) == capacity or (kept_left <= 0 and common_left <= 0), row
    # ... nobody promoted in the rush took a seat that somebody who waited all along,
    # and came earlier, could have taken: with the allocations, a common seat (all that
    # somebody from elsewhere can take) or a seat of the earlier person's own city ...
    for late in (row for row in confirmed if row.promoted):
        for early in (row for row in waitlisted if row.id in waiting_before):
            if early.id < late.id:
                assert allocations is not None, (early, late)
                assert late.home_city not in (None, early.home_city), (early, late)
    # ... and each one waiting is told their place in order of arrival, 1..n.
    assert_waitlist_closed_up(base_url, waitlisted)
    # 3. One active registration per address.
    active = [row.email for row in rows if row.status in (CONFIRMED, WAITLISTED, PENDING)]
    assert len(active) == len(set(active))
    # The counts on the event's row, which the API shows, are the counts of the rows.
    assert event_counts(event_id) == (len(confirmed), len(waitlisted))
    return rows


# --- The tests --------------------------------------------------------------------------


def test_rush_against_city_allocations_seats_people_by_the_rules(ctx, server: str):
    """Seven cities keep one seat each, seven are common: a crowd from six of the cities
    and from elsewhere gets exactly the seats the rules give in their order of arrival.

    A city never has more than its allocation plus what it took of the common pool,
    the seats never exceed the capacity, and the people sent to the waitlist are
    exactly those for whom, when their turn came, no seat was free by the rules, even
    though other cities' kept seats may be free (they are, here: nobody from Wrocław
    comes). Two addresses are sent twice at once: each holds one place.
    """
    capacity = 14
    allocations = dict.fromkeys(CITY_NAMES, 1)
    event_id = done(event_with_allocations(allocations, capacity=capacity))
    coming = [name for slug, name in CITY_NAMES.items() if slug != "wroclaw"] * 3
    coming += [ELSEWHERE] * 9
    bodies = [person(number, city) for number, city in enumerate(coming)]
    twice = [bodies[0], bodies[-1]]

    answers = all_at_once([registering(server, event_id, body) for body in bodies + twice])

    accepted = [answer for answer in answers if answer.status == 201]
    refused = [answer for answer in answers if answer.status != 201]
    assert len(accepted) == len(bodies), answers
    assert [(answer.status, problem_code(answer)) for answer in refused] == [
        (409, "already-registered")
    ] * len(twice)
    rows = assert_invariants(server, event_id, capacity=capacity, allocations=allocations)
    assert len(rows) == len(bodies)
    seated = seated_one_by_one(rows, capacity=capacity, allocations=allocations)
    assert ids(with_status(rows, CONFIRMED)) == seated
    assert ids(with_status(rows, WAITLISTED)) == [row.id for row in rows if row.id not in seated]
    # Wrocław's kept seat stays free, yet everybody else who came late waits.
    assert len(seated) == capacity - 1
    assert not any(row.home_city == "wroclaw" for row in rows)
    # Each person was answered with what the database holds, and their place then.
    line = ids(with_status(rows, WAITLISTED))
    told = {answer.body["id"]: answer.body for answer in accepted}
    for row in rows:
        assert told[row.id]["status"] == row.status
        assert told[row.id]["manage_url"].endswith(f"/r/{row.token}")
        position = line.index(row.id) + 1 if row.id in line else None
        assert told[row.id]["waitlist_position"] == position
    # Each repeat mailed its address's manage link instead.
    assert messages_of(event_id) == {
        row.id: [MessageKind(row.status)]
        + [MessageKind.ALREADY_REGISTERED] * (row.email in _emails(twice))
        for row in rows
    }


def test_release_promotes_the_freed_seats_once_in_waitlist_order(
    ctx, server: str, database_url: str
):
    """At the release time, the kept seats nobody took go to the waitlist in order of
    arrival, once, even with the periodic job run by two processes at the same moment
    as cancellations and new registrations (each of which releases too, if first).

    Before the release, five kept seats are free (Lublin's second, Katowice's and
    Poznań's) while eight people wait, among them a third person from Gdańsk, whose
    city's seats are taken. Two seats are given up during the rush: seven seats in
    all, for the first seven in line; the eighth and the newcomers keep waiting.
    """
    capacity = 12
    allocations = {"gdansk": 2, "lublin": 2, "katowice": 2, "poznan": 2}
    event = event_with_allocations(allocations, capacity=capacity)
    seated = registered_one_by_one(
        event, [ELSEWHERE] * 4 + ["Gdańsk", "Gdańsk", "Lublin"]
    )  # the common pool, then Gdańsk's seats and one of Lublin's
    waiting = registered_one_by_one(event, [ELSEWHERE] * 5 + ["Gdańsk"] + [ELSEWHERE] * 2)
    event_id = done(event)
    before = assert_invariants(server, event_id, capacity=capacity, allocations=allocations)
    assert ids(with_status(before, CONFIRMED)) == seated
    assert ids(with_status(before, WAITLISTED)) == waiting
    # The release time passes (as the clock would, a week before the start).
    try:
        db.session.execute(
            sa.update(Event)
            .where(Event.id == event_id)
            .values(allocation_release_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    finally:
        db.session.close()
    leaving = [before[0], before[4]]  # a common seat and one of Gdańsk's
    newcomers = [person(number, city) for number, city in enumerate(["Lublin", "Poznań"] * 2)]

    with organiser_hands(database_url) as hands:
        hands.start("release")
        hands.start("release")
        hands.wait_until_ready()
        hands.cue()
        answers = all_at_once(
            [cancelling(server, row.token) for row in leaving for _ in range(2)]
            + [registering(server, event_id, body) for body in newcomers]
        )
        released = hands.outcomes()

    assert [answer.status for answer in answers] == [200] * 4 + [201] * len(newcomers), answers
    assert {answer.body["status"] for answer in answers[4:]} == {WAITLISTED}
    # Released once: by one of the jobs, or by the first seat operation after the time.
    assert sum(len(outcome[0]["released"]) for outcome in released) <= 1
    assert releases_recorded(event_id) == 1
    rows = assert_invariants(server, event_id, capacity=capacity, waiting_before=waiting)
    promoted = waiting[:7]
    assert ids(with_status(rows, CONFIRMED)) == sorted(
        (set(seated) - set(ids(leaving))) | set(promoted)
    )
    assert ids(with_status(rows, WAITLISTED)) == [waiting[7], *ids(rows[-len(newcomers) :])]
    assert ids(with_status(rows, CANCELLED)) == ids(leaving)
    assert ids(row for row in rows if row.promoted) == promoted
    messages = messages_of(event_id)
    assert {row.id: messages[row.id] for row in rows} == {
        row.id: [MessageKind.CONFIRMED] + [MessageKind.CANCELLED] * (row.status == CANCELLED)
        if row.id in seated
        else [MessageKind.WAITLISTED] + [MessageKind.PROMOTED] * (row.id in promoted)
        for row in rows
    }


def test_cancellations_inside_allocations_promote_the_same_citys_first_in_line(ctx, server: str):
    """While the allocations hold, a seat given up inside Gdańsk's allocation goes to the
    first person from Gdańsk in line, though people from elsewhere came before them;
    a common seat given up goes to the first in line. All given up at once, each twice
    (a double click), while newcomers from Gdańsk register: they join the end of the line.
    """
    capacity = 9
    allocations = {"gdansk": 3, "lublin": 3}
    event = event_with_allocations(allocations, capacity=capacity)
    seated = registered_one_by_one(event, [ELSEWHERE] * 3 + ["Gdańsk"] * 3 + ["Lublin"] * 3)
    line = [ELSEWHERE, "Gdańsk", "Lublin", ELSEWHERE, "Gdańsk", "Lublin", "Gdańsk"]
    waiting = registered_one_by_one(event, line)
    event_id = done(event)
    before = registrations_of(event_id)
    assert ids(with_status(before, WAITLISTED)) == waiting
    from_elsewhere, from_gdansk, from_lublin = before[0:3], before[3:6], before[6:9]
    leaving = [*from_gdansk, from_lublin[1], from_elsewhere[2]]
    newcomers = [person(number, "Gdańsk") for number in range(2)] + [person(2, ELSEWHERE)]

    answers = all_at_once(
        [cancelling(server, row.token) for row in leaving for _ in range(2)]
        + [registering(server, event_id, body) for body in newcomers]
    )

    assert [answer.status for answer in answers] == [200] * 2 * len(leaving) + [201] * 3, answers
    assert {answer.body["status"] for answer in answers[-3:]} == {WAITLISTED}
    rows = assert_invariants(
        server, event_id, capacity=capacity, allocations=allocations, waiting_before=waiting
    )
    # Gdańsk's three in line, Lublin's first, and for the common seat the first of all.
    promoted = [waiting[0], waiting[1], waiting[2], waiting[4], waiting[6]]
    assert ids(row for row in rows if row.promoted) == promoted
    assert ids(with_status(rows, CONFIRMED)) == sorted(
        (set(seated) - set(ids(leaving))) | set(promoted)
    )
    assert ids(with_status(rows, WAITLISTED)) == [waiting[3], waiting[5], *ids(rows[-3:])]
    messages = messages_of(event_id)
    assert Counter(kind for kinds in messages.values() for kind in kinds) == {
        MessageKind.CONFIRMED: len(seated),
        MessageKind.WAITLISTED: len(waiting) + len(newcomers),
        MessageKind.CANCELLED: len(leaving),
        MessageKind.PROMOTED: len(promoted),
    }
    assert all(messages[row_id][-1] == MessageKind.PROMOTED for row_id in promoted)


def test_approvals_racing_cancellations_and_registrations_keep_the_rules(
    ctx, server: str, database_url: str
):
    """At an event with approval and allocations, two organisers approve requests (one
    request by both), one rejects, while people give up seats, a request is withdrawn
    and new requests arrive, all at once: seats by the rules, the line in order, one
    decision and one email per change.

    Before the rush every seat is taken and four approved people wait, three of them
    from Gdańsk; Gdańsk's two seats and a common one are given up in the rush. Whatever
    the order in which things happen, the three seats go to the first three in line
    (the common one, in the end, to the one from elsewhere among them), and nobody
    approved meanwhile, who joins the line behind them, gets one.
    """
    capacity = 6
    allocations = {"gdansk": 2, "lublin": 2}
    event = event_with_allocations(allocations, capacity=capacity, approval=True)
    cities = ["Gdańsk", "Lublin", ELSEWHERE, "Gdańsk", ELSEWHERE, "Lublin", "Gdańsk"]
    cities += [ELSEWHERE, "Gdańsk", "Gdańsk", ELSEWHERE, "Gdańsk", "Lublin", "Gdańsk", ELSEWHERE]
    requests = registered_one_by_one(event, cities)
    for registration_id in requests[:10]:
        services.approve(db.session.get(Registration, registration_id), account=None)
    event_id = done(event)
    before = registrations_of(event_id)
    assert ids(with_status(before, CONFIRMED)) == requests[:6]
    waiting = ids(with_status(before, WAITLISTED))
    assert waiting == requests[6:10]
    first_hand, second_hand = requests[10:12] + requests[13:14], requests[13:15]
    rejected, withdrawn = requests[12], before[11]
    leaving = [before[0], before[3], before[2]]  # Gdańsk's two seats and a common one
    newcomers = [person(number, city) for number, city in enumerate(["Gdańsk", ELSEWHERE] * 2)]
    # An address that holds a place asks again.
    again = applicant(99, city="Lublin", email=before[7].email.upper())

    with organiser_hands(database_url) as hands:
        hands.start("approve", first_hand)
        hands.start("approve", second_hand)
        hands.start("reject", [rejected])
        hands.wait_until_ready()
        hands.cue()
        answers = all_at_once(
            [cancelling(server, row.token) for row in leaving * 2]
            + [cancelling(server, withdrawn.token)]
            + [registering(server, event_id, body) for body in [*newcomers, again]]
        )
        decisions = [outcome for hand in hands.outcomes() for outcome in hand]

    cancelled = 2 * len(leaving) + 1
    assert [answer.status for answer in answers[:cancelled]] == [200] * cancelled, answers
    assert [answer.status for answer in answers[cancelled:-1]] == [201] * len(newcomers)
    assert {answer.body["status"] for answer in answers[cancelled:-1]} == {PENDING}
    assert (answers[-1].status, problem_code(answers[-1])) == (409, "already-registered")
    # Each request decided once: the one approved twice, and the one withdrawn
    # meanwhile, are refused as no longer pending if they came second.
    decided = Counter(outcome["id"] for outcome in decisions if "status" in outcome)
    refused = [outcome for outcome in decisions if "refused" in outcome]
    assert set(decided.values()) == {1}
    assert {outcome["refused"] for outcome in refused} <= {"not-pending"}
    assert decided[requests[13]] == 1
    assert {outcome["id"] for outcome in refused} <= {requests[13], withdrawn.id}
    assert len(decided) + len(refused) == len(first_hand) + len(second_hand) + 1
    rows = assert_invariants(
        server, event_id, capacity=capacity, allocations=allocations, waiting_before=waiting
    )
    assert ids(row for row in rows if row.promoted) == waiting[:3]
    assert ids(with_status(rows, CONFIRMED)) == sorted(
        (set(requests[:6]) - set(ids(leaving))) | set(waiting[:3])
    )
    by_id = {row.id: row for row in rows}
    assert by_id[rejected].status == REJECTED
    assert by_id[withdrawn.id].status == CANCELLED
    assert [row.status for row in rows[-len(newcomers) :]] == [PENDING] * len(newcomers)
    assert all(by_id[row_id].status != PENDING for row_id in requests)
    # One email per change: the request, its decision, a promotion, a cancellation.
    messages = messages_of(event_id)
    approved_once = set(requests[:10]) | {
        row_id for row_id in decided if by_id[row_id].status != REJECTED
    }
    for row in rows:
        kinds = Counter(messages[row.id])
        assert kinds[MessageKind.PENDING] == 1, (row, kinds)
        assert kinds[MessageKind.CONFIRMED] + kinds[MessageKind.WAITLISTED] == (
            row.id in approved_once
        ), (row, kinds)
        assert kinds[MessageKind.PROMOTED] == row.promoted, (row, kinds)
        assert kinds[MessageKind.REJECTED] == (row.status == REJECTED), (row, kinds)
        assert kinds[MessageKind.CANCELLED] == (row.status == CANCELLED), (row, kinds)
        assert kinds[MessageKind.ALREADY_REGISTERED] == (row.email == again["email"].lower())


def test_institution_cap_holds_under_a_rush_from_one_institution(ctx, server: str):
    """Three people per institution, however they spell its name: a rush of twelve from
    one museum gets three places (seats or the line), the rest are told the limit is
    reached; people from another institution are not affected."""
    cap = 3
    event_id = done(make_event(capacity=4, waitlist=True, institution_cap=cap))
    spellings = [
        "Muzeum Narodowe w Gdańsku",
        "muzeum narodowe w gdańsku",
        "  MUZEUM  NARODOWE W GDAŃSKU ",
        "Muzeum Narodowe w Gdańsku.",
        '"Muzeum Narodowe" w Gdańsku',
        "Muzeum Narodowe, w Gdańsku",
    ]
    museum = [
        person(number, "Gdańsk", institution=spellings[number % len(spellings)])
        for number in range(12)
    ]
    others = [person(number, "Gdańsk", institution="Teatr Wybrzeże") for number in range(12, 15)]

    answers = all_at_once([registering(server, event_id, body) for body in museum + others])

    from_museum, from_others = answers[: len(museum)], answers[len(museum) :]
    assert sorted(answer.status for answer in from_museum) == [201] * cap + [409] * 9, answers
    assert {problem_code(answer) for answer in from_museum if answer.status == 409} == {
        "institution-cap-reached"
    }
    assert [answer.status for answer in from_others] == [201] * len(others), answers
    rows = assert_invariants(server, event_id, capacity=4)
    assert len(rows) == cap + len(others)
    assert len([row for row in rows if row.email in _emails(museum)]) == cap
    assert sorted(answer.body["id"] for answer in answers if answer.status == 201) == ids(rows)
    # Nothing is queued for the people turned away: the limit is said in the answer.
    assert messages_of(event_id) == {row.id: [MessageKind(row.status)] for row in rows}

    # A place given up is a place for the institution again: one, whoever is first.
    leaving = next(row for row in rows if row.email in _emails(museum))
    assert all_at_once([cancelling(server, leaving.token)])[0].status == 200
    answers = all_at_once(
        [registering(server, event_id, body) for body in museum if body["email"] != leaving.email]
    )
    assert sorted(answer.status for answer in answers) == [201] + [409] * 10, answers
    rows = assert_invariants(server, event_id, capacity=4)
    active = [row for row in rows if row.status in (CONFIRMED, WAITLISTED)]
    assert len([row for row in active if row.email in _emails(museum)]) == cap


def _emails(bodies: Sequence[dict]) -> set[str]:
    return {body["email"].strip().lower() for body in bodies}
