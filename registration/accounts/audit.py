"""The audit log as people read it: each entry a sentence, found by event, person, kind
and day, a page at a time or all at once for a download.

Every action passed to ``services.record`` has a ``Kind`` in ``KINDS``: what it is called
in the action filter, and the sentence that tells it. An action without one still reads,
through ``UNKNOWN``, but a test fails until it has its own.

Polish sentences use the impersonal "-no/-to" form of records and minutes ("przeniesiono
na listę rezerwową", "zmieniono liczbę miejsc"): a past verb with a person as its subject
would need the actor's gender ("przeniósł", "przeniosła"), which an account does not
say, and the verbal noun ("przeniesienie Jana Kowalskiego") would need the person's name
in the genitive, which no program inflects reliably. So the actor stands first, then a
dash, then what was done, and a person concerned follows a colon, in the nominative:
"anna@poznan.pl (Poznań) — przeniesiono na listę rezerwową: Jan Kowalski".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_babel.speaklater import LazyString
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import BindParameter, Select, bindparam, func, or_, select

from registration import labels
from registration.accounts.models import Account, AuditEntry
from registration.database import page_within
from registration.events.models import Event
from registration.events.queries import managed_events
from registration.extensions import db
from registration.i18n import WARSAW, fold, local_date, local_datetime
from registration.registrations.models import Registration

#: Entries on one page of the log.
PAGE_SIZE = 50
#: The most entries one download holds (the newest); years of a busy coalition.
EXPORT_LIMIT = 50_000
_EXPORT_BATCH = 1000
#: The most characters of a person's name or address to look for.
SEARCH_LIMIT = 200


# --- Details in words --------------------------------------------------------------

#: The event's fields as the event form names them.
EVENT_FIELD_NAMES = {
    "type": _l("Type"),
    "title": _l("Title"),
    "summary": _l("Summary"),
    "description": _l("Description"),
    "language": _l("Language of the event"),
    "audience": _l("Who may take part"),
    "cost": _l("Cost"),
    "programme": _l("Programme"),
    "practical_information": _l("Practical information"),
    "city": _l("City"),
    "venue": _l("Venue name"),
    "address": _l("Address"),
    "online_url": _l("Link for online participation"),
    "starts_at": _l("Starts"),
    "ends_at": _l("Ends"),
    "capacity": _l("Number of seats"),
    "waitlist": _l("Waitlist"),
    "registration_opens_at": _l("Registration opens"),
    "registration_closes_at": _l("Registration closes"),
    "status": _l("Status"),
    "contact_email": _l("Contact email address"),
    "data_controller": _l("Controller of the participants' personal data"),
    "approval": _l("Approve each registration"),
    "institution_cap": _l("Most people from one institution"),
    "allocations": _l("Seats kept for the coalition's cities"),
    "allocation_release_at": _l("When the allocations are released"),
    "certificate_hours": _l("Hours on the certificates"),
}
#: Texts too long for a line of the log: the log says they changed, not to what.
_LONG_TEXTS = frozenset({"description", "programme", "practical_information"})
#: Codes shown by their names.
_CODES = {
    "type": labels.EVENT_TYPES,
    "language": labels.LANGUAGES,
    "status": labels.EVENT_STATUSES,
}
_REGISTRATION_STATUSES = labels.REGISTRATION_STATUSES
ROLES = {"admin": _l("administrator"), "organiser": _l("city organiser")}
_RECIPIENTS = {
    "confirmed": _l("people with a confirmed seat"),
    "waitlisted": _l("people on the waitlist"),
    "active": _l("everyone with a seat or on the waitlist"),
    "checked_in": _l("people checked in"),
    "not_checked_in": _l("people with a confirmed seat not checked in"),
}


#: Numbers in details, each said with its noun.
_COUNTS: dict[str, Callable[[int], str]] = {
    "registrations": lambda n: ngettext("%(num)d registration", "%(num)d registrations", n),
    "participants": lambda n: ngettext("%(num)d participant", "%(num)d participants", n),
    "messages": lambda n: ngettext("%(num)d message", "%(num)d messages", n),
    "audit_entries": lambda n: ngettext("%(num)d audit entry", "%(num)d audit entries", n),
    "cancelled": lambda n: ngettext(
        "%(num)d seat or place given up", "%(num)d seats or places given up", n
    ),
    "withdrawn": lambda n: ngettext(
        "%(num)d waiting message withdrawn", "%(num)d waiting messages withdrawn", n
    ),
    "sessions": lambda n: ngettext("%(num)d session ended", "%(num)d sessions ended", n),
    "tokens": lambda n: ngettext("%(num)d API token revoked", "%(num)d API tokens revoked", n),
    "count": lambda n: ngettext("%(num)d recipient", "%(num)d recipients", n),
    "retention_days": lambda n: ngettext(
        "data kept %(num)d day after an event", "data kept %(num)d days after an event", n
    ),
}


@dataclass(frozen=True)
class Context:
    """What the entries of one page name besides themselves: events and registrations."""

    events: dict[int, Event] = field(default_factory=dict)
    registrations: dict[int, Registration] = field(default_factory=dict)


def _value(name: str, value: object) -> str:
    """One old or new value of an event's field, as the form would show it."""
    if value is None or value == "" or value == {}:
        return "—"
    if isinstance(value, dict):  # the seats kept per city, as recorded: {city name: seats}
        return ", ".join(f"{name} {seats}" for name, seats in sorted(value.items()))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if name in _CODES:
        return labels.label(_CODES[name], value)
    if name.endswith("_at") and isinstance(value, str):
        try:
            return local_datetime(datetime.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, str):
        return _("“%(text)s”", text=value)
    return str(value)


