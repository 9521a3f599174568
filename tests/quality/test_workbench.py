"""The workbench's entry points: admin pages and actions, the API, the command."""

from __future__ import annotations

import json
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from catalog.models import Item
from embeddings.models import EmbeddingSpace
from quality.models import Finding, FindingKind, ScanRun
from quality.services import catalog_scan, scan_run_create
from tests.quality.conftest import embed

pytestmark = pytest.mark.django_db


@pytest.fixture
def scanned(text_space: EmbeddingSpace, placed_item: Callable[..., Item]) -> dict[str, Item]:
    items = {
        "a": placed_item("a", [1, 0, 0, 0, 0, 0, 0], category="mugs", title="Blue mug"),
        "b": placed_item("b", [1, 0.01, 0, 0, 0, 0, 0], category="mugs", title="Blue mug!"),
        "c": placed_item("c", [0.9, 0, 0.5, 0, 0, 0, 0], category="mugs", title="Jug"),
        "d": placed_item("d", [0.9, 0, -0.5, 0, 0, 0, 0], category="mugs", title="Cup"),
        "e": placed_item("e", [0, 1, 0, 0, 0, 0, 0], category="hats", title="Hat"),
        "f": placed_item("f", [0, 1, 0, 0.5, 0, 0, 0], category="hats", title="Cap"),
        "g": placed_item("g", [0, 1, 0, -0.5, 0, 0, 0], category="hats", title="Beanie"),
        "h": placed_item("h", [0.1, 1, 0, 0, 0.5, 0, 0], category="mugs", title="Beret"),
    }
    embed(text_space)
    catalog_scan(run=scan_run_create())
    return items


def test_the_review_page_shows_kinds_items_and_scores(
    scanned: dict[str, Item], admin_user_client: Any
) -> None:
    _, client = admin_user_client
    url = reverse("admin:quality_finding_changelist")
    page = client.get(url, {"kind__exact": "duplicate", "status__exact": "open"}).content.decode()
    assert "Blue mug!" in page and "Blue mug" in page and "Near-duplicate text (1)" in page
    assert "Scan now" in page and "Latest scan" in page
    index = client.get(reverse("admin:index")).content.decode()
    assert 'id="quality-counts"' in index and "Miscategorised" in index


def test_bulk_actions_dismiss_deactivate_and_recategorise(
    scanned: dict[str, Item], admin_user_client: Any
) -> None:
    _, client = admin_user_client
    url = reverse("admin:quality_finding_changelist")
    group = Finding.objects.get(kind=FindingKind.DUPLICATE)
    client.post(url, {"action": "deactivate_duplicates", "_selected_action": [group.pk]})
    assert (
        not Item.objects.get(external_id="b").is_active
        and Item.objects.get(external_id="a").is_active
    )
    misplaced = Finding.objects.get(kind=FindingKind.MISCATEGORISED)
    client.post(url, {"action": "apply_suggested_category", "_selected_action": [misplaced.pk]})
    assert Item.objects.get(external_id="h").category == "hats"
    outlier = Finding.objects.filter(kind=FindingKind.OUTLIER).first()
    assert outlier is not None
    client.post(url, {"action": "dismiss", "_selected_action": [outlier.pk]})
    statuses = dict(
        Finding.objects.filter(pk__in=[group.pk, misplaced.pk, outlier.pk]).values_list(
            "pk", "status"
        )
    )
    assert statuses == {group.pk: "fixed", misplaced.pk: "fixed", outlier.pk: "dismissed"}


def test_scan_now_queues_a_run(scanned: dict[str, Item], admin_user_client: Any,
                               django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    from quality import tasks

    queued: list[int] = []
    monkeypatch.setattr(tasks.scan, "delay", queued.append)
    _, client = admin_user_client
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:quality_finding_scan"))
    assert response.status_code == 302
    run = ScanRun.objects.order_by("-pk").first()
    assert run is not None and queued == [run.pk] and run.status == ScanRun.Status.QUEUED
    tasks.scan(run.pk)  # what the worker does
    run.refresh_from_db()
    assert run.status == ScanRun.Status.DONE and run.counts


def test_the_findings_api_is_for_curators_and_filters(scanned: dict[str, Item], curator: Any,
                                                      anon_client: APIClient) -> None:  # fmt: skip
    url = "/api/v1/quality/findings/"
    assert anon_client.get(url).status_code in {401, 403}
    curator.user_permissions.add(Permission.objects.get(codename="view_finding"))
    client = APIClient()
    client.force_authenticate(curator)
    body = client.get(url, {"kind": "duplicate"}).json()
    assert body["count"] == 1
    (finding,) = body["results"]
    assert [item["external_id"] for item in finding["items"]] == ["a", "b"]
    assert finding["space"] == "text" and finding["detail"]["pairs"][0][2] > 0.99
    assert client.get(url, {"kind": "nonsense"}).status_code == 400
    assert "kindd" in client.get(url, {"kindd": "duplicate"}).json()["errors"]


def test_the_command_scans_and_reports_as_table_and_jsonl(scanned: dict[str, Item]) -> None:
    out = StringIO()
    call_command("catalog_quality", "scan", "--duplicate-similarity", "0.99", stdout=out)
    assert "duplicate@text: 1 found" in out.getvalue()
    out = StringIO()
    call_command("catalog_quality", "report", "--kind", "duplicate", stdout=out)
    assert "Blue mug!" in out.getvalue()
    out = StringIO()
    call_command("catalog_quality", "report", "--format", "jsonl", stdout=out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert {row["kind"] for row in rows} >= {"duplicate", "miscategorised"}
    assert call_command("catalog_quality", "scan", "--incremental", stdout=StringIO()) is None
