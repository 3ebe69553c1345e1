"""Delivering the outbox: each message once, whatever crashes.

Claiming. A worker claims a batch of due messages in one short transaction: on
PostgreSQL with ``FOR UPDATE SKIP LOCKED``, so that concurrent workers take
disjoint batches; on SQLite the claiming transaction holds the database's
write lock (``BEGIN IMMEDIATE``), which serialises workers just the same. It
writes a fresh random claim id on the messages and moves their
``next_attempt_at`` a lease ahead (``MAIL_LEASE_SECONDS``), then commits, so no
lock is held while the SMTP server is talked to.

The claim check. A slow batch can outlive its lease, and another worker then
claims what is left of it. So before each message the worker renews that
message's lease and counts the attempt in one atomic ``UPDATE … WHERE claim =
ours AND status = 'queued'``, committed at once, and sends only if that
changed the row; otherwise the message belongs to another worker now and is
skipped. Retries and releases also need the claim to be ours. "Sent" is
recorded whoever holds the claim: the server has the message, and a worker
that claimed it meanwhile must not send a copy. Each of these writes is its
own short transaction; composing only reads (on SQLite without the write
lock, so registrations never wait for the mail worker's templates).

Crashes. A message is recorded as sent right after the SMTP server accepts
it. A worker that dies, or loses its database, between those two steps leaves
one message claimed; when the lease runs out, a worker sends it again with the
same ``Message-ID``, so mail systems can drop the copy. That window is one
message wide (docs/emails.md). A worker that dies anywhere else loses and
repeats nothing: the messages it had claimed but not sent become due again
when their lease ends. (``mail send-queued --loop`` waits out a database
outage; see ``cli``.)

Timeouts. Connecting and every reply to a command wait at most
``MAIL_TIMEOUT`` seconds, the verdict on a message's text ten times as long
(servers scan mail first; RFC 5321 suggests ten minutes). A server that goes
silent, or refuses the whole conversation (greeting, sender, login), costs the
batch no attempt: it is due again ``SERVER_DOWN_RETRY`` later. Only the
message whose text had already gone out counts a failed attempt and waits its
back-off, since the server may have taken it: copies stay few and far apart.
The lease must be longer than one message can take (the configuration is
refused otherwise).

Stopping. SIGTERM or SIGINT (``StopRequest``) end a wait on the SMTP server at
once. The messages claimed but not started are released, due at once with
their attempts unchanged; the one in flight may have reached the server, so it
keeps its lease and is sent again only when that ends (the allowed copy).
"""

from __future__ import annotations

import logging
import secrets
import smtplib
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Protocol

import flask_mail
from flask import current_app
from flask_babel import force_locale
from flask_mail import BadHeaderError, Message
from sqlalchemy import select, update

from registration.database import reading_only, utcnow
from registration.extensions import db
from registration.notifications.messages import Invitation, compose
from registration.notifications.models import DeliveryStatus, OutboxMessage
from registration.observability.request_ids import HEADER as REQUEST_ID_HEADER
from registration.privacy.retention import scrub_delivered

#: One line per message tried, sent, retried or failed: its outbox id, kind and attempt,
#: and the id of the request that queued it; never its address (``observability.logs``).
log = logging.getLogger("registration.mail")

#: Attempts before a message is given up as failed.
MAX_ATTEMPTS = 10
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_LONGEST = timedelta(hours=2)
#: When the SMTP server cannot be reached at all, try again this soon.
SERVER_DOWN_RETRY = timedelta(seconds=30)


class Stopped(BaseException):
    """The worker was asked to stop; raised where it waited, or before its next message.

    Not an ``Exception``, so that nothing on the way takes it for a failed send.
    """


