"""JSON bodies: what Python's parser lets through but no text column can hold is invalid JSON."""

from __future__ import annotations

from typing import Any

from flask.json.provider import DefaultJSONProvider


class RequestJSONProvider(DefaultJSONProvider):
    """Flask's JSON, with two more kinds of document read as invalid.

    ``request.get_json`` answers a ``ValueError`` from ``loads`` as it answers any
    malformed body (``None`` when silent, else 400). Python's parser lets through
    two documents that fail later instead, as a 500: nesting deeper than the
    interpreter's recursion limit (it raises ``RecursionError``), and strings with
    a lone UTF-16 surrogate (``"\\ud800"``), valid JSON that no database, email or
    calendar can carry, since it is not text that UTF-8 can encode.
    """

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            document = super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None
        _refuse_surrogates(document)
        return document


def _refuse_surrogates(document: Any) -> None:
    """:raise UnicodeEncodeError: (a ``ValueError``) a string or key cannot be UTF-8."""
    pending = [document]
    while pending:  # a loop, not recursion: the document may be nested to the limit
        value = pending.pop()
        if isinstance(value, str):
            value.encode()
        elif isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
