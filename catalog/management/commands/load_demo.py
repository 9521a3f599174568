from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from catalog.demo import demo_items
from catalog.models import Item
from catalog.services import item_upsert
from catalog.signals import demo_loaded
from searchapp.images import image_from_bytes


class Command(BaseCommand):
    help = "Load the project's own demo catalog (idempotent: items that exist are left alone)."

    def handle(self, *args: Any, **options: Any) -> None:
        existing = set(Item.objects.values_list("external_id", flat=True))
        created = 0
        for demo in demo_items():
            if demo.external_id in existing:
                continue
            picture = image_from_bytes(demo.picture(), declared_content_type="image/png")
            result = item_upsert(
                external_id=demo.external_id, fields=demo.fields(), images=[picture]
            )
            created += result.outcome == "created"
        total = Item.objects.count()
        self.stdout.write(f"Demo catalog: {created} items added, {total} items in the catalog.")
        for _, said in demo_loaded.send(sender=self.__class__):
            if said:
                self.stdout.write(str(said))
