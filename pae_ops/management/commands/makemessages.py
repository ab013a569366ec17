"""``makemessages`` that also extracts ``_lazy("...")``.

The services import ``gettext_lazy as _lazy`` for notification titles built
with ``format_lazy``; xgettext knows only Django's own keywords, so without
this those strings never reached the catalogue and were sent in English.

The catalogues carry no source locations and are sorted by message id, so
that editing a file elsewhere never rewrites them and branches that add
strings merge cleanly.
"""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [
        *makemessages.Command.xgettext_options,
        "--keyword=_lazy",
        "--no-location",
        "--sort-output",
    ]
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-location", "--sort-output"]
    msguniq_options = [*makemessages.Command.msguniq_options, "--no-location", "--sort-output"]
    msgattrib_options = [*makemessages.Command.msgattrib_options, "--no-location", "--sort-output"]
