"""Small filters for the portal's own templates."""

from __future__ import annotations

from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def whole_minutes(value: timedelta | float | None) -> int:
    """A duration (a ``timedelta``, or hours as a number) in whole minutes, at least 1."""
    if value is None or value == "":
        return 0
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value) * 3600
    return max(1, round(seconds / 60))


@register.simple_tag
def id_url(viewname: str, *ids: int) -> str:
    """``{% id_url "cases:detail" case.pk %}``: ``{% url %}`` for a row's link
    whose arguments are ids, without matching the URL patterns each time
    (``pae_ops.links``)."""
    from pae_ops.links import id_url as link

    return link(viewname, *ids)


@register.simple_tag(takes_context=True)
def policy_link(context, key: str, text: str | None = None):
    """``{% policy_link "partial-refund" %}``: the policy's translated name linking
    to its paragraph on the Políticas page (``pae_ops.policies``); ``key`` is a
    slug or a rule ID. Plain text for a reader who may not open that page."""
    from pae_ops.policies import policy_link as link

    request = context.get("request")
    return link(key, user=getattr(request, "user", None), text=text)


@register.simple_tag(takes_context=True)
def domain_error(context, exc):
    """A ``DomainError`` as the user reads it: its message and its policy's link."""
    request = context.get("request")
    return exc.html(getattr(request, "user", None))


@register.simple_tag
def policy_name(key: str) -> str:
    """The translated name of a policy (a slug or a rule ID)."""
    from pae_ops.policies import policy_for

    policy = policy_for(key)
    if policy is None:
        raise KeyError(key)
    return str(policy.name)
