"""Signals the catalog sends; other apps connect to them (the catalog imports none of them)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent once the write has committed, when an item was created or its text or images may have
# changed; ``item_ids``: the items. Receivers decide what the change means to them.
item_content_changed = Signal()

# Sent by `manage.py load_demo` after the demo catalog is in place. Receivers may return a
# line to print (relevance loads the demo judged set and says so).
demo_loaded = Signal()
