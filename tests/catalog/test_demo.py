from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from catalog.demo import demo_items
from catalog.models import Item, ItemImage

pytestmark = pytest.mark.django_db(transaction=True)


def test_demo_catalog_loads_once_with_a_picture_per_item() -> None:
    expected = len(demo_items())
    assert expected >= 20
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert f"{expected} items added" in out.getvalue()
    assert Item.objects.count() == expected and ItemImage.objects.count() == expected
    assert Item.objects.values("category").distinct().count() >= 6
    call_command("load_demo", stdout=out)
    assert Item.objects.count() == expected and ItemImage.objects.count() == expected