class StopRequest:
    """SIGTERM or SIGINT for a worker: install ``handle`` as the signal handler.

    Mostly the handler only takes note, and the worker stops before its next
    message, so that no database statement is cut in two. But while the worker
    waits on the SMTP server (or sleeps between polls) the handler raises
    ``Stopped`` there and then: a handler that raises ends the blocking call
    (PEP 475), so a server that never answers cannot keep the worker.
    """

    def __init__(self) -> None:
        self.requested = False
        self._interruptible = False

    def handle(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True
        if self._interruptible:
            self._interruptible = False
            raise Stopped

    def check(self) -> None:
        """:raise Stopped: if a stop was requested"""
        if self.requested:
            raise Stopped

    @contextmanager
    def interruptible(self) -> Iterator[None]:
        """Code inside may be ended by ``Stopped`` at any point: only waiting, no database work."""
        self.check()
        self._interruptible = True
        try:
            yield
        finally:
            self._interruptible = False


class Transport(Protocol):
    #: Whether the message being sent may have reached the server, for all we know.
    may_have_delivered: bool

    def send(self, message: Message) -> None: ...


class _Conversation:
    """What ``smtplib.SMTP`` does, remembering whether a message's text went to the server,
    and waiting for the server's verdict on it ``MAIL_FINAL_REPLY_TIMEOUT`` seconds, longer
    than for a command: a server may scan a message before it answers.

    After the text went out, a lost connection or a timeout leaves it unknown whether
    the server took the message: it is then retried only after a back-off, as a failure
    (see ``deliver_due``), and the answer gets the time to come in the first place.
    """

    timeout: float
    sock: object
    #: Whether the text of the message being sent has gone to the server.
    text_sent = False

    def data(self, msg):
        self.text_sent = True
        self.sock.settimeout(current_app.config["MAIL_FINAL_REPLY_TIMEOUT"])
        try:
            return super().data(msg)
        finally:
            if self.sock is not None:
                self.sock.settimeout(self.timeout)


class _SMTP(_Conversation, smtplib.SMTP):
    pass


class _SMTPOverSSL(_Conversation, smtplib.SMTP_SSL):
    pass


class TimedConnection(flask_mail.Connection):
    """Flask-Mail's connection, with ``MAIL_TIMEOUT`` on connecting and on every reply.

    Flask-Mail 0.10 opens ``smtplib.SMTP`` without a timeout, so a server that
    accepts the connection and never answers would hold the worker forever.
    This is its ``configure_host`` with the timeout passed on.
    """

    def configure_host(self) -> smtplib.SMTP:
        settings = self.mail
        factory = _SMTPOverSSL if settings.use_ssl else _SMTP
        host = factory(settings.server, settings.port, timeout=current_app.config["MAIL_TIMEOUT"])
        host.set_debuglevel(int(settings.debug))
        if settings.use_tls:
            host.starttls()
        if settings.username and settings.password:
            host.login(settings.username, settings.password)
        return host


class SmtpTransport(AbstractContextManager):
    """One SMTP connection (Flask-Mail) for a whole batch; a stop request ends any wait on it."""

    def __init__(self, stop: StopRequest) -> None:
        self.stop = stop

    def __enter__(self) -> SmtpTransport:
        self._connection = TimedConnection(current_app.extensions["mail"])
        with self.stop.interruptible():
            self._connection.__enter__()
        return self

    def __exit__(self, exc_type, *exc_info) -> None:
        host = self._connection.host
        if host is None:  # MAIL_SUPPRESS_SEND
            return
        try:
            if exc_type is None:  # after a failure or a stop, no polite QUIT to wait for
                # The server may go away after our last message; nothing is lost by that.
                with suppress(smtplib.SMTPException, OSError), self.stop.interruptible():
                    host.quit()
        finally:
            host.close()

    def send(self, message: Message) -> None:
        self._connection.host.text_sent = False
        with self.stop.interruptible():
            self._connection.send(message)

    @property
    def may_have_delivered(self) -> bool:
        """Whether the message being sent may have reached the server, for all we know."""
        host = self._connection.host
        return host is not None and host.text_sent


class FileTransport(AbstractContextManager):
    """Development without ``MAIL_SERVER``: each message becomes an ``.eml`` file to open."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __enter__(self) -> FileTransport:
        self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc_info) -> None:
        return None

    #: A file is written whole or not at all.
    may_have_delivered = False

    def send(self, message: Message) -> None:
        if message.has_bad_headers():
            raise BadHeaderError
        name = message.msgId.strip("<>").split("@")[0]
        (self.folder / f"{name}.eml").write_bytes(message.as_bytes())


def mail_folder() -> Path:
    return Path(current_app.instance_path) / "mail"


def transport(stop: StopRequest) -> AbstractContextManager:
    if current_app.config["MAIL_SERVER"]:
        return SmtpTransport(stop)
    return FileTransport(mail_folder())


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.sent + self.retrying + self.failed


def lease() -> timedelta:
    """How long a claim keeps a message from other workers (``MAIL_LEASE_SECONDS``)."""
    return timedelta(seconds=current_app.config["MAIL_LEASE_SECONDS"])


@dataclass(frozen=True)
class Claim:
    """One batch's claim: the random id written on the messages it holds, and its clock."""

    token: str
    lease: timedelta
    #: How far the caller's ``now`` is from the real time (tests look ahead).
    offset: timedelta

    @classmethod
    def new(cls, now: datetime | None = None) -> Claim:
        offset = now - utcnow() if now is not None else timedelta(0)
        return cls(token=secrets.token_hex(16), lease=lease(), offset=offset)

    def now(self) -> datetime:
        return utcnow() + self.offset


def deliver_due(
    *, batch_size: int = 50, now: datetime | None = None, stop: StopRequest | None = None
) -> DeliveryReport:
    """Claim and send the messages that are due; commit as it goes.

    :param now: the time to act at; the real time unless a test looks ahead
    :param stop: the worker's stop request, if it has signal handlers (see ``StopRequest``);
        once it is made, the batch ends early and its messages not started are due again
    :return: what happened to the claimed messages
    """
    stop = stop or StopRequest()
    report = DeliveryReport()
    if stop.requested:
        return report
    claim = Claim.new(now)
    pending = _claim(claim, batch_size)
    if not pending:
        return report
    in_flight = channel = None
    try:
        with transport(stop) as channel:
            while pending:
                stop.check()
                in_flight = pending.pop(0)
                _deliver_one(in_flight, claim, channel, report)
                in_flight = None
    except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError) as error:
        # The server is down, went away, or refused us as a whole (our sender, our
        # greeting, our login): not these messages' fault, so the attempt does not
        # count against them, and they wait for the server, however long it takes.
        reason = _describe(error)
        _release(pending, claim, at=claim.now() + SERVER_DOWN_RETRY, reason=reason)
        report.retrying += len(pending)
        report.errors.append(reason)
        if in_flight is not None and channel is not None and channel.may_have_delivered:
            # The server may have taken it before the line went quiet: another copy
            # only after a back-off, and a limited number of times, as after a failure.
            _record_failure(in_flight, claim, _attempts(in_flight), reason, report, permanent=False)
            report.errors.pop()  # the reason is listed once
        elif in_flight is not None:
            _release(
                [in_flight], claim, at=claim.now() + SERVER_DOWN_RETRY, reason=reason, uncount=True
            )
            report.retrying += 1
    except Stopped:
        # The messages not started are due again at once, their attempt not counted. The
        # one in flight may have reached the server: it stays ours until its lease ends.
        _release(pending, claim, at=claim.now())
    return report


