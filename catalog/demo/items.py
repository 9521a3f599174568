"""The demo catalog as data: every item's text, price, attributes and how its picture is drawn.

Every title and description below was written for this project (original wording, no
third-party catalog text). Pictures are drawn on demand: ``DemoItem.picture()`` returns PNG
bytes (512x512, RGB), the same bytes every time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

from PIL import Image

from catalog.demo.apparel import (
    draw_backpack,
    draw_beanie,
    draw_boots,
    draw_scarf,
    draw_sneaker,
    draw_tote,
    draw_tshirt,
)
from catalog.demo.canvas import RGB, render_png
from catalog.demo.drawing import (
    draw_bottle,
    draw_clock,
    draw_cushion,
    draw_cutting_board,
    draw_desk_lamp,
    draw_lantern,
    draw_mug,
    draw_notebook,
    draw_pencils,
    draw_pendant_lamp,
    draw_plant,
    draw_teapot,
    draw_tent,
    draw_vase,
)


@dataclass(frozen=True)
class DemoItem:
    """One product of the demo catalog."""

    external_id: str
    title: str
    description: str
    category: str
    price: Decimal
    attributes: dict[str, str] = field(hash=False)
    picture: Callable[[], bytes] = field(compare=False, hash=False, repr=False)

    def fields(self) -> dict[str, Any]:
        """The item's fields as catalog.services.item_upsert takes them."""
        return {
            "title": self.title,
            "description": self.description,
            "category": self.category,
            "price": self.price,
            "attributes": dict(self.attributes),
        }


# --------------------------------------------------------------------------- catalog

_RED: RGB = (200, 48, 44)
_BLUE: RGB = (46, 98, 178)
_SAGE: RGB = (112, 150, 110)
_OAK: RGB = (196, 150, 96)
_YELLOW: RGB = (240, 196, 40)
_BLACK: RGB = (44, 44, 48)
_COPPER: RGB = (186, 106, 62)
_GREEN: RGB = (58, 140, 76)
_NAVY: RGB = (34, 52, 96)
_CREAM: RGB = (240, 232, 210)
_GREY: RGB = (134, 136, 140)
_BROWN: RGB = (122, 74, 40)
_WHITE: RGB = (246, 246, 244)
_GUM: RGB = (196, 150, 96)
_OFFWHITE: RGB = (238, 236, 230)
_NATURAL: RGB = (228, 216, 188)
_TERRACOTTA: RGB = (196, 104, 70)
_COBALT: RGB = (40, 72, 160)
_MUSTARD: RGB = (214, 164, 44)
_ORANGE: RGB = (238, 124, 36)
_FOREST: RGB = (52, 110, 62)
_TEAL: RGB = (32, 140, 140)


def _item(
    external_id: str,
    title: str,
    category: str,
    price: str,
    attributes: dict[str, str],
    description: str,
    drawer: Callable[..., Image.Image],
    *colors: RGB,
) -> DemoItem:
    return DemoItem(
        external_id=external_id,
        title=title,
        description=description,
        category=category,
        price=Decimal(price),
        attributes=attributes,
        picture=partial(render_png, drawer, *colors),
    )


