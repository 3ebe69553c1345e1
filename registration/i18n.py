"""Language and time presentation: Polish first, English second, Warsaw time."""

from __future__ import annotations

import re
from datetime import date, datetime

from flask import current_app, has_request_context, request, url_for
from flask_babel import format_date, format_datetime, format_time, get_locale, to_user_timezone
from markupsafe import Markup, escape

LANGUAGE_COOKIE = "lang"
DEFAULT_LANGUAGE = "pl"


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


def url_for_language(language: str) -> str:
    """This page's URL with the language switched: a plain link, no JavaScript needed."""
    arguments = request.args.to_dict()
    arguments["lang"] = language
    if request.endpoint is None:
        return url_for("events.index", lang=language)
    return url_for(request.endpoint, **(request.view_args or {}), **arguments)


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


def local_datetime(value: datetime, format: str = "medium") -> str:
    return format_datetime(value, format)


def local_date(value: date | datetime, format: str = "full") -> str:
    if isinstance(value, datetime):
        # format_date does not shift into the visitor's zone by itself; an evening
        # event stored in UTC may already be the next day in Warsaw.
        value = to_user_timezone(value)
    return format_date(value, format)


def local_time(value: datetime, format: str = "short") -> str:
    return format_time(value, format)
