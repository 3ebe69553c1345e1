"""Log lines: one per request, and the service's own, as text or as JSON lines.

``LOG_FORMAT=json`` writes every line of the service's loggers (``registration`` and
those below it) to standard error as one JSON object: ``time``, ``level``, ``logger``,
``message``, the ``request_id`` when there is one, and the fields a line adds (``extra``).
``LOG_FORMAT=text`` (the default) writes the same lines as plain text, but for the
mail worker's line per message (see ``configure``).

What a line may hold: never an email address, a name, a token or a password. A request's
line names its route *pattern* (``/r/<token>``), never the path it was asked for, whose
parts may be secrets (manage links, personal feeds, ticket codes); and neither the query
string nor the client's address.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from flask import request

from registration.observability.request_ids import current_request_id

LOGGER_NAME = "registration"
#: The mail worker's lines about each message (``notifications.delivery``).
MAIL_LOGGER_NAME = f"{LOGGER_NAME}.mail"
#: The fields of a record that every record has; anything else came as ``extra``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
}

request_log = logging.getLogger(f"{LOGGER_NAME}.requests")


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id:
            line["request_id"] = request_id
        line.update((key, value) for key, value in vars(record).items() if key not in _STANDARD)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``time level logger [request id] message key=value …``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        extra = {key: value for key, value in vars(record).items() if key not in _STANDARD}
        request_id = extra.pop("request_id", None) or current_request_id()
        fields = " ".join(f"{key}={value}" for key, value in extra.items())
        parts = [text, f"request_id={request_id}" if request_id else "", fields]
        return " ".join(part for part in parts if part)


class _StandardErrorHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (as ``logging.lastResort`` does),
    so that a test's or a runner's capture of it is followed."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def configure(log_format: str) -> None:
    """Send the service's loggers to standard error in ``log_format``, at INFO.

    Called by every ``create_app``: it replaces the handler an earlier call put there
    rather than adding another. Records still propagate to the root logger, where
    nothing listens unless the operator (or a test) put something there.
    """
    logger = logging.getLogger(LOGGER_NAME)
    for handler in list(logger.handlers):
        if isinstance(handler, _StandardErrorHandler):
            logger.removeHandler(handler)
    handler = _StandardErrorHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    # Text is read by people in the journal, where the mail worker's one line per batch
    # says enough and its standard error is kept for trouble (docs/operations.md). A log
    # collector (JSON) gets its line for every message, to follow a request id.
    logging.getLogger(MAIL_LOGGER_NAME).setLevel(
        logging.INFO if log_format == "json" else logging.ERROR
    )


def route_pattern() -> str:
    """The rule that matched (``/r/<token>``), never the path; ``unmatched`` for a 404
    or a 405 that matched no rule."""
    rule = request.url_rule
    return rule.rule if rule is not None else "unmatched"


def gunicorn_logconfig_dict() -> dict:
    """gunicorn's ``logconfig_dict`` (or, as JSON, its ``--log-config-json`` file) for
    ``LOG_FORMAT=json``: gunicorn's own lines (workers starting, timing out, stopping) as
    JSON lines on standard error too, so that a collector reads one format.

    gunicorn's access log gets no handler: its lines hold the paths asked for, secrets
    included (see the module's docstring); the service's line per request replaces it.
    Nothing goes through the root logger, which would repeat the service's lines.
    """
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "root": {"level": "WARNING", "handlers": []},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["json"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
        },
        "handlers": {
            "json": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
    }
