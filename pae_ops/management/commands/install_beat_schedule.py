from django.core.management.base import BaseCommand

from pae_ops.beat import install_beat_defaults


class Command(BaseCommand):
    help = (
        "Install the default periodic tasks (pae_ops.celery.BEAT_DEFAULTS) into "
        "django-celery-beat without changing tasks that already exist. Idempotent."
    )

    def handle(self, *args, **options):
        report = install_beat_defaults()
        for name in report.created:
            self.stdout.write(f"created  {name}")
        for name in report.kept:
            self.stdout.write(f"kept     {name} (already installed; not changed)")
        self.stdout.write(
            self.style.SUCCESS(
                f"Beat schedule: {len(report.created)} created, {len(report.kept)} kept."
            )
        )