def _change(name: str, change: object) -> str | None:
    """``capacity: [20, 25]`` → "Number of seats: 20 → 25"."""
    label = str(EVENT_FIELD_NAMES.get(name, name))
    if name in _LONG_TEXTS:
        return _("%(field)s changed", field=label)
    if isinstance(change, list) and len(change) == 2:
        return f"{label}: {_value(name, change[0])} → {_value(name, change[1])}"
    return None


def _details(entry: AuditEntry, context: Context) -> list[str]:
    """The entry's details in words, each a short phrase; what the sentence says already,
    and what only a program needs (a batch key), left out."""
    phrases = []
    for name, value in entry.details.items():
        phrase = _detail(entry, name, value, context)
        if phrase:
            phrases.append(phrase)
    return phrases


def _detail(entry: AuditEntry, name: str, value: object, context: Context) -> str | None:
    if name in ("batch", "email", "consent") or (name == "title" and not isinstance(value, list)):
        return None  # a program's key, or said by the sentence or the event's link
    if name == "count" and entry.action != "event.message":
        return _generic(name, value)  # a count of what, only the message's entry says
    if name in _COUNTS and isinstance(value, int) and not isinstance(value, bool):
        return _COUNTS[name](value)
    if name == "reason":
        return _("Reason: %(reason)s", reason=value)
    if name == "day" and isinstance(value, str):
        try:
            return _("Day: %(day)s", day=local_date(date.fromisoformat(value), "d MMMM y"))
        except ValueError:
            return _generic(name, value)
    if name == "other_day":
        return _("on a day the event does not take place") if value else None
    if name == "subject":
        return _("Subject: %(subject)s", subject=value)
    if name == "recipients":
        return _("To: %(recipients)s", recipients=_RECIPIENTS.get(str(value), value))
    if name == "role":
        return _("Role: %(role)s", role=ROLES.get(str(value), value))
    if name == "status" and not isinstance(value, list):
        if entry.action.startswith("registration."):
            return _("Status: %(status)s", status=labels.label(_REGISTRATION_STATUSES, value))
        return _("Status: %(status)s", status=labels.label(labels.EVENT_STATUSES, value))
    if name == "seat_given_to":
        given = context.registrations.get(value) if isinstance(value, int) else None
        if given is not None:
            return _("The seat went to: %(person)s", person=person_name(given))
        return _("The seat went to the first person on the waitlist")
    if name == "source":
        source = context.events.get(value) if isinstance(value, int) else None
        if source is not None:
            return _("Copied from: %(title)s", title=source.title)
        return None
    change = _change(name, value) if entry.action.startswith("event.") else None
    if change:
        return change
    return _generic(name, value)


def _generic(name: str, value: object) -> str:
    """A detail no rule knows, still legible: "name: value", "name: old → new"."""
    label = name.replace("_", " ")
    if isinstance(value, list) and len(value) == 2:
        old, new = ("—" if part is None else str(part) for part in value)
        return f"{label}: {old} → {new}"
    if isinstance(value, (list, dict)):
        return f"{label}: {len(value)}"
    return f"{label}: {value}"


