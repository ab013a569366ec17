"""``{% mentions text %}``: a summary or note, escaped, with the ``@login``
mentions of real colleagues highlighted (``cases.mentions``).

The colleagues' logins are read once per request (one query, and only when
a text on the page holds an ``@``) and kept on the request.
"""

from __future__ import annotations

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString

from cases.mentions import mentionable_names, render_mentions

register = template.Library()

_CACHE_ATTR = "_pae_ops_mentionable_names"


@register.simple_tag(takes_context=True)
def mentions(context, text: str) -> SafeString:
    text = text or ""
    if "@" not in text:
        return conditional_escape(text)
    request = context.get("request")
    names = getattr(request, _CACHE_ATTR, None) if request is not None else None
    if names is None:
        names = mentionable_names()
        if request is not None:
            setattr(request, _CACHE_ATTR, names)
    return render_mentions(text, names)
