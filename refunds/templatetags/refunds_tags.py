"""Refund panels on the clients app's pages (the 360 page and a purchase).

The clients app does not import refunds (imports flow partners <- clients <-
cases <- refunds); its templates load these tags instead, so the refund
rows are read here through ``refunds.selectors`` (one query per panel).
"""

from __future__ import annotations

from django import template

from clients.models import Client, Purchase
from pae_ops.roles import Role, has_role
from refunds import selectors

register = template.Library()

WORKERS = (Role.AGENT, Role.LEADER)


@register.inclusion_tag("refunds/partials/_client_refunds.html", takes_context=True)
def client_refunds(context, client: Client, purchases: list[Purchase]) -> dict:
    """The client's requests with their status, and per purchase either its
    open request or a "New refund request" link (agents and leaders)."""
    requests = selectors.list_client_refund_requests(client)
    open_by_purchase = {r.purchase_id: r for r in requests if r.is_open}
    return {
        "requests": requests,
        "purchase_rows": [(p, open_by_purchase.get(p.pk)) for p in purchases],
        "can_open": has_role(context["request"].user, *WORKERS),
    }


@register.inclusion_tag("refunds/partials/_purchase_refunds.html", takes_context=True)
def purchase_refunds(context, purchase: Purchase) -> dict:
    """The purchase's requests, and a "New refund request" link unless one is open."""
    requests = selectors.list_purchase_refund_requests(purchase)
    return {
        "purchase": purchase,
        "requests": requests,
        "open_request": next((r for r in requests if r.is_open), None),
        "can_open": has_role(context["request"].user, *WORKERS),
    }