def _claim(claim: Claim, batch_size: int) -> list[int]:
    """Write our claim on up to ``batch_size`` due messages, a lease ahead; commit."""
    now = claim.now()
    ids = list(
        db.session.scalars(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.status == DeliveryStatus.QUEUED,
                OutboxMessage.next_attempt_at <= now,
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(batch_size)
            .with_for_update(skip_locked=True)
        )
    )
    if ids:
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(claim=claim.token, next_attempt_at=now + claim.lease)
        )
    db.session.commit()
    return ids


def _take(message_id: int, claim: Claim) -> bool:
    """Whether the message is still ours to send: if so, renew its lease and count the attempt.

    One atomic statement, committed before we talk to the SMTP server. It
    changes nothing when our lease ran out and another worker has claimed the
    message since (the claim is theirs), or sent it (no longer queued).
    """
    taken = db.session.execute(
        update(OutboxMessage)
        .where(*_ours(claim, message_id))
        .values(attempts=OutboxMessage.attempts + 1, next_attempt_at=claim.now() + claim.lease)
    ).rowcount
    db.session.commit()
    return taken == 1


def _ours(claim: Claim, *message_ids: int) -> tuple:
    """The conditions under which these messages are still ours: queued, with our claim."""
    return (
        OutboxMessage.id.in_(message_ids),
        OutboxMessage.claim == claim.token,
        OutboxMessage.status == DeliveryStatus.QUEUED,
    )


