"""Language and time presentation: Polish first, English second, Warsaw time."""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel import Locale, dates
from flask import current_app, has_request_context, request, url_for
from flask_babel import format_number, get_locale, get_timezone
from flask_babel.speaklater import LazyString
from markupsafe import Markup, escape

LANGUAGE_COOKIE = "lang"
#: The query arguments that choose what a page shows. A language link keeps these
#: and nothing else: not junk, not ``url_for``'s own (``_external`` would build the
#: link from the request's Host), not a view argument's name (a TypeError).
PAGE_ARGUMENTS = (
    *("type", "city", "month", "page", "when", "q", "code", "next"),
    *("event", "person", "action", "since", "until"),  # the audit log's filters
)
DEFAULT_LANGUAGE = "pl"
#: Where the coalition meets: events happen, and every time is shown, in Warsaw time.
WARSAW = ZoneInfo("Europe/Warsaw")


def select_locale() -> str:
    """The visitor's language: an explicit choice, else the browser's, else Polish."""
    if not has_request_context():
        return DEFAULT_LANGUAGE  # commands and workers say which language they want
    languages = current_app.config["LANGUAGES"]
    chosen = request.args.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages, default=DEFAULT_LANGUAGE)


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale else DEFAULT_LANGUAGE


def lazy_number(value: int) -> LazyString:
    """A number as the reader's language writes it (100 000, 100,000), for lazy messages."""
    return LazyString(format_number, value)


def url_for_language(language: str) -> str:
    """This page's URL with the language switched: a plain link, no JavaScript needed."""
    if request.endpoint is None:
        return url_for("events.index", lang=language)
    arguments = {name: request.args[name] for name in PAGE_ARGUMENTS if request.args.get(name)}
    arguments.update(request.view_args or {})
    arguments["lang"] = language
    return url_for(request.endpoint, **arguments)


# Each Polish letter with a diacritic sorts right after its base letter.
_POLISH_ORDER = str.maketrans(
    {
        "ą": "a~",
        "ć": "c~",
        "ę": "e~",
        "ł": "l~",
        "ń": "n~",
        "ó": "o~",
        "ś": "s~",
        "ź": "z~",
        "ż": "z~~",
    }
)


def polish_sort_key(text: str) -> str:
    """A key that sorts Polish words as a Polish dictionary does (Łódź after Lublin)."""
    return text.lower().translate(_POLISH_ORDER)


def fold(text: str) -> str:
    """``text`` without case, diacritics or extra spaces, for matching what people type:
    "  ŁÓDŹ " and "lodz" both fold to "lodz"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("ł", "l"))
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.split())


_BLANK_LINES = re.compile(r"\n\s*\n")


def paragraphs(text: str | None) -> Markup:
    """Plain text as HTML paragraphs; everything in it is escaped."""
    if not text:
        return Markup("")
    blocks = [block.strip() for block in _BLANK_LINES.split(text.replace("\r\n", "\n"))]
    return Markup("\n").join(
        Markup("<p>{}</p>").format(
            Markup("<br>\n").join(escape(line) for line in block.split("\n"))
        )
        for block in blocks
        if block
    )


# The same few event times are formatted on every page view, and Babel's
# formatting is the slowest part of rendering a list: remember the results.
@functools.lru_cache(maxsize=8192)
def _formatted(kind: str, value: date | datetime, pattern: str, locale: Locale, zone) -> str:
    if kind == "datetime":
        return dates.format_datetime(value, pattern, tzinfo=zone, locale=locale)
    if kind == "time":
        return dates.format_time(value, pattern, tzinfo=zone, locale=locale)
    if isinstance(value, datetime):
        # format_date does not shift into the visitor's zone by itself; an evening
        # event stored in UTC may already be the next day in Warsaw.
        value = value.astimezone(zone).date()
    return dates.format_date(value, pattern, locale=locale)


def _format(kind: str, value: date | datetime, pattern: str) -> str:
    return _formatted(kind, value, pattern, get_locale(), get_timezone())


def local_datetime(value: datetime, format: str = "d MMMM y, HH:mm") -> str:
    return _format("datetime", value, format)


def local_date(value: date | datetime, format: str = "full") -> str:
    return _format("date", value, format)


def local_time(value: datetime, format: str = "HH:mm") -> str:
    return _format("time", value, format)


# --- When an event happens: one formatter for pages, emails, feeds and exports ----

#: A day as each language writes it in running text; 24-hour time in both languages
#: (English in the British style: "Monday 21 December 2026, 09:30").
_DAY = {"pl": "EEEE, d MMMM y", "en": "EEEE d MMMM y"}
_SHORT_DAY = {"pl": "d MMMM y", "en": "d MMMM y"}
_CLOCK = "HH:mm"


@dataclass(frozen=True)
class Period:
    """When something happens, in Warsaw time: one day, or overnight and multi-day.

    ``str()`` is the plain text (emails, exports, feeds); in a template ``{{ period }}``
    gives the same words with ``<time>`` elements for machines and screen readers.
    """

    starts_at: datetime
    ends_at: datetime
    start_day: str
    end_day: str
    start_time: str
    end_time: str

    @property
    def one_day(self) -> bool:
        return self.start_day == self.end_day

    def __str__(self) -> str:
        if self.one_day:
            return f"{self.start_day}, {self.start_time}–{self.end_time}"
        return f"{self.start_day}, {self.start_time} – {self.end_day}, {self.end_time}"

    def __html__(self) -> str:
        start, end = self.starts_at.isoformat(), self.ends_at.isoformat()
        if self.one_day:
            return Markup('<time datetime="{}">{}, {}</time>–<time datetime="{}">{}</time>').format(
                start, self.start_day, self.start_time, end, self.end_time
            )
        return Markup(
            '<time datetime="{}">{}, {}</time> – <time datetime="{}">{}, {}</time>'
        ).format(start, self.start_day, self.start_time, end, self.end_day, self.end_time)


def period(starts_at: datetime, ends_at: datetime, *, weekday: bool = True) -> Period:
    """The one way an event's time is written, in the current language and Warsaw time."""
    days = _DAY if weekday else _SHORT_DAY
    pattern = days.get(current_language(), days[DEFAULT_LANGUAGE])
    return Period(
        starts_at=starts_at,
        ends_at=ends_at,
        start_day=local_date(starts_at, pattern),
        end_day=local_date(ends_at, pattern),
        start_time=local_time(starts_at, _CLOCK),
        end_time=local_time(ends_at, _CLOCK),
    )


def event_period(event, *, weekday: bool = True) -> Period:
    """``period`` of an event (anything with ``starts_at`` and ``ends_at``)."""
    return period(event.starts_at, event.ends_at, weekday=weekday)


def day_heading(value: date) -> str:
    """A day as ``period`` writes it ("wtorek, 10 marca 2027"), e.g. over a day's programme."""
    return local_date(value, _DAY.get(current_language(), _DAY[DEFAULT_LANGUAGE]))


# --- Text that people wrote, in its own language (WCAG 3.1.2) -------------------


def lang_attribute(language: str) -> Markup:
    """`` lang="pl"`` for text in another language than the page's, else nothing.

    Organisers write in the language of their event, whatever the visitor reads
    the page in: a screen reader must read a Polish title on an English page with
    Polish pronunciation.
    """
    if language == current_language():
        return Markup("")
    return Markup(' lang="{}"').format(language)
