"""A real SMTP server for the outbox tests (aiosmtpd on a free loopback port).

It keeps every message it accepted, with its Message-ID and the connection
it came on. ``on_data`` may change what it does when the message's final
dot arrives (refuse it, drop the connection, kill a worker).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes

from aiosmtpd.controller import Controller


@dataclass
class Received:
    message_id: str
    to: list[str]
    subject: str
    session: int


@dataclass
class Sink:
    received: list[Received] = field(default_factory=list)
    sessions: set[int] = field(default_factory=set)
    # Called with (server, message) before the reply; returns the reply or
    # None for "250 OK".
    on_data: Callable | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        parsed = message_from_bytes(envelope.original_content or envelope.content)
        item = Received(
            message_id=parsed["Message-ID"],
            to=list(envelope.rcpt_tos),
            subject=parsed["Subject"],
            session=id(session),
        )
        reply = self.on_data(server, item) if self.on_data else None
        if reply is not None and not reply.startswith("250"):
            return reply
        with self.lock:
            self.received.append(item)
            self.sessions.add(id(session))
        return reply or "250 OK"

    def message_ids(self) -> list[str]:
        with self.lock:
            return [item.message_id for item in self.received]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SinkServer:
    def __init__(self) -> None:
        self.sink = Sink()
        self.port = free_port()
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SinkServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()
