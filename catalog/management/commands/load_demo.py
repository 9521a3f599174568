from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from catalog.demo import demo_items
from catalog.models import Item
from catalog.services import item_create
from searchapp.images import image_from_bytes


class Command(BaseCommand):
    help = "Load the project's own demo catalog (idempotent: items that exist are left alone)."

    def handle(self, *args: Any, **options: Any) -> None:
        existing = set(Item.objects.values_list("external_id", flat=True))
        created = 0
        for demo in demo_items():
            if demo.external_id in existing:
                continue
            item_create(
                external_id=demo.external_id,
                title=demo.title,
                description=demo.description,
                category=demo.category,
                price=demo.price,
                attributes=dict(demo.attributes),
                images=[image_from_bytes(demo.picture(), declared_content_type="image/png")],
            )
            created += 1
        total = Item.objects.count()
        self.stdout.write(f"Demo catalog: {created} items added, {total} items in the catalog.")
