"""The mail worker as a real process, and SMTP servers that hang.

``mail_worker`` starts ``flask --app wsgi mail send-queued`` as production
runs it. ``HangingSmtpServer`` is a plain socket server on loopback that stops
answering at a chosen point of the conversation and then says nothing, ever:
what a worker meets when a mail server is overloaded or a firewall eats the
replies.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

from flask import Flask

from registration.extensions import db
from tests.factories import make_event, make_registration

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def mail_worker(
    database_url: str,
    smtp_port: int,
    *arguments: str,
    environment: Mapping[str, str] | None = None,
    stderr: Path | None = None,
) -> subprocess.Popen:
    """Start ``flask --app wsgi mail send-queued *arguments``; its output is piped, as text.

    :param stderr: a file for its standard error instead, to read while it runs
    """
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "SECRET_KEY": "workers-test",
        "BASE_URL": "https://koalicja.example.org",
        "REGISTRATION_ENV": "testing",
        "PYTHONUNBUFFERED": "1",
        **(environment or {}),
    }
    with contextlib.ExitStack() as files:  # the worker keeps its own copy of the file
        errors = subprocess.PIPE if stderr is None else files.enter_context(stderr.open("w"))
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "mail", "send-queued", *arguments],
            cwd=PROJECT_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )


def queue_confirmations(app: Flask, count: int) -> None:
    """Register ``count`` people (p0@example.org, …) for a new event: one message each."""
    with app.app_context():
        event = make_event(capacity=count)
        for number in range(count):
            make_registration(event, email=f"p{number}@example.org")
        db.session.commit()


SILENCES = ("banner", "end of data", "quit")


class HangingSmtpServer:
    """An SMTP server on loopback that goes silent, for good, at one point.

    ``silent_from="banner"``: it accepts the TCP connection and never sends a byte.
    ``silent_from="end of data"``: it converses normally, takes the message's
    text, and never answers it (the worker cannot know whether it was accepted).
    ``silent_from="quit"``: it accepts every message (and keeps none), but never
    answers the QUIT at the end.

    ``hung`` is set once a client waits on the silence. Use it as a context manager.
    """

    def __init__(self, silent_from: str) -> None:
        if silent_from not in SILENCES:
            raise ValueError(f"silent_from must be one of {SILENCES}, not {silent_from!r}")
        self.silent_from = silent_from
        self.hung = threading.Event()
        self._closing = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._connections: list[socket.socket] = []
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> HangingSmtpServer:
        self._start(self._accept)
        return self

    def __exit__(self, *exc_info) -> None:
        self._closing.set()
        for connection in [self._listener, *self._connections]:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()
        for thread in self._threads:
            thread.join(timeout=5)

    def _start(self, target, *arguments) -> None:
        thread = threading.Thread(target=target, args=arguments, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            self._connections.append(connection)
            self._start(self._converse, connection)

    def _converse(self, connection: socket.socket) -> None:
        with contextlib.suppress(OSError):
            if self.silent_from == "banner":
                self._hang()
                return
            lines = connection.makefile("rb")
            connection.sendall(b"220 hanging.test ESMTP\r\n")
            for line in lines:
                command = line[:4].upper()
                if command in (b"EHLO", b"HELO"):
                    connection.sendall(b"250 hanging.test\r\n")
                elif command == b"DATA":
                    connection.sendall(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    for text in lines:
                        if text == b".\r\n":
                            break
                    if self.silent_from == "end of data":
                        self._hang()
                        return
                    connection.sendall(b"250 Accepted\r\n")
                elif command == b"QUIT":
                    self._hang()
                    return
                else:
                    connection.sendall(b"250 OK\r\n")

    def _hang(self) -> None:
        self.hung.set()
        self._closing.wait()
