"""Reading calendars back, twice: with ``icalendar`` and with Mozilla's ical.js.

ical.js is the parser of Thunderbird, written independently of the Python
package that writes our feeds; it is installed from ``tests/package.json`` by npm and
run with the machine's Node.js (``parse_with_icaljs.mjs``, one process for the
whole session). ``read`` gives each calendar to both, checks the wire format
on the bytes themselves, and insists that the two parsers see the same
events: UIDs, times as UTC instants, statuses, texts, links and sequence
numbers. Tests then make their claims about what both saw.
"""

from __future__ import annotations

import atexit
import json
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from icalendar import Calendar

TESTS = Path(__file__).resolve().parents[1]
NODE_SCRIPT = Path(__file__).with_name("parse_with_icaljs.mjs")
ICAL_JS = TESTS / "node_modules" / "ical.js" / "package.json"

#: Every property a VEVENT of ours may have; anything else was smuggled in.
VEVENT_PROPERTIES = {
    "uid",
    "dtstamp",
    "created",
    "last-modified",
    "sequence",
    "dtstart",
    "dtend",
    "summary",
    "location",
    "description",
    "url",
    "status",
    "transp",
}
#: ... and what an invitation adds to it.
ITIP_PROPERTIES = {"organizer", "attendee"}
#: Every property a reminder (VALARM) of ours may have.
VALARM_PROPERTIES = {"action", "trigger", "description"}


@dataclass(frozen=True)
class Reminder:
    """One VALARM as a parser saw it: its action, its trigger (a duration before the
    start, as RFC 5545 writes it: "-P1D") and the text it shows."""

    action: str
    trigger: str
    description: str


@dataclass(frozen=True)
class Seen:
    """One VEVENT as a parser saw it; times are UTC instants in ISO 8601."""

    uid: str
    start: str
    end: str
    status: str | None
    summary: str
    sequence: int
    location: str
    description: str
    url: str
    reminders: tuple[Reminder, ...] = ()


@dataclass
class Feed:
    """A calendar both parsers read alike."""

    raw: bytes
    name: str | None
    events: dict[str, Seen]
    #: What ical.js said about the calendar as a whole (PRODID, NAME, TTL, time zones …).
    calendar: dict = field(default_factory=dict)
    #: The TZID ical.js resolved for each event's start, by UID ("UTC" for Z times).
    zones: dict[str, str | None] = field(default_factory=dict)

    @property
    def only(self) -> Seen:
        assert len(self.events) == 1, list(self.events)
        return next(iter(self.events.values()))


