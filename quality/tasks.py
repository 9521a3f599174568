"""Thin Celery tasks: ids in, re-fetch, one service call."""

from __future__ import annotations

from celery import shared_task

from quality.models import ScanRun
from quality.services import catalog_scan, catalog_scan_incremental


@shared_task(name="quality.scan", ignore_result=True, acks_late=True)
def scan(run_id: int) -> None:
    """A full scan that a curator asked for (the run row was made with the request)."""
    run = ScanRun.objects.filter(pk=run_id, status=ScanRun.Status.QUEUED).first()
    if run is None:
        return
    catalog_scan(run=run)


@shared_task(name="quality.scan_incremental", ignore_result=True)
def scan_incremental() -> None:
    """Periodic: the items embedded or edited since the last scan (everything the first time)."""
    catalog_scan_incremental()