def _deliver_one(message_id: int, claim: Claim, channel: Transport, report: DeliveryReport) -> None:
    if not _take(message_id, claim):
        return  # another worker has it now
    with reading_only():  # on SQLite, composing must not keep registrations waiting
        message = db.session.get(OutboxMessage, message_id)
        if message is None:  # its registration was erased meanwhile
            db.session.rollback()
            return
        attempts = message.attempts
        # What the log may say of it: never its address or its person's name.
        trace = {"outbox_id": message_id, "kind": str(message.kind), "attempt": attempts}
        if message.request_id:
            trace["request_id"] = message.request_id
        try:
            with force_locale(message.language):  # the invitation's texts too
                email = compose(message, invitation_for(message))
            if message.request_id:
                email.extra_headers[REQUEST_ID_HEADER] = message.request_id
        except Exception as error:  # a bug in a template must not stop the queue
            email, failure = None, _describe(error)
        db.session.rollback()  # end the read before talking to the SMTP server
    log.info("sending", extra=trace)
    if email is None:
        _record_failure(message_id, claim, attempts, failure, report, permanent=False)
        return
    try:
        channel.send(email)
    except (
        smtplib.SMTPServerDisconnected,
        smtplib.SMTPConnectError,
        ConnectionError,
        # Refusals of the whole conversation, whatever the message: the server's, or
        # our configuration's, to be waited out (see ``deliver_due``).
        smtplib.SMTPHeloError,
        smtplib.SMTPSenderRefused,
        smtplib.SMTPAuthenticationError,
        smtplib.SMTPNotSupportedError,
    ):
        raise
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _ in error.recipients.values()]
        permanent = bool(codes) and all(code >= 500 for code in codes)
        _record_failure(message_id, claim, attempts, _describe(error), report, permanent=permanent)
        return
    except smtplib.SMTPResponseException as error:
        permanent = error.smtp_code >= 500
        _record_failure(message_id, claim, attempts, _describe(error), report, permanent=permanent)
        return
    except BadHeaderError as error:
        _record_failure(message_id, claim, attempts, _describe(error), report, permanent=True)
        return
    except (smtplib.SMTPException, ValueError) as error:
        _record_failure(message_id, claim, attempts, _describe(error), report, permanent=False)
        return
    # Sent is a fact, recorded whoever holds the claim now: should our lease have run
    # out during this conversation, the worker that claimed the message since then
    # will find it sent and not send a copy.
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(status=DeliveryStatus.SENT, sent_at=utcnow(), last_error=None, claim=None)
    )
    # A message that waited while its registration was anonymised (an erasure's
    # cancellation) keeps its address only until now.
    scrub_delivered(message_id)
    db.session.commit()
    report.sent += 1
    log.info("sent", extra=trace)


def _record_failure(
    message_id: int,
    claim: Claim,
    attempts: int,
    error: str,
    report: DeliveryReport,
    *,
    permanent: bool,
) -> None:
    """Retry later, or give up; unless another worker has claimed the message meanwhile."""
    give_up = permanent or attempts >= MAX_ATTEMPTS
    values: dict = {"last_error": error[:2000], "claim": None}
    if give_up:
        values["status"] = DeliveryStatus.FAILED
    else:
        values["next_attempt_at"] = claim.now() + backoff(attempts)
    recorded = db.session.execute(
        update(OutboxMessage).where(*_ours(claim, message_id)).values(values)
    ).rowcount
    db.session.commit()
    report.errors.append(error)
    if recorded and give_up:
        report.failed += 1
        log.warning("failed", extra={"outbox_id": message_id, "attempt": attempts})
    elif recorded:
        report.retrying += 1
        log.info("retrying", extra={"outbox_id": message_id, "attempt": attempts})


def _attempts(message_id: int) -> int:
    db.session.rollback()
    return db.session.scalar(select(OutboxMessage.attempts).where(OutboxMessage.id == message_id))


def _release(
    message_ids: list[int],
    claim: Claim,
    *,
    at: datetime,
    reason: str | None = None,
    uncount: bool = False,
) -> None:
    """Give our claim on these messages up: they are due again ``at``.

    :param reason: why, for ``last_error``
    :param uncount: the attempt that was counted for them did not happen after all
    """
    if not message_ids:
        return
    db.session.rollback()
    values: dict = {"claim": None, "next_attempt_at": at}
    if reason is not None:
        values["last_error"] = reason[:2000]
    if uncount:
        values["attempts"] = OutboxMessage.attempts - 1
    db.session.execute(update(OutboxMessage).where(*_ours(claim, *message_ids)).values(values))
    db.session.commit()


def backoff(attempts: int) -> timedelta:
    """30 s after the first failure, doubling up to two hours."""
    return min(BACKOFF_FIRST * 2 ** max(attempts - 1, 0), BACKOFF_LONGEST)


def invitation_for(message: OutboxMessage) -> Invitation | None:
    """The calendar invitation this message carries, if any (see ``registration.ical``)."""
    from registration.ical.invitations import for_message  # ical builds on notifications

    return for_message(message, base_url=current_app.config["BASE_URL"])


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}".strip()
