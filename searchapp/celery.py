"""The Celery app. Run a worker with: celery -A searchapp worker -l info"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "searchapp.settings")

app = Celery("searchapp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
