"""The Celery app. Run a worker with: celery -A searchapp worker -l info"""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "searchapp.settings")

app = Celery("searchapp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _warm_providers(**kwargs: object) -> None:
    """Each worker process loads the models of the live spaces when it starts, so the
    first batch it takes does not wait for a model load."""
    from embeddings.space_provider import providers_warm

    providers_warm()
