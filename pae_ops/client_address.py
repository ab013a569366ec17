"""The real client address behind the proxies the deployment trusts.

Behind the TLS proxy that the compose file requires, ``REMOTE_ADDR`` is the
proxy's address: keyed on it, the survey rate limit would put every client
in one bucket and django-axes would lock a username for everyone. The
proxy appends the address it saw to ``X-Forwarded-For``; that header is
believed only when the connection comes from an address in
``TRUSTED_PROXIES`` (IPs or networks), and only as far as the chain is made
of trusted proxies: reading from the right, the first address that is not
a trusted proxy is the client. Anything a client wrote further left is
ignored, and a header from an untrusted peer is ignored altogether.

(django-ipware was tried: it trusts ``X-Forwarded-For`` when no list is
given, and its trusted list describes proxies inside the header rather
than the connecting peer, so it does not fit this rule.)

``ClientAddressMiddleware`` (first in ``MIDDLEWARE``) puts the result in
``REMOTE_ADDR`` so that everything downstream (axes, the survey rate
limit, the logs) keys on the client; the peer stays in ``PROXY_ADDR``.
"""

from __future__ import annotations

import functools
import ipaddress

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.cache
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry)


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def _valid(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def client_address(meta: dict) -> str:
    """The client's address from a request's ``META`` (see the module doc)."""
    peer = meta.get("PROXY_ADDR") or meta.get("REMOTE_ADDR", "")
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if not networks or not _trusted(peer, networks):
        return peer
    chain = [hop.strip() for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed([hop for hop in chain if hop]):
        if not _valid(hop):
            # A malformed hop: nothing to its left can be believed.
            return peer
        if not _trusted(hop, networks):
            return hop
    return peer


def client_ip(request: HttpRequest) -> str:
    """For ``AXES_CLIENT_IP_CALLABLE`` and views: the request's client address."""
    return client_address(request.META)


class ClientAddressMiddleware:
    """Put the real client address in ``REMOTE_ADDR`` (the peer in ``PROXY_ADDR``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        meta = request.META
        if "PROXY_ADDR" not in meta:
            meta["PROXY_ADDR"] = meta.get("REMOTE_ADDR", "")
            meta["REMOTE_ADDR"] = client_address(meta)
        return self.get_response(request)
