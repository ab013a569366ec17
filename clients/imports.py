"""Parse and check a client CSV before anything is written.

A file with any bad row imports nothing: :func:`parse_clients_csv` returns
every row's problems with its line number, and the service writes only
when there are none.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from pae_ops.roles import Role
from partners.models import Language

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
COLUMNS = ["name", "email", "phone", "country", "languages", "accessibility_needs", "agent"]
REQUIRED = {"name"}
NUL = "\x00"


@dataclass
class ParsedRow:
    line: int
    name: str
    email: str
    phone: str
    country: str
    language_codes: list[str]
    accessibility_needs: str
    agent_id: int | None


@dataclass
class ParseResult:
    rows: list[ParsedRow] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)


def _cells(raw: dict) -> list[str]:
    """A DictReader row's values, the extra ones (under ``None``) included."""
    values: list[str] = []
    for value in raw.values():
        values.extend(value if isinstance(value, list) else [value or ""])
    return values


def parse_clients_csv(data: bytes) -> ParseResult:
    """Check every row; return the rows or every error as (line, reason)."""
    result = ParseResult()
    if len(data) > MAX_BYTES:
        result.errors.append((0, _("The file is larger than 2 MB.")))
        return result
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        result.errors.append((0, _("The file is not UTF-8 text.")))
        return result
    reader = csv.DictReader(io.StringIO(text))
    try:
        fieldnames = reader.fieldnames or []
        raw_rows = list(reader)
    except csv.Error:
        result.errors.append((reader.line_num, _("The file is not valid CSV.")))
        return result
    header = [h.strip() for h in fieldnames]
    if any(NUL in name for name in header):
        result.errors.append((1, _("a column name contains a null character (NUL)")))
        return result
    missing = REQUIRED - set(header)
    if missing:
        result.errors.append(
            (1, _("Missing columns: %(cols)s.") % {"cols": ", ".join(sorted(missing))})
        )
        return result
    unknown = set(header) - set(COLUMNS)
    if unknown:
        result.errors.append(
            (1, _("Unknown columns: %(cols)s.") % {"cols": ", ".join(sorted(unknown))})
        )
        return result
    if len(raw_rows) > MAX_ROWS:
        result.errors.append((0, _("The file has more than %(max)d rows.") % {"max": MAX_ROWS}))
        return result
    if not raw_rows:
        result.errors.append((0, _("The file has no rows.")))
        return result

    # PostgreSQL text cannot hold NUL: such a row is reported, and its cells
    # stay out of the look-ups below (they would end in a DataError).
    with_nul = {
        index
        for index, raw in enumerate(raw_rows, start=2)
        if any(NUL in (value or "") for value in _cells(raw))
    }
    clean_rows = [raw for index, raw in enumerate(raw_rows, start=2) if index not in with_nul]

    # Look-ups for the whole file: one query each, never one per row.
    known_languages = set(Language.objects.values_list("code", flat=True))
    usernames = {(row.get("agent") or "").strip() for row in clean_rows} - {""}
    agents = dict(
        get_user_model()
        .objects.filter(username__in=usernames, groups__name=Role.AGENT.value, is_active=True)
        .values_list("username", "pk")
    )
    from clients.models import Client

    emails_in_file = [(row.get("email") or "").strip().lower() for row in clean_rows]
    taken = set(
        Client.objects.filter(email__in=[e for e in emails_in_file if e]).values_list(
            "email", flat=True
        )
    )
    taken = {email.lower() for email in taken}
    seen: set[str] = set()

    for index, raw in enumerate(raw_rows, start=2):  # line 1 is the header
        if index in with_nul:
            result.errors.append((index, _("a cell contains a null character (NUL)")))
            continue
        row = {key.strip(): (value or "").strip() for key, value in raw.items() if key}
        reasons = []
        if None in raw:
            reasons.append(_("more fields than columns"))
        if not row.get("name"):
            reasons.append(_("the name is empty"))
        elif len(row["name"]) > 200:
            reasons.append(_("the name is longer than 200 characters"))
        email = row.get("email", "").lower()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                reasons.append(_("the email is not valid"))
            else:
                if email in taken:
                    reasons.append(_("a client with this email exists already"))
                elif email in seen:
                    reasons.append(_("the email appears twice in the file"))
                seen.add(email)
        codes = [c.strip().lower() for c in row.get("languages", "").split(";") if c.strip()]
        bad_codes = [c for c in codes if c not in known_languages]
        if bad_codes:
            reasons.append(_("unknown languages: %(codes)s") % {"codes": ", ".join(bad_codes)})
        agent = row.get("agent", "")
        if agent and agent not in agents:
            reasons.append(_("no active agent with username %(name)s") % {"name": agent})
        if len(row.get("phone", "")) > 40:
            reasons.append(_("the phone is longer than 40 characters"))
        if reasons:
            result.errors.append((index, "; ".join(reasons)))
            continue
        result.rows.append(
            ParsedRow(
                line=index,
                name=row["name"],
                email=email,
                phone=row.get("phone", ""),
                country=row.get("country", "")[:80],
                language_codes=codes,
                accessibility_needs=row.get("accessibility_needs", ""),
                agent_id=agents.get(agent),
            )
        )
    return result
