"""The error every service raises when a business rule refuses an act."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _


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

    def html(self, user=None) -> SafeString:
        """The message (with its details), then a link to the policy behind the rule.

        What views show the user: the rule's ID stays in ``rule`` for tests
        and logs; the reader sees the policy's name (``pae_ops.policies``).
        """
        return with_policy_link(str(self), self.rule, user=user)


def with_policy_link(text: str, rule: str | None, *, user=None) -> SafeString:
    """``text`` (escaped), followed by "See the policy: <name>" when ``rule`` has one."""
    from pae_ops.policies import may_read_policies, policy_for, policy_link

    policy = policy_for(rule)
    if policy is None or (user is not None and not may_read_policies(user)):
        return format_html("{}", text)
    return format_html(
        '{} <span class="policy-ref">{}</span>',
        text,
        format_html(_("See the policy: {}"), policy_link(policy.slug)),
    )


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
