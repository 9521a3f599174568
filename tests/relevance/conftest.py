from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from catalog.models import Item


@pytest.fixture
def demo_catalog(db: None) -> int:
    """The demo catalog and its judged set, as `make run` loads them."""
    call_command("load_demo", stdout=StringIO())
    return Item.objects.count()