def utc(instant: datetime) -> str:
    """An aware datetime as the UTC ISO form both readers report."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def read(*calendars: bytes) -> list[Feed]:
    """Read each calendar with icalendar and ical.js; fail unless both agree."""
    for raw in calendars:
        check_wire_format(raw)
    by_icaljs = _icaljs([raw.decode("utf-8") for raw in calendars])
    feeds = []
    for raw, seen_by_js in zip(calendars, by_icaljs, strict=True):
        by_python = _icalendar(raw)
        by_js = {event["uid"]: _seen_by_icaljs(event) for event in seen_by_js["events"]}
        assert len(by_js) == len(seen_by_js["events"]), "ical.js saw one UID twice"
        assert by_js == by_python, _disagreement(by_js, by_python)
        # Who organises and who attends belongs in an invitation (a calendar with a
        # METHOD, RFC 5546), never in a feed.
        invitation = bool(seen_by_js["calendar"]["method"])
        allowed = VEVENT_PROPERTIES | (ITIP_PROPERTIES if invitation else set())
        for event in seen_by_js["events"]:
            names = event["properties"]
            assert len(names) == len(set(names)), f"a property twice in {event['uid']}: {names}"
            assert set(names) <= allowed, f"unexpected properties: {names}"
            assert set(event["components"]) <= {"valarm"}, event["components"]
            for alarm in event["alarms"]:
                assert set(alarm["properties"]) <= VALARM_PROPERTIES, alarm["properties"]
                assert alarm["related"] in (None, "START"), alarm  # before the start
        feeds.append(
            Feed(
                raw=raw,
                name=seen_by_js["calendar"]["name"],
                events=by_python,
                calendar=seen_by_js["calendar"],
                zones={event["uid"]: event["start"]["tzid"] for event in seen_by_js["events"]},
            )
        )
    return feeds


def _disagreement(by_js: dict[str, Seen], by_python: dict[str, Seen]) -> str:
    lines = ["the parsers disagree:"]
    for key in sorted(set(by_js) | set(by_python)):
        if by_js.get(key) != by_python.get(key):
            lines += [f"  ical.js:   {by_js.get(key)}", f"  icalendar: {by_python.get(key)}"]
    return "\n".join(lines)


def read_one(raw: bytes) -> Feed:
    return read(raw)[0]


def check_wire_format(raw: bytes) -> None:
    """CRLF line ends, no line over 75 octets, and no UTF-8 character split by a fold."""
    assert raw.endswith(b"\r\n")
    lines = raw[:-2].split(b"\r\n")
    for number, line in enumerate(lines, 1):
        assert b"\r" not in line, f"bare CR in line {number}: {line!r}"
        assert b"\n" not in line, f"bare LF in line {number}: {line!r}"
        assert len(line) <= 75, f"line {number} has {len(line)} octets: {line!r}"
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as error:
            pytest.fail(f"line {number} is not UTF-8 by itself (split character?): {error}")
        assert line, f"empty line {number}"


def _icalendar(raw: bytes) -> dict[str, Seen]:
    calendar = Calendar.from_ical(raw)
    seen = {}
    for event in calendar.walk("VEVENT"):
        uid = str(event["UID"])
        assert uid not in seen, f"icalendar saw {uid} twice"
        seen[uid] = Seen(
            uid=uid,
            start=utc(event.start),
            end=utc(event.end),
            status=str(event["STATUS"]) if "STATUS" in event else None,
            summary=str(event.get("SUMMARY", "")),
            sequence=int(event.get("SEQUENCE", 0)),
            location=str(event.get("LOCATION", "")),
            description=str(event.get("DESCRIPTION", "")),
            url=str(event.get("URL", "")),
            reminders=tuple(
                Reminder(
                    action=str(alarm["ACTION"]),
                    trigger=alarm["TRIGGER"].to_ical().decode(),
                    description=str(alarm["DESCRIPTION"]),
                )
                for alarm in event.walk("VALARM")
            ),
        )
    return seen


def _seen_by_icaljs(event: dict) -> Seen:
    return Seen(
        uid=event["uid"],
        start=event["start"]["utc"],
        end=event["end"]["utc"],
        status=event["status"],
        summary=event["summary"] or "",
        sequence=event["sequence"] or 0,
        location=event["location"] or "",
        description=event["description"] or "",
        url=event["url"] or "",
        reminders=tuple(
            Reminder(
                action=alarm["action"],
                trigger=alarm["trigger"],
                description=alarm["description"],
            )
            for alarm in event["alarms"]
        ),
    )


class _IcalJs:
    """One Node.js process running ical.js for the whole test session (``--serve``)."""

    def __init__(self) -> None:
        self._process: subprocess.Popen | None = None
        self._lock = threading.Lock()

    def read(self, texts: list[str]) -> list[dict]:
        with self._lock:
            process = self._process or self._start()
            assert process.stdin is not None
            assert process.stdout is not None
            try:
                process.stdin.write(json.dumps(texts) + "\n")
                process.stdin.flush()
                line = process.stdout.readline()
            except OSError as error:
                line = ""
                self._process = None
                pytest.fail(f"ical.js stopped: {error}")
            if not line:
                self._process = None
                pytest.fail("ical.js stopped without an answer")
        answer = json.loads(line)
        if "error" in answer:
            pytest.fail(answer["error"])
        return answer["calendars"]

    def _start(self) -> subprocess.Popen:
        node = shutil.which("node")
        if node is None:
            pytest.fail("Node.js is missing: the calendar tests read every feed with ical.js")
        if not ICAL_JS.exists():
            pytest.fail(
                f"{ICAL_JS.parent} is missing: run `npm ci --prefix tests` "
                "(tests/package.json lists ical.js)"
            )
        self._process = subprocess.Popen(
            [node, str(NODE_SCRIPT), "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=TESTS,
            text=True,
            encoding="utf-8",
        )
        atexit.register(self._stop, self._process)
        return self._process

    @staticmethod
    def _stop(process: subprocess.Popen) -> None:
        if process.stdin:
            process.stdin.close()  # the script ends when its input does
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


_icaljs = _IcalJs().read
