"""The Celery app. Run a worker with: celery -A searchapp worker -l info"""

from __future__ import annotations

import logging
import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "searchapp.settings")

logger = logging.getLogger(__name__)

app = Celery("searchapp")
app.config_from_object("django.conf:settings", namespace="CELERY")
# A pool process reports itself up only after worker_process_init, which loads the models
# (below); Celery's default 4 s kills a process that loads a large model on a busy machine,
# and the next one too.
app.conf.worker_proc_alive_timeout = 120
app.autodiscover_tasks()


@worker_process_init.connect
def _warm_providers(**kwargs: object) -> None:
    """Each worker process loads the models of the live spaces when it starts, so the
    first batch it takes does not wait for a model load."""
    from embeddings.space_provider import providers_warm

    warmed = providers_warm()
    # The benchmark waits for this line from every process before it starts its clock.
    logger.info(
        "worker process %s loaded the models of the live spaces: %s",
        os.getpid(),
        ", ".join(warmed) or "none",
    )
