"""The Políticas page: every staff role reads it (ROLE-1: not a partner approver)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from pae_ops.policies import GROUPS
from pae_ops.roles import STAFF_ROLES, role_required
from policies.selectors import policy_values


@role_required(*STAFF_ROLES)
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "policies/index.html", {"groups": GROUPS, "v": policy_values()})
