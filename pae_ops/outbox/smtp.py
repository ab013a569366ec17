"""Django's SMTP backend with one hook: just before the end of the message.

An SMTP server accepts a message when it answers ``250`` to the ``.`` that
ends its data, and only then (RFC 5321, 4.1.1.4): a connection that drops
earlier leaves nothing accepted. The relay records a row as *sending* at
that last moment (``before_end_of_data``), after the envelope and the body
have gone: a relay killed before it leaves the row *claimed* (never
accepted: safe to send again); one killed after it leaves the row *sending*
(in doubt: see ``pae_ops.outbox.relay``). ``EMAIL_URL`` with ``smtp://``
uses this backend (settings); without a hook it is Django's backend.
"""

from __future__ import annotations

import re
import smtplib
from collections.abc import Callable

from django.core.mail.backends import smtp

_CRLF = b"\r\n"
_LINE_ENDINGS = re.compile(rb"(?:\r\n|\n|\r(?!\n))")
_LEADING_DOT = re.compile(rb"(?m)^\.")


class _HookedData:
    """``SMTP.data`` split in two: the body, the hook, then the final dot."""

    before_end_of_data: Callable[[], None] | None = None

    def data(self, msg):
        hook = self.before_end_of_data
        if hook is None:
            return super().data(msg)
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        if isinstance(msg, str):
            msg = msg.encode("ascii")
        payload = _LEADING_DOT.sub(b"..", _LINE_ENDINGS.sub(_CRLF, msg))
        if not payload.endswith(_CRLF):
            payload += _CRLF
        self.send(payload)
        # Everything but the dot has gone: the server cannot have accepted
        # the message yet. A failing hook aborts it (the caller drops the
        # connection, and the server discards a message without its dot).
        hook()
        self.send(b"." + _CRLF)
        return self.getreply()


class HookedSMTP(_HookedData, smtplib.SMTP):
    pass


class HookedSMTPSSL(_HookedData, smtplib.SMTP_SSL):
    pass


class EmailBackend(smtp.EmailBackend):
    """Django's SMTP backend whose connection can run a hook before the final dot."""

    @property
    def connection_class(self):
        return HookedSMTPSSL if self.use_ssl else HookedSMTP

    def send_with_hook(self, message, before_end_of_data: Callable[[], None]) -> int:
        """Send one message on the open connection, calling the hook at the last moment."""
        self.open()
        self.connection.before_end_of_data = before_end_of_data
        try:
            return self.send_messages([message])
        finally:
            if self.connection is not None:
                self.connection.before_end_of_data = None

    def abort(self) -> None:
        """Drop the connection without a polite QUIT (mid-message: discard it)."""
        if self.connection is not None:
            try:
                self.connection.close()
            finally:
                self.connection = None
