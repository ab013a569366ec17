"""The error every service raises when a business rule refuses an act."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.functional import Promise


class DomainError(Exception):
    """A rule refused the act; nothing was changed.

    ``message`` is translated and meant for the user (a form shows it with
    ``form.add_error(None, exc.message)``); ``rule`` is the rule ID from
    RULES.md (``"PAY-1"``) that tests assert on, since the default language
    is Spanish; ``details`` lists specifics such as the missing items that
    block a partner's stage.
    """

    def __init__(
        self,
        message: str | Promise,
        *,
        rule: str | None = None,
        details: list[str] | None = None,
    ) -> None:
        self.message = message
        self.rule = rule
        self.details = list(details or [])
        super().__init__(str(message))

    def __str__(self) -> str:
        text = str(self.message)
        if self.details:
            text = f"{text} ({'; '.join(str(d) for d in self.details)})"
        return text


class ActRefused(PermissionDenied):
    """The actor may not do this act (ROLE-1, ROLE-2); nothing was changed.

    A ``PermissionDenied`` with a translated ``message`` and the rule's ID:
    views do not catch it (it is not a ``DomainError``), so every refused act
    answers 403 and the portal's 403 page shows the message
    (``pae_ops.views.error_403``). Services raise it where the refusal is
    about who acts, not about the data: the requester approving their own
    request, a second approval by the same person, an agent changing a case
    of someone else.
    """

    def __init__(self, message: str | Promise, *, rule: str | None = None) -> None:
        self.message = message
        self.rule = rule
        super().__init__(str(message))

    def __str__(self) -> str:
        return str(self.message)