# --- Kinds of entries ------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """One action in words.

    :ivar label: the action's name in the filter and in downloads ("Moved to the waitlist")
    :ivar sentence: what happened, with ``%(actor)s`` and, where someone is concerned,
        ``%(person)s``
    :ivar about_account: the person concerned is an account, named by the entry's
        ``email`` detail, or else by the account that recorded it (the command line
        records the account it worked on, with nobody as its actor)
    """

    label: LazyString
    sentence: LazyString
    about_account: bool = False


KINDS: dict[str, Kind] = {
    # Events
    "event.create": Kind(_l("Event created"), _l("%(actor)s created the event")),
    "event.update": Kind(_l("Event changed"), _l("%(actor)s changed the event")),
    "event.publish": Kind(_l("Event published"), _l("%(actor)s published the event")),
    "event.cancel": Kind(_l("Event cancelled"), _l("%(actor)s cancelled the event")),
    "event.duplicate": Kind(
        _l("Event copied"), _l("%(actor)s created the event as a copy of another")
    ),
    "event.message": Kind(
        _l("Message to participants"), _l("%(actor)s sent a message to the participants")
    ),
    "event.message_test": Kind(
        _l("Test of a message"), _l("%(actor)s sent themselves a test of a message")
    ),
    "event.allocations_released": Kind(
        _l("City allocations released"),
        _l("%(actor)s released the city allocations into the common pool"),
    ),
    # Registrations
    "registration.add_by_hand": Kind(
        _l("Person added by hand"), _l("%(actor)s added a person by hand: %(person)s")
    ),
    "registration.confirm_from_waitlist": Kind(
        _l("Seat given from the waitlist"),
        _l("%(actor)s gave a seat from the waitlist to %(person)s"),
    ),
    "registration.move_to_waitlist": Kind(
        _l("Moved to the waitlist"), _l("%(actor)s moved %(person)s to the waitlist")
    ),
    "registration.approve": Kind(
        _l("Registration approved"), _l("%(actor)s approved the registration of %(person)s")
    ),
    "registration.reject": Kind(
        _l("Registration rejected"), _l("%(actor)s rejected the registration of %(person)s")
    ),
    "registration.cancel_on_behalf": Kind(
        _l("Registration cancelled on a person's behalf"),
        _l("%(actor)s cancelled the registration of %(person)s"),
    ),
    "registration.check_in": Kind(_l("Check-in recorded"), _l("%(actor)s checked in %(person)s")),
    "registration.check_in_undone": Kind(
        _l("Check-in undone"), _l("%(actor)s undid the check-in of %(person)s")
    ),
    "registration.import": Kind(
        _l("Registrations imported"), _l("%(actor)s imported registrations")
    ),
    "certificates.download": Kind(
        _l("Certificates downloaded"),
        _l("%(actor)s downloaded the event's certificates of attendance"),
    ),
    "message.resend": Kind(
        _l("Message sent again"), _l("%(actor)s sent a message again to %(person)s")
    ),
    # Accounts and API tokens
    "account.login": Kind(_l("Signed in"), _l("%(actor)s signed in")),
    "account.create": Kind(
        _l("Account created"), _l("%(actor)s created the account %(person)s"), about_account=True
    ),
    "account.invite": Kind(
        _l("Account invited"), _l("%(actor)s invited %(person)s"), about_account=True
    ),
    "account.update": Kind(
        _l("Account changed"), _l("%(actor)s changed the account %(person)s"), about_account=True
    ),
    "account.deactivate": Kind(
        _l("Account deactivated"),
        _l("%(actor)s deactivated the account %(person)s"),
        about_account=True,
    ),
    "account.reactivate": Kind(
        _l("Account reactivated"),
        _l("%(actor)s reactivated the account %(person)s"),
        about_account=True,
    ),
    "account.password_changed": Kind(
        _l("Password changed"),
        _l("%(actor)s changed the password of the account %(person)s"),
        about_account=True,
    ),
    "account.password_reset": Kind(
        _l("Password reset"),
        _l("%(actor)s reset the password of the account %(person)s"),
        about_account=True,
    ),
    "account.token_issued": Kind(
        _l("API token issued"),
        _l("%(actor)s issued an API token for the account %(person)s"),
        about_account=True,
    ),
    "account.tokens_revoked": Kind(
        _l("API tokens revoked"),
        _l("%(actor)s revoked the API tokens of the account %(person)s"),
        about_account=True,
    ),
    "token.create": Kind(_l("API token created"), _l("%(actor)s created an API token")),
    "token.revoke": Kind(_l("API token revoked"), _l("%(actor)s revoked an API token")),
    # Privacy
    "privacy.exported": Kind(_l("Own data downloaded"), _l("A person downloaded their own data")),
    "privacy.erased": Kind(
        _l("Data erased on request"), _l("%(actor)s erased a person's data at their request")
    ),
    "privacy.anonymised": Kind(
        _l("Data of past events anonymised"),
        _l("%(actor)s anonymised the data of past events"),
    ),
}

#: Any other action: said as what it is.
UNKNOWN = Kind(_l("Other action"), _l("%(actor)s: %(action)s"))

#: The actions that only the commands record, with no account to be the actor; the
#: entry's account is the one the command worked on (see ``Kind.about_account``).
_RECORDED_BY_COMMANDS = frozenset(
    {"account.create", "account.token_issued", "account.tokens_revoked", "account.deactivate"}
)


def kind_of(action: str) -> Kind:
    return KINDS.get(action, UNKNOWN)


def action_choices() -> list[tuple[str, str]]:
    """(action, name) for the filter, in the order of the names."""
    return sorted(((action, str(kind.label)) for action, kind in KINDS.items()), key=lambda c: c[1])


# --- An entry in words ----------------------------------------------------------------


def actor_name(account: Account | None) -> str:
    """Who did it: "Anna Nowak (Poznań)", an admin by name, or the system; an account
    made before accounts had names, by its address. The city tells organisers apart at a
    glance."""
    if account is None:
        return _("The system")
    who = account.name or account.email
    if account.city is not None:
        return f"{who} ({account.city.name})"
    return who


def person_name(registration: Registration) -> str:
    """The person a registration is of; after anonymisation nobody can be named."""
    if registration.anonymised_at is not None or not registration.full_name:
        return _("an anonymised person")
    return registration.full_name


@dataclass(frozen=True)
class Described:
    """An entry in words, in the current language.

    :ivar sentence: what happened, without the event (which a page links)
    :ivar details: the entry's details, each a short phrase
    """

    entry: AuditEntry
    actor: str
    label: str
    person: str
    event: Event | None
    sentence: str
    details: list[str]

    @property
    def when(self) -> datetime:
        return self.entry.created_at

    @property
    def text(self) -> str:
        """The whole line as plain text: sentence, event and details."""
        line = self.sentence
        if self.event is not None:
            line = f"{line} — {self.event.title}"
        if self.details:
            line = f"{line} ({'; '.join(self.details)})"
        return line


def describe(entry: AuditEntry, context: Context) -> Described:
    """The entry as a sentence in the current language."""
    kind = kind_of(entry.action)
    account = entry.account
    person = ""
    if kind.about_account:
        email = entry.details.get("email") if isinstance(entry.details, dict) else None
        if isinstance(email, str) and email:
            person = email
        elif account is not None:
            person = account.email
            if entry.action in _RECORDED_BY_COMMANDS:
                account = None
    elif entry.registration_id is not None:
        registration = context.registrations.get(entry.registration_id)
        person = person_name(registration) if registration else _("an anonymised person")
    actor = actor_name(account)
    if not person:
        person = _("someone")
    sentence = str(kind.sentence) % {"actor": actor, "person": person, "action": entry.action}
    return Described(
        entry=entry,
        actor=actor,
        label=str(kind.label) if kind is not UNKNOWN else entry.action,
        person=person if (kind.about_account or entry.registration_id is not None) else "",
        event=context.events.get(entry.event_id) if entry.event_id is not None else None,
        sentence=sentence,
        details=_details(entry, context) if isinstance(entry.details, dict) else [],
    )


def describe_all(entries: Iterable[AuditEntry]) -> list[Described]:
    """Each entry in words, the events and people they name read in two queries."""
    entries = list(entries)
    context = _context(entries)
    return [describe(entry, context) for entry in entries]


def _context(entries: list[AuditEntry]) -> Context:
    event_ids = {entry.event_id for entry in entries if entry.event_id is not None}
    registration_ids = {e.registration_id for e in entries if e.registration_id is not None}
    for entry in entries:
        details = entry.details if isinstance(entry.details, dict) else {}
        if isinstance(details.get("source"), int):
            event_ids.add(details["source"])
        if isinstance(details.get("seat_given_to"), int):
            registration_ids.add(details["seat_given_to"])
    events = db.session.scalars(select(Event).where(Event.id.in_(event_ids))) if event_ids else []
    registrations = (
        db.session.scalars(select(Registration).where(Registration.id.in_(registration_ids)))
        if registration_ids
        else []
    )
    return Context(
        events={event.id: event for event in events},
        registrations={registration.id: registration for registration in registrations},
    )


# --- Finding entries ----------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What the reader asked for; ``None`` is "any".

    :ivar since: the first Warsaw day shown
    :ivar until: the last Warsaw day shown, whole
    """

    event_id: int | None = None
    person: str | None = None
    action: str | None = None
    since: date | None = None
    until: date | None = None


