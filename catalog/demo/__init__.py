"""The project's own demo catalog, shown to a newcomer on ``make run`` so that text and
image search have something sensible to work with out of the box.

The items are data (``items.py``); their pictures are drawn with Pillow from simple shapes
(``canvas.py`` for the primitives, ``drawing.py`` and ``apparel.py`` for the objects),
deterministically, so the same item always yields the same bytes.
"""

from catalog.demo.items import DemoItem, demo_items

__all__ = ["DemoItem", "demo_items"]
