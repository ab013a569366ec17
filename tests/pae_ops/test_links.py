"""``id_url`` writes what ``reverse`` writes (pae_ops.links)."""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, reverse, set_script_prefix

from pae_ops.links import id_url


@pytest.mark.parametrize(
    ("name", "ids"),
    [
        ("cases:detail", (1,)),
        ("cases:detail", (987654321012,)),
        ("cases:case-assign", (42,)),
        ("cases:interaction-type", (0,)),
        ("clients:detail", (7,)),
        ("policies:index", ()),
        ("my-work", ()),
    ],
)
@pytest.mark.parametrize("prefix", ["/", "/portal/"])
def test_id_url_is_reverse(name, ids, prefix):
    set_script_prefix(prefix)
    try:
        assert id_url(name, *ids) == reverse(name, args=ids)
        assert id_url(name, *ids) == reverse(name, args=ids)  # the kept pieces
        assert id_url(name, *ids).startswith(prefix)
    finally:
        set_script_prefix("/")


def test_id_url_refuses_what_reverse_refuses():
    with pytest.raises(NoReverseMatch):
        id_url("cases:detail", -1)
    with pytest.raises(NoReverseMatch):
        id_url("cases:detail")


def test_id_url_follows_a_changed_url_configuration(settings):
    assert id_url("cases:detail", 5) == "/cases/5/"
    settings.ROOT_URLCONF = "tests.pae_ops.urls_elsewhere"
    assert id_url("cases:detail", 5) == "/elsewhere/5/"