def visible_events(account: Account) -> list[Event]:
    """The events whose entries the account may read, newest first: an admin's all,
    an organiser's those of their city."""
    query = managed_events(account).order_by(Event.starts_at.desc(), Event.id.desc())
    return list(db.session.scalars(query))


def entries_query(account: Account, filters: Filters) -> Select:
    """The entries the account may read that match the filters, newest first.

    Admins read every entry. An organiser reads those about their city's events, whoever
    made them, and nothing else: not sign-ins, not accounts, not the system's runs.
    """
    query = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    if not account.is_admin:
        query = query.join(Event, Event.id == AuditEntry.event_id).where(
            Event.city_id == account.city_id
        )
    if filters.event_id is not None:
        query = query.where(AuditEntry.event_id == filters.event_id)
    if filters.action is not None:
        query = query.where(AuditEntry.action == filters.action)
    if filters.since is not None:
        query = query.where(AuditEntry.created_at >= _warsaw_midnight(filters.since))
    if filters.until is not None:
        query = query.where(
            AuditEntry.created_at < _warsaw_midnight(filters.until + timedelta(days=1))
        )
    if filters.person:
        registrations, accounts = _people_matching(query, filters.person)
        query = query.where(
            or_(
                AuditEntry.registration_id.in_(_inline(registrations)),
                AuditEntry.account_id.in_(_inline(accounts)),
            )
        )
    return query


