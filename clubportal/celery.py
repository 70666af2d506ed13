"""The Celery application.

Tasks live in each app's ``tasks.py`` and are found by autodiscovery. Without
``REDIS_URL`` the settings make tasks run in-process (eager), so the zero-setup mode
needs no broker; with it, ``make worker`` and ``make beat`` run the real thing.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clubportal.settings.local")

app = Celery("clubportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
