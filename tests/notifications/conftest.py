"""Every kind of email, as a real SMTP server received it, in each language."""

from __future__ import annotations

import email.message
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from flask import Flask

from registration import create_app
from registration.extensions import db
from registration.links import absolute_url
from registration.notifications.delivery import deliver_due
from registration.notifications.messages import message_id
from registration.notifications.models import MessageKind, OutboxMessage
from registration.registrations.views import checkin_url
from tests.conftest import SmtpServer, app_config
from tests.notifications.every_kind import queue_every_kind


@dataclass(frozen=True)
class Email:
    """One received email and what it is about: its registration's links (empty for an
    email to a back-office account, which is about no registration)."""

    kind: MessageKind
    language: str
    message: email.message.EmailMessage
    full_name: str
    manage_url: str
    event_url: str
    checkin_url: str
    feed_url: str

    @property
    def text(self) -> str:
        """The plain-text part, its lines ending in ``\\n`` as in a template."""
        return self.message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")

    @property
    def html(self) -> str:
        return self.message.get_body(preferencelist=("html",)).get_content()

    @property
    def page(self) -> BeautifulSoup:
        return BeautifulSoup(self.html, "html.parser")


@dataclass(frozen=True)
class Emails:
    language: str
    app: Flask
    by_kind: dict[MessageKind, Email]

    def __getitem__(self, kind: MessageKind) -> Email:
        return self.by_kind[kind]


@pytest.fixture(scope="module", params=["pl", "en"])
def emails(
    request: pytest.FixtureRequest, sqlite_template: Path, tmp_path_factory
) -> Iterator[Emails]:
    """One email of each kind in one language, made by the service's own operations
    (``every_kind.queue_every_kind``) and delivered by the mail worker's code to a real
    SMTP server. Made once per module and language: the tests only read them."""
    language = request.param
    server = SmtpServer()
    server.start()
    folder = tmp_path_factory.mktemp(f"emails-{language}")
    database = folder / "registration.sqlite3"
    shutil.copyfile(sqlite_template, database)
    app = create_app(
        app_config(f"sqlite:///{database}", MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port),
        instance_path=str(folder / "instance"),
    )
    try:
        with app.app_context():
            rows = {
                kind: db.session.get(OutboxMessage, row_id)
                for kind, row_id in queue_every_kind(language).items()
            }
            about = {kind: _links(row) for kind, row in rows.items()}
            report = deliver_due()
            assert report.sent == report.handled, report.errors
        received = {message["Message-ID"]: message for message in server.received}
        yield Emails(
            language=language,
            app=app,
            by_kind={
                kind: Email(
                    kind=kind,
                    language=language,
                    message=received[links.pop("message_id")],
                    **links,
                )
                for kind, links in about.items()
            },
        )
    finally:
        server.stop()
        with app.app_context():
            db.engine.dispose()


def _links(row: OutboxMessage) -> dict:
    registration = row.registration
    if registration is None:
        return dict.fromkeys(
            ("full_name", "manage_url", "event_url", "checkin_url", "feed_url"), ""
        ) | {"message_id": message_id(row)}
    return {
        "message_id": message_id(row),
        "full_name": registration.full_name,
        "manage_url": absolute_url("registrations.manage", token=registration.token),
        "event_url": absolute_url("events.detail", event_id=registration.event_id),
        "checkin_url": checkin_url(registration),
        "feed_url": absolute_url("ical.personal_feed", token=registration.participant.feed_token),
    }
