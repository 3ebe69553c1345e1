"""Calendars for calendar clients (docs/calendars.md): events in, iCalendar bytes out.

Three calendars are built here, all from the same VEVENT of an event:

- ``public_calendar``: the public feed, every published event (of a type, of a
  city), cancelled ones marked ``STATUS:CANCELLED``;
- ``event_calendar``: one event, behind the event page's download link;
- ``personal_calendar``: one participant's confirmed and waitlisted events,
  the waitlisted ones ``STATUS:TENTATIVE``.

**What goes into which calendar.** The public feed and the one-event file are
shared: anybody may subscribe, people put them into calendars their whole team
sees, and forward the file. So they carry exactly what the public event page
shows (title, summary, description, place, times, the page's link) and nothing
about who registered: no names, no seat counts, no manage links. pretix's
``presale/ical.py`` draws the same line for the same reason: people do not
expect a calendar entry to hand out a secret link to everyone who can see their
calendar. The personal feed is one person's: its URL carries their secret
``feed_token``, and it lists which events they registered for (with the online
link of an online event, which is for registered people). Its address goes only
by email to the person, and they can have it replaced. Yet a feed URL ends up in
calendar apps, in calendars shared with colleagues, so it must not carry a
stronger secret inside it: each entry links to the event's public page, never to
a manage page, and holds no name, email or other detail of the registration.
Invitations in emails follow the same rule, since they too land in calendars.

**One UID per event, everywhere.** ``event-{id}@{host of BASE_URL}`` in the
feeds, the download and email invitations alike, so that a client which meets
an event twice updates it instead of showing it twice (pretix once gave one
event two UIDs). It never comes from the request's Host header, which anybody
can set. SEQUENCE is the event's own counter, raised when its time, place or
status change. DTSTAMP is the event's last change, as RFC 5545 asks of a
calendar without METHOD: the same data then always gives the same bytes, which
lets the views validate feeds cheaply and keep a rendered one.

**Times.** DTSTART and DTEND are Warsaw wall-clock times with
``TZID=Europe/Warsaw``, and each calendar carries the matching VTIMEZONE (see
``vtimezone``). One hour a year cannot be written that way: when clocks go back
in October, 02:00-02:59 happens twice, and clients disagree about which of the
two such a time means (see ``wall_clock``); that hour is written in UTC.

**Text from people.** Titles, venues, addresses and descriptions are typed by
organisers and may contain anything. ``icalendar`` escapes backslashes,
semicolons, commas and line breaks, and folds lines at 75 octets without
splitting a UTF-8 character. Before that, ``_clean`` turns every kind of line
break into one newline and drops control characters, which RFC 5545 does not
allow in text; and ``_Text`` escapes strictly, because ``icalendar``'s own text
type also reads a backslash followed by ``N`` as a line break (a feature for
programmers, which would alter what a person typed, say a Windows path).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlencode, urlsplit

from flask_babel import gettext as _
from icalendar import Alarm, Calendar, Timezone, TimezoneDaylight, TimezoneStandard
from icalendar import Event as VEvent
from icalendar.prop import vDuration, vText

from registration import markdown
from registration.events.models import Event
from registration.i18n import WARSAW
from registration.links import path_for
from registration.registrations.models import Registration, RegistrationStatus

TZID = WARSAW.key
PRODID = "-//Koalicja Miast//Rejestracja//PL"
#: How often subscribers should fetch the feed again (REFRESH-INTERVAL, X-PUBLISHED-TTL).
REFRESH_INTERVAL = timedelta(hours=1)
#: Raise this when the same data would now give different bytes (a new property,
#: a reworded description): it is part of every feed's ETag, so clients and the
#: views' render cache then fetch and build feeds anew.
FORMAT_VERSION = 4

MEDIA_TYPE = "text/calendar; charset=utf-8"


# --- Text -------------------------------------------------------------------

# Every line break people type, and Unicode's own: each becomes one newline.
_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
# Control characters (other than tab and newline) are not allowed in TEXT;
# lone surrogates cannot be written as UTF-8.
_FORBIDDEN = re.compile("[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f\ud800-\udfff]")


def _clean(text: str | None) -> str:
    """Text as people meant it, with nothing that iCalendar cannot carry."""
    if not text:
        return ""
    return _FORBIDDEN.sub("", _LINE_BREAKS.sub("\n", text))


class _Text(vText):
    """A TEXT value escaped exactly as RFC 5545 section 3.3.11 says, and no more."""

    def to_ical(self) -> bytes:
        escaped = (
            self.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")
        )
        return escaped.encode("utf-8")


def _text(text: str | None) -> _Text:
    return _Text(_clean(text))


def one_line(text: str | None) -> str:
    """Text for a place that holds one line, such as a parameter (an attendee's CN).

    Line breaks and runs of white space become one space; control characters go.
    (``icalendar`` quotes parameter values and escapes quotes in them, RFC 6868.)
    """
    return " ".join(_clean(text).split())


# --- Time zone --------------------------------------------------------------

#: Warsaw's offsets: CET in winter, CEST in summer.
CET, CEST = timedelta(hours=1), timedelta(hours=2)
#: Since 1996 Poland changes clocks by the EU rule (now Directive 2000/84/EC): to
#: summer time at 02:00 CET on the last Sunday of March, back at 03:00 CEST on the
#: last Sunday of October. tests/ical/test_vtimezone.py checks, year by year, that
#: the tz database still says so, and that ical.js reads our VTIMEZONE as zoneinfo.
# (kind, name, offset before, offset after, first change): a VTIMEZONE dates each change
# in the wall-clock time before it, with no zone (RFC 5545, 3.6.5).
_OBSERVANCES = (
    (TimezoneDaylight, "CEST", CET, CEST, datetime(1996, 3, 31, 2, 0)),  # noqa: DTZ001
    (TimezoneStandard, "CET", CEST, CET, datetime(1996, 10, 27, 3, 0)),  # noqa: DTZ001
)


@functools.cache
def vtimezone() -> Timezone:
    """Warsaw's VTIMEZONE: one observance each way, each with a yearly RRULE.

    Why not ``icalendar``'s own ``Timezone.from_tzid``: it writes every change of
    clocks as one many-valued RDATE, and ical.js (Thunderbird's parser) reads
    only the first value of an RDATE, so every summer event after the first
    listed year came out an hour early there; and it dates the spring change
    in the new time rather than the old one, an hour later than RFC 5545 reads
    it. Outlook, too, is happiest with one yearly rule per observance.
    """
    timezone = Timezone()
    timezone.add("TZID", TZID)
    timezone.add("X-LIC-LOCATION", TZID)  # how libical-based clients name the zone
    for kind, name, before, after, first_change in _OBSERVANCES:
        observance = kind()
        observance.add("TZNAME", name)
        observance.add("TZOFFSETFROM", before)
        observance.add("TZOFFSETTO", after)
        observance.add("DTSTART", first_change)  # naive: wall-clock time before the change
        observance.add("RRULE", {"FREQ": "YEARLY", "BYMONTH": first_change.month, "BYDAY": "-1SU"})
        timezone.add_component(observance)
    return timezone


# --- Events -----------------------------------------------------------------


def host(base_url: str) -> str:
    """The host name of BASE_URL, without port: the right-hand side of every UID."""
    return (urlsplit(base_url).hostname or "localhost").lower()


def uid(event: Event, *, base_url: str) -> str:
    """The event's UID, the same in every feed, file and invitation; it never changes."""
    return f"event-{event.id}@{host(base_url)}"


def link(base_url: str, endpoint: str, **values: object) -> str:
    """An absolute URL from BASE_URL (never from a request): works outside requests too."""
    return base_url + path_for(endpoint, **values)


def wall_clock(instant: datetime) -> datetime:
    """``instant`` as DTSTART/DTEND should carry it: Warsaw time, or UTC where that is ambiguous.

    When clocks go back, Warsaw times from 02:00 to 02:59 happen twice. RFC 5545
    reads such a time as its first occurrence, but ical.js (Thunderbird) reads
    it as the second; only UTC means the same instant to every client.
    """
    local = instant.astimezone(WARSAW)
    twin = local.replace(fold=1 - local.fold)
    return instant.astimezone(UTC) if twin.utcoffset() != local.utcoffset() else local


def location(event: Event) -> str:
    """Where, as one line: venue, address, city."""
    parts = [event.venue, event.address, event.city.name]
    return ", ".join(part.strip() for part in parts if part and part.strip())


#: When a person's own calendar reminds them of their seat, before the event starts.
DAY_BEFORE = timedelta(days=1)
HOUR_BEFORE = timedelta(hours=1)
REMINDERS = (DAY_BEFORE, HOUR_BEFORE)


def reminders(event: Event, *, after: datetime) -> list[Alarm]:
    """The event's reminders (VALARM) still to come ``after`` that moment, earliest first.

    Outlook keeps only one reminder per entry, the first: the day before, which
    leaves time to travel.
    """
    title = _clean(event.title)
    texts = {
        DAY_BEFORE: _("Tomorrow: %(title)s", title=title),
        HOUR_BEFORE: _("In an hour: %(title)s", title=title),
    }
    alarms = []
    for before in REMINDERS:
        if event.starts_at - before <= after:
            continue  # its moment has passed
        alarm = Alarm()
        alarm.add("ACTION", "DISPLAY")
        alarm.add("TRIGGER", -before)  # before DTSTART
        alarm.add("DESCRIPTION", _Text(texts[before]))  # required of a DISPLAY alarm
        alarms.append(alarm)
    return alarms


def vevent(
    event: Event,
    *,
    base_url: str,
    url: str,
    notes: Iterable[str] = (),
    status: str | None = None,
    online_url: str | None = None,
    reminders_after: datetime | None = None,
) -> VEvent:
    """The VEVENT of ``event``: the same UID, times, place and SEQUENCE in every calendar.

    :param url: the link for URL and the end of DESCRIPTION (the event's page)
    :param notes: lines for the top of DESCRIPTION (say, "you are on the waitlist")
    :param status: STATUS; by default CONFIRMED, or CANCELLED for a cancelled event
    :param online_url: the link for online participation, in a registered person's own
        calendar (``Registration.online_url``); shared calendars never carry it
    :param reminders_after: for a seat in a person's own calendar: the moment after which
        reminders are still to come (see ``reminders``); only a CONFIRMED entry gets
        them, and shared calendars never (``None``)
    """
    cancelled = event.is_cancelled
    status = "CANCELLED" if cancelled else (status or "CONFIRMED")
    title = _clean(event.title)
    summary = _("Cancelled: %(title)s", title=title) if cancelled else title
    paragraphs = [*notes, event.summary, markdown.plain_text(event.description)]
    if online_url:
        paragraphs.append(_("Online participation: %(url)s", url=online_url))
    paragraphs.append(url)

    component = VEvent()
    component.add("UID", uid(event, base_url=base_url))
    # No METHOD in our feeds: DTSTAMP is then when the event last changed (RFC 5545, 3.8.7.2).
    component.add("DTSTAMP", event.updated_at)
    component.add("CREATED", event.created_at)
    component.add("LAST-MODIFIED", event.updated_at)
    component.add("SEQUENCE", event.sequence)
    component.add("DTSTART", wall_clock(event.starts_at))
    component.add("DTEND", wall_clock(event.ends_at))
    component.add("SUMMARY", _Text(summary))
    component.add("LOCATION", _text(location(event)))
    component.add("DESCRIPTION", _text("\n\n".join(_clean(p).strip() for p in paragraphs if p)))
    component.add("URL", url)
    component.add("STATUS", status)
    if cancelled:
        component.add("TRANSP", "TRANSPARENT")  # a cancelled event keeps nobody busy
    if reminders_after is not None and status == "CONFIRMED":
        for alarm in reminders(event, after=reminders_after):
            component.add_component(alarm)
    return component


def _calendar(name: str, components: Iterable[VEvent]) -> bytes:
    calendar = Calendar()
    calendar.add("VERSION", "2.0")
    calendar.add("PRODID", PRODID)
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("NAME", _text(name))  # RFC 7986
    calendar.add("X-WR-CALNAME", _text(name))  # what Apple, Google and Outlook read
    # RFC 7986 requires VALUE=DURATION here; icalendar's refresh_interval leaves it out.
    calendar.add("REFRESH-INTERVAL", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", vDuration(REFRESH_INTERVAL))  # Outlook's name for it
    calendar.add_component(vtimezone())
    for component in components:
        calendar.add_component(component)
    return calendar.to_ical(sorted=False)


def calendar_name(*, type_label: str | None = None, city_name: str | None = None) -> str:
    """The public feed's name in calendar apps: "Koalicja Miast", narrowed by type and city.

    :param type_label: the type's name in the plural, as the list's filter says it
        ("Seminaria problemowe")
    """
    narrowed = " · ".join(part for part in (type_label, city_name) if part)
    return _("Koalicja Miast: %(what)s", what=narrowed) if narrowed else _("Koalicja Miast")


def personal_calendar_name() -> str:
    """The personal feed's name in calendar apps, in the current language."""
    return _("Koalicja Miast: my registrations")


def public_calendar(events: Iterable[Event], *, base_url: str, name: str) -> bytes:
    """The public feed: only what the event pages show (see the module docstring)."""
    return _calendar(name, (_public_vevent(event, base_url) for event in events))


def event_calendar(event: Event, *, base_url: str) -> bytes:
    """One event, for the download link on its page: the same VEVENT as the public feed."""
    return _calendar(_clean(event.title), [_public_vevent(event, base_url)])


def personal_calendar(
    registrations: Iterable[Registration], *, base_url: str, now: datetime
) -> bytes:
    """One person's confirmed and waitlisted events, each linking to its public page.

    No manage link, name, email or other detail of the registration goes in (see
    the module docstring). Texts are in the current language: render it in the
    participant's.

    :param now: the moment the feed's version was taken; reminders whose moment
        has passed by then are left out
    """
    components = []
    for registration in registrations:
        waitlisted = registration.status == RegistrationStatus.WAITLISTED
        waiting = waitlisted and not registration.event.is_cancelled
        notes = [_("You are on the waitlist for this event.")] if waiting else []
        components.append(
            vevent(
                registration.event,
                base_url=base_url,
                url=link(base_url, "events.detail", event_id=registration.event_id),
                notes=notes,
                status="TENTATIVE" if waitlisted else "CONFIRMED",
                online_url=registration.online_url,
                reminders_after=now,
            )
        )
    return _calendar(personal_calendar_name(), components)


def _public_vevent(event: Event, base_url: str) -> VEvent:
    return vevent(event, base_url=base_url, url=link(base_url, "events.detail", event_id=event.id))


# --- Links for pages ----------------------------------------------------------


def webcal(url: str) -> str:
    """The subscription form of an http(s) URL: calendar apps open ``webcal://`` links."""
    return "webcal://" + url.split("://", 1)[1]


@dataclass(frozen=True)
class Subscription:
    """Ways to subscribe to one feed, for people whose browser does nothing with ``webcal://``.

    Each calendar service takes the feed's address its own way:

    - Google Calendar: ``calendar.google.com/calendar/r?cid=`` with the feed's
      ``webcal://`` address. Google has never documented this link; the
      ``webcal://`` form is the one that has kept working (Google has answered an
      ``https://`` address there with "This email address isn't associated with an
      active Google Calendar account"), and the one add-to-calendar tools use.
      Google reads it as ``http://`` and follows the proxy's redirect to https.
      It fetches the feed from its own servers: a feed on a machine that the
      internet cannot reach cannot be added this way.
    - Outlook on the web: ``/calendar/0/addfromweb?url=&name=`` on
      ``outlook.live.com`` for personal (Outlook.com) accounts and on
      ``outlook.office.com`` for work and school (Microsoft 365) accounts; it
      opens "Subscribe from web" filled in.
    - Apple Calendar and most desktop and phone apps: ``webcal://``.
    - Anything else: the plain https address, pasted into the app's "subscribe by URL"
      (Google Calendar's own is "Other calendars → + → From URL").

    Each address inside a link is percent-encoded whole, ``:/?&=`` included, so
    that a filtered feed's own query (``?type=seminar&city=lodz``) stays part of
    it; spaces become ``%20``, never ``+``, which Outlook would show as a plus.
    """

    https: str
    webcal: str
    google: str
    outlook: str
    microsoft_365: str
    #: The calendar's name, as the feed's X-WR-CALNAME gives it and Outlook's link proposes.
    name: str = ""


def _query(**values: str) -> str:
    return urlencode(values, quote_via=quote, safe="")


def subscription(url: str, name: str) -> Subscription:
    """The subscription links of the feed at the absolute https ``url``, called ``name``."""
    webcal_url = webcal(url)
    outlook = _query(url=url, name=name)
    return Subscription(
        https=url,
        webcal=webcal_url,
        google="https://calendar.google.com/calendar/r?" + _query(cid=webcal_url),
        outlook="https://outlook.live.com/calendar/0/addfromweb?" + outlook,
        microsoft_365="https://outlook.office.com/calendar/0/addfromweb?" + outlook,
        name=name,
    )


def personal_subscription(feed_url: str) -> Subscription:
    """The subscription links of a person's own feed, named in the current language.

    For the person's emails only (their feed's address is a secret of their mailbox).
    """
    return subscription(feed_url, personal_calendar_name())


def _google_time(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def google_calendar_url(event: Event, *, base_url: str) -> str:
    """A Google Calendar "add event" link, filled in with the event's public facts."""
    page = link(base_url, "events.detail", event_id=event.id)
    details = "\n\n".join(part for part in (_clean(event.summary).strip(), page) if part)
    query = {
        "action": "TEMPLATE",
        "text": _clean(event.title),
        "dates": f"{_google_time(event.starts_at)}/{_google_time(event.ends_at)}",
        "ctz": TZID,
        "details": details,
        "location": _clean(location(event)),
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(query)