def demo_items() -> list[DemoItem]:
    """Return the demo catalog (a fresh list each call; pictures are drawn on demand)."""
    return [
        # Kitchen
        _item(
            "demo-mug-red",
            "Red Stoneware Mug",
            "Kitchen",
            "14.00",
            {"color": "red", "material": "stoneware", "capacity": "350 ml"},
            "A sturdy straight-sided mug in a glossy tomato-red glaze. Holds a generous "
            "morning coffee and is happy in the dishwasher and microwave.",
            draw_mug,
            _RED,
        ),
        _item(
            "demo-mug-blue",
            "Blue Stoneware Mug",
            "Kitchen",
            "14.00",
            {"color": "blue", "material": "stoneware", "capacity": "350 ml"},
            "Our everyday mug glazed in a deep ocean blue. The wide handle fits three "
            "fingers comfortably, and the thick walls keep tea warm for longer.",
            draw_mug,
            _BLUE,
        ),
        _item(
            "demo-teapot-green",
            "Sage Green Ceramic Teapot",
            "Kitchen",
            "39.50",
            {"color": "green", "material": "ceramic", "capacity": "1 l"},
            "A round-bellied teapot in soft sage green that pours four cups. A removable "
            "steel infuser sits under the lid for loose-leaf tea.",
            draw_teapot,
            _SAGE,
        ),
        _item(
            "demo-board-oak",
            "Oak Cutting Board",
            "Kitchen",
            "32.00",
            {"color": "brown", "material": "oak wood", "size": "40 x 25 cm"},
            "A thick chopping board cut from solid oak, with a handle you can hang it by. "
            "Oil it now and then and it will last for years.",
            draw_cutting_board,
            _OAK,
        ),
        # Lighting
        _item(
            "demo-lamp-yellow",
            "Yellow Desk Lamp",
            "Lighting",
            "59.00",
            {"color": "yellow", "material": "powder-coated steel", "bulb": "E27 LED"},
            "A cheerful sunflower-yellow desk lamp with two adjustable arms and a tilting "
            "shade. Puts warm light exactly where you are working.",
            draw_desk_lamp,
            _YELLOW,
        ),
        _item(
            "demo-lamp-black",
            "Black Desk Lamp",
            "Lighting",
            "59.00",
            {"color": "black", "material": "powder-coated steel", "bulb": "E27 LED"},
            "The same adjustable desk lamp in a matte black finish. A weighted round base "
            "keeps it steady at any angle.",
            draw_desk_lamp,
            _BLACK,
        ),
        _item(
            "demo-pendant-copper",
            "Copper Dome Pendant Light",
            "Lighting",
            "89.00",
            {"color": "copper", "material": "spun aluminium", "bulb": "E27 LED"},
            "A wide dome pendant with a brushed copper finish that glows warmly over a "
            "dining table or kitchen island. Comes with 1.5 m of fabric cord.",
            draw_pendant_lamp,
            _COPPER,
        ),
        # Apparel
        _item(
            "demo-tshirt-green",
            "Green Organic Cotton T-Shirt",
            "Apparel",
            "22.00",
            {"color": "green", "material": "organic cotton", "fit": "regular"},
            "A soft crew-neck tee in leaf green, knitted from organic cotton. Pre-washed so "
            "it keeps its shape and size.",
            draw_tshirt,
            _GREEN,
        ),
        _item(
            "demo-tshirt-navy",
            "Navy Organic Cotton T-Shirt",
            "Apparel",
            "22.00",
            {"color": "navy", "material": "organic cotton", "fit": "regular"},
            "The classic crew-neck tee in dark navy blue. Easy to wear on its own or "
            "under a shirt.",
            draw_tshirt,
            _NAVY,
        ),
        _item(
            "demo-scarf-striped",
            "Red and Cream Striped Scarf",
            "Apparel",
            "34.00",
            {"color": "red", "material": "merino wool", "pattern": "striped"},
            "A long knitted scarf with bold red and cream stripes and fringed ends. "
            "Merino wool keeps it warm without itching.",
            draw_scarf,
            _RED,
            _CREAM,
        ),
        _item(
            "demo-beanie-grey",
            "Grey Ribbed Beanie",
            "Apparel",
            "19.50",
            {"color": "grey", "material": "wool blend", "size": "one size"},
            "A snug ribbed beanie in heather grey with a fold-up cuff and a fluffy pompom on top.",
            draw_beanie,
            _GREY,
        ),
        # Footwear
        _item(
            "demo-boots-brown",
            "Brown Leather Lace-Up Boots",
            "Footwear",
            "149.00",
            {"color": "brown", "material": "leather", "sole": "rubber"},
            "Ankle boots in chestnut-brown full-grain leather with a grippy rubber sole. "
            "They soften with wear and look better every season.",
            draw_boots,
            _BROWN,
        ),
        _item(
            "demo-sneakers-white",
            "White Canvas Sneakers",
            "Footwear",
            "79.00",
            {"color": "white", "material": "canvas", "sole": "gum rubber"},
            "Clean white low-top sneakers on a honey-coloured gum sole. Light, breathable "
            "and easy to pair with anything.",
            draw_sneaker,
            _WHITE,
            _GUM,
        ),
        _item(
            "demo-sneakers-red",
            "Red Canvas Sneakers",
            "Footwear",
            "79.00",
            {"color": "red", "material": "canvas", "sole": "rubber"},
            "Bright red low-top sneakers with an off-white rubber sole and cotton laces. "
            "A cushioned insole makes them comfortable all day.",
            draw_sneaker,
            _RED,
            _OFFWHITE,
        ),
        # Bags
        _item(
            "demo-backpack-black",
            "Black Everyday Backpack",
            "Bags",
            "69.00",
            {"color": "black", "material": "recycled polyester", "capacity": "20 l"},
            "A 20-litre daypack in black water-repellent fabric. A padded sleeve fits a "
            "15-inch laptop and the front pocket keeps small things at hand.",
            draw_backpack,
            _BLACK,
        ),
        _item(
            "demo-backpack-blue",
            "Blue Everyday Backpack",
            "Bags",
            "69.00",
            {"color": "blue", "material": "recycled polyester", "capacity": "20 l"},
            "Our everyday daypack in a clear cobalt blue, with padded straps, a laptop "
            "sleeve and a zipped front pocket.",
            draw_backpack,
            _BLUE,
        ),
        _item(
            "demo-tote-canvas",
            "Natural Canvas Tote Bag",
            "Bags",
            "18.00",
            {"color": "beige", "material": "cotton canvas", "pattern": "striped"},
            "A roomy tote in undyed heavy cotton canvas with a green band across the front. "
            "Long handles sit comfortably on the shoulder.",
            draw_tote,
            _NATURAL,
            _FOREST,
        ),
        # Home decor
        _item(
            "demo-plant-terracotta",
            "Leafy Plant in Terracotta Pot",
            "Home decor",
            "27.00",
            {"color": "terracotta", "material": "terracotta", "plant": "easy-care foliage"},
            "A bushy easy-care green plant in an unglazed terracotta pot. Likes bright, "
            "indirect light and a drink once a week.",
            draw_plant,
            _TERRACOTTA,
        ),
        _item(
            "demo-vase-blue",
            "Cobalt Blue Bottle Vase",
            "Home decor",
            "29.00",
            {"color": "blue", "material": "glazed ceramic", "height": "30 cm"},
            "A tall bottle-shaped vase in a rich cobalt glaze with a narrow neck, made for "
            "a few dried stems or a single fresh flower.",
            draw_vase,
            _COBALT,
        ),
        _item(
            "demo-cushion-mustard",
            "Mustard Velvet Cushion",
            "Home decor",
            "24.00",
            {"color": "yellow", "material": "velvet", "size": "45 x 45 cm"},
            "A plump square cushion in mustard-yellow velvet with piped edges and a "
            "covered centre button. The cover zips off for washing.",
            draw_cushion,
            _MUSTARD,
        ),
        _item(
            "demo-clock-white",
            "White Round Wall Clock",
            "Home decor",
            "35.00",
            {"color": "white", "material": "plastic and glass", "diameter": "30 cm"},
            "A simple round wall clock with a white frame, crisp black markings and a "
            "red second hand. The sweep movement is completely silent.",
            draw_clock,
            _WHITE,
        ),
        # Stationery
        _item(
            "demo-notebook-navy",
            "Navy Hardcover Notebook",
            "Stationery",
            "12.50",
            {"color": "navy", "material": "paper", "ruling": "dotted"},
            "An A5 hardcover notebook in navy with 192 dotted pages, an elastic closure "
            "and a ribbon bookmark.",
            draw_notebook,
            _NAVY,
            _YELLOW,
        ),
        _item(
            "demo-notebook-red",
            "Red Hardcover Notebook",
            "Stationery",
            "12.50",
            {"color": "red", "material": "paper", "ruling": "lined"},
            "A lined A5 notebook with a bright red hard cover, cream pages that take ink "
            "without bleeding, and an elastic band to keep it shut.",
            draw_notebook,
            _RED,
            _NAVY,
        ),
        _item(
            "demo-pencils-yellow",
            "Yellow HB Pencils, Set of 3",
            "Stationery",
            "6.90",
            {"color": "yellow", "material": "cedar wood", "hardness": "HB"},
            "Three classic yellow HB pencils made from cedar, each with a pink eraser. "
            "Sharpened and ready to write.",
            draw_pencils,
            _YELLOW,
        ),
        # Outdoor
        _item(
            "demo-tent-orange",
            "Orange Two-Person Tent",
            "Outdoor",
            "189.00",
            {"color": "orange", "material": "ripstop nylon", "capacity": "2 people"},
            "A bright orange ridge tent for two that pitches in minutes. Easy to spot at a "
            "busy campsite and keeps the rain out.",
            draw_tent,
            _ORANGE,
        ),
        _item(
            "demo-tent-green",
            "Forest Green Two-Person Tent",
            "Outdoor",
            "189.00",
            {"color": "green", "material": "ripstop nylon", "capacity": "2 people"},
            "The same two-person ridge tent in forest green, for blending into the trees. "
            "Packs down small enough to strap to a backpack.",
            draw_tent,
            _FOREST,
        ),
        _item(
            "demo-bottle-teal",
            "Teal Insulated Water Bottle",
            "Outdoor",
            "24.00",
            {"color": "teal", "material": "stainless steel", "capacity": "750 ml"},
            "A double-walled steel bottle in teal that keeps water cold for a whole day. "
            "The screw cap has a loop for clipping it to a bag.",
            draw_bottle,
            _TEAL,
        ),
        _item(
            "demo-lantern-red",
            "Red Camping Lantern",
            "Outdoor",
            "34.00",
            {"color": "red", "material": "metal and glass", "power": "rechargeable LED"},
            "A rechargeable LED camping lantern in red with a warm, flicker-free glow and "
            "a wire handle for hanging it inside the tent.",
            draw_lantern,
            _RED,
        ),
    ]
