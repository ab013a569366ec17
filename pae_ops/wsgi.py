"""WSGI entry point (gunicorn pae_ops.wsgi:application)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pae_ops.settings")

application = get_wsgi_application()
