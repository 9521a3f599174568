from __future__ import annotations

import os
import socket

from celery import shared_task


@shared_task(name="searchapp.ping")
def ping() -> dict[str, object]:
    """A trivial task that proves a worker is consuming the queue."""
    return {"pong": True, "hostname": socket.gethostname(), "pid": os.getpid()}
