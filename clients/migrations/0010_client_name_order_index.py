"""The client list in its order (name, id) from an index: a page is a range, not a sort."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0009_client_room_for_segmentation"),
        ("partners", "0004_help_text_without_rule_ids"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="client",
            index=models.Index(fields=["name", "id"], name="clients_client_name_idx"),
        ),
    ]
