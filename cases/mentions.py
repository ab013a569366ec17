"""``@login`` mentions in interaction summaries and case notes.

Writing ``@lherrera`` pulls that colleague in without an escalation: they
get one notification (the bell, and its email through the outbox) that links
to the case. The rules, decided here:

- a mention is ``@`` followed by a login (letters, digits and ``_ . + -``),
  not preceded by a letter, digit or dot (``ana@example.com`` is an address,
  not a mention); a trailing dot or dash is punctuation;
- logins match whatever their case, and only active users who read cases
  (agents, leaders, directors): an unknown login, a partner approver or an
  admin is left as plain text and notifies nobody;
- nobody is notified of their own mention;
- each person is notified at most once per interaction or note: the
  notification's dedupe key names the text's source, so editing a note
  notifies only the people it newly mentions.

Rendering (``{% mentions text %}``, ``cases/templatetags/mentions.py``)
escapes the whole text and highlights the mentions of real colleagues.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator, format_lazy
from django.utils.translation import gettext_lazy as _

from pae_ops.roles import Role
from pae_ops.services import notify

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from cases.models import Case
    from clients.models import Client

User = get_user_model()

# Who can be mentioned: whoever reads cases (RULES, Roles).
MENTIONABLE_ROLES = (Role.AGENT, Role.LEADER, Role.DIRECTOR)
_MENTION = re.compile(r"(?<![\w.@+\-])@([\w][\w.+\-]{0,149})")
BODY_EXCERPT = 300


def mention_spans(text: str) -> Iterator[tuple[int, int, str]]:
    """``(start, end, login)`` of each ``@login`` in ``text``; ``start`` is
    the ``@`` and ``end`` follows the login (trailing dots and dashes left out)."""
    for match in _MENTION.finditer(text or ""):
        login = match.group(1).rstrip(".-")
        if login:
            yield match.start(), match.start() + 1 + len(login), login


def find_mentions(text: str) -> list[str]:
    """The logins mentioned in ``text``, lower-cased, each once, in order."""
    seen: dict[str, None] = {}
    for _start, _end, login in mention_spans(text):
        seen.setdefault(login.lower(), None)
    return list(seen)


def _mentionable() -> QuerySet:
    return User.objects.filter(is_active=True).filter(
        Q(groups__name__in=[role.value for role in MENTIONABLE_ROLES]) | Q(is_superuser=True)
    )


def resolve_mentions(logins: Iterable[str]) -> list[AbstractBaseUser]:
    """The colleagues behind ``logins`` (one query; unknown ones dropped)."""
    wanted = {login.lower() for login in logins}
    if not wanted:
        return []
    return list(
        _mentionable()
        .annotate(login=Lower("username"))
        .filter(login__in=wanted)
        .distinct()
        .order_by("pk")
    )


def mentionable_names() -> dict[str, str]:
    """Every colleague who can be mentioned: lower-cased login → name (one query)."""
    rows = _mentionable().values_list("username", "first_name", "last_name").distinct()
    return {
        username.lower(): f"{first} {last}".strip() or username for username, first, last in rows
    }


def notify_mentions(
    *,
    actor: AbstractBaseUser,
    text: str,
    source: str,
    case: Case | None,
    client: Client,
    anchor: str = "",
) -> int:
    """Notify each colleague ``text`` mentions, once per ``source`` (e.g.
    ``case-note:12``), never the actor; the link opens the case (or, for an
    interaction without one, the client's page) at ``anchor``.

    Called by the services that write the text, inside their transaction.
    Returns the notifications written (0 for the already-notified).
    """
    people = [person for person in resolve_mentions(find_mentions(text)) if person.pk != actor.pk]
    if not people:
        return 0
    name = actor.get_full_name() or actor.get_username()
    if case is not None:
        title = format_lazy(_("{name} mentioned you on case #{case}"), name=name, case=case.pk)
        url = reverse("cases:detail", args=[case.pk])
    else:
        title = format_lazy(_("{name} mentioned you about {client}"), name=name, client=client.name)
        url = reverse("clients:detail", args=[client.pk])
    return notify(
        recipients=people,
        kind="mention",
        title=title,
        body=Truncator(text).chars(BODY_EXCERPT),
        url=f"{url}#{anchor}" if anchor else url,
        dedupe_key=f"mention:{source}",
    )


def render_mentions(text: str, names: dict[str, str]) -> SafeString:
    """``text`` escaped, each mention of a colleague in ``names`` highlighted
    (``<mark class="mention">``, their name as its title)."""
    text = text or ""
    parts: list[str] = []
    last = 0
    for start, end, login in mention_spans(text):
        name = names.get(login.lower())
        if name is None:
            continue
        parts.append(conditional_escape(text[last:start]))
        parts.append(
            format_html('<mark class="mention" title="{}">{}</mark>', name, text[start:end])
        )
        last = end
    parts.append(conditional_escape(text[last:]))
    return mark_safe("".join(parts))  # noqa: S308 (every part escaped above)
