"""``makemessages`` that also extracts ``_lazy("...")``.

The services import ``gettext_lazy as _lazy`` for notification titles built
with ``format_lazy``; xgettext knows only Django's own keywords, so without
this those strings never reached the catalogue and were sent in English.
"""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=_lazy"]