def _inline(ids: list[int]) -> BindParameter:
    """Ids written into the statement as numbers: a short search ("a") can match tens of
    thousands of people, more than the bound parameters SQLite takes in one statement."""
    return bindparam(None, ids, expanding=True, literal_execute=True)


def _warsaw_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=WARSAW)


def _people_matching(query: Select, search: str) -> tuple[list[int], list[int]]:
    """The registrations named in the entries, and the accounts that made them, whose
    name or address contains ``search``, ignoring case and Polish marks (compared here:
    SQLite's lower() knows no Polish letters)."""
    needle = fold(search)
    named = query.with_only_columns(AuditEntry.registration_id).order_by(None).distinct()
    registrations = db.session.execute(
        select(Registration.id, Registration.full_name, Registration.email).where(
            Registration.id.in_(named.where(AuditEntry.registration_id.is_not(None)))
        )
    ).all()
    accounts = db.session.execute(select(Account.id, Account.email)).all()
    return (
        [
            id_
            for id_, name, email in registrations
            if needle in fold(name) or needle in fold(email)
        ],
        [id_ for id_, email in accounts if needle in fold(email)],
    )


@dataclass(frozen=True)
class AuditPage:
    """One page of the log in words, and the numbers of the pages."""

    pagination: Pagination
    entries: list[Described]


def audit_page(account: Account, filters: Filters, page: int) -> AuditPage:
    """Page ``page`` of what the account may read (a page past the last is the last)."""
    query = entries_query(account, filters)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    number, _pages = page_within(page, total=total, per_page=PAGE_SIZE)
    found = db.paginate(
        query, page=number, per_page=PAGE_SIZE, max_per_page=PAGE_SIZE, error_out=False
    )
    return AuditPage(found, describe_all(found.items))


# --- Downloads ---------------------------------------------------------------------------

#: The columns of a download, and their widths in characters.
EXPORT_COLUMNS = (
    (_l("Time (Warsaw)"), 18),
    (_l("Who"), 32),
    (_l("Action"), 28),
    (_l("Event"), 36),
    (_l("Person"), 28),
    (_l("What happened"), 80),
)


def export_rows(account: Account, filters: Filters) -> tuple[list[str], list[list]]:
    """The header and the rows of a download: every matching entry, newest first."""
    entries = db.session.scalars(entries_query(account, filters).limit(EXPORT_LIMIT)).all()
    header = [str(name) for name, _width in EXPORT_COLUMNS]
    rows = []
    # A page's worth of events and people read at a time: one query for 50 000 ids would
    # pass SQLite's limit of bound parameters.
    for start in range(0, len(entries), _EXPORT_BATCH):
        for described in describe_all(entries[start : start + _EXPORT_BATCH]):
            rows.append(
                [
                    described.when.astimezone(WARSAW),
                    described.actor,
                    described.label,
                    described.event.title if described.event else None,
                    described.person or None,
                    described.text,
                ]
            )
    return header, rows
