"""Demo pictures of things to wear and carry: apparel, footwear, bags."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PIL import Image

from catalog.demo.canvas import Canvas, catmull_rom, darker, ellipse_points, lighter

if TYPE_CHECKING:
    from catalog.demo.canvas import RGB, Box, Point

# --------------------------------------------------------------------------- apparel


def draw_tshirt(color: RGB) -> Image.Image:
    """A short-sleeved crew-neck t-shirt laid flat."""
    c = Canvas(shadow=(256, 430, 170, 18))
    neck = ellipse_points(256, 112, 36, 34, 180, 0, n=24)
    right = [(352, 130), (430, 196), (394, 248), (352, 222), (352, 414)]
    left = [(512 - x, y) for x, y in reversed(right)]
    body = [*neck, *right, *left]
    c.polygon(body, fill=color, outline=darker(color, 0.3), width=2)
    c.chord((220, 78, 292, 146), 0, 180, fill=darker(color, 0.35))
    c.line(ellipse_points(256, 112, 37, 36, 180, 0, n=24), fill=darker(color, 0.15), width=8)
    hem = darker(color, 0.15)
    c.line([(416, 194), (388, 236)], fill=hem, width=4)
    c.line([(96, 194), (124, 236)], fill=hem, width=4)
    c.line([(162, 398), (350, 398)], fill=hem, width=4)
    c.polygon([(322, 160), (348, 150), (348, 410), (330, 410)], fill=darker(color, 0.06))
    return c.finish()


def _quads(tl: Point, tr: Point, br: Point, bl: Point, n: int) -> list[list[Point]]:
    """Split a quadrilateral into ``n`` bands from top to bottom."""

    def lerp(a: Point, b: Point, t: float) -> Point:
        return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)

    out: list[list[Point]] = []
    for i in range(n):
        t0, t1 = i / n, (i + 1) / n
        out.append([lerp(tl, bl, t0), lerp(tr, br, t0), lerp(tr, br, t1), lerp(tl, bl, t1)])
    return out


def draw_scarf(color: RGB, stripe: RGB) -> Image.Image:
    """A knitted striped scarf looped once, with two fringed tails."""
    c = Canvas(shadow=(262, 448, 120, 16))
    # the loop around the neck, drawn in alternating stripes
    box: Box = (166, 96, 346, 236)
    segments = 16
    for i in range(segments):
        start = 90 + i * 360 / segments
        c.arc(box, start, start + 360 / segments + 1, fill=color if i % 2 else stripe, width=40)
    tails = [
        ((264, 228), (318, 226), (336, 420), (282, 424)),
        ((198, 226), (256, 230), (250, 440), (190, 436)),
    ]
    for k, (tl, tr, br, bl) in enumerate(tails):
        base = color if k else darker(color, 0.12)
        alt = stripe if k else darker(stripe, 0.12)
        for i, q in enumerate(_quads(tl, tr, br, bl, 6)):
            c.polygon(q, fill=base if i % 2 == 0 else alt)
        fringe = darker(base, 0.1)
        for j in range(7):
            t = (j + 0.5) / 7
            x = bl[0] + (br[0] - bl[0]) * t
            y = bl[1] + (br[1] - bl[1]) * t
            c.line([(x, y), (x + 1, y + 22)], fill=fringe, width=4)
    knot = [(212, 196), (292, 192), (286, 248), (220, 252)]
    c.polygon(knot, fill=darker(color, 0.08), outline=darker(color, 0.3), width=2)
    c.line([(230, 206), (236, 242)], fill=darker(color, 0.2), width=3)
    c.line([(272, 204), (268, 240)], fill=darker(color, 0.2), width=3)
    return c.finish()


def draw_beanie(color: RGB) -> Image.Image:
    """A ribbed knit beanie with a pompom."""
    c = Canvas(shadow=(256, 362, 150, 22))
    rib = darker(color, 0.18)
    c.chord((146, 118, 366, 420), 180, 360, fill=color)
    for x in range(176, 350, 26):
        bend = (x - 256) * 0.25
        c.line([(x, 262), (x - bend * 0.2, 200), (256 + (x - 256) * 0.35, 140)], fill=rib, width=3)
    c.rect((136, 250, 376, 340), fill=darker(color, 0.08), radius=22)
    for x in range(150, 368, 14):
        c.line([(x, 258), (x, 332)], fill=rib, width=4)
    c.circle((256, 112), 34, fill=lighter(color, 0.12))
    for a in range(0, 360, 30):
        r = math.radians(a)
        c.line(
            [
                (256 + 10 * math.cos(r), 112 + 10 * math.sin(r)),
                (256 + 28 * math.cos(r), 112 + 28 * math.sin(r)),
            ],
            fill=darker(color, 0.05),
            width=3,
        )
    return c.finish()


# --------------------------------------------------------------------------- footwear


def _boot_shape(c: Canvas, dx: float, dy: float, color: RGB, sole: RGB) -> None:
    def t(points: Sequence[Point]) -> list[Point]:
        return [(x + dx, y + dy) for x, y in points]

    edge = darker(color, 0.35)
    front = catmull_rom(
        [
            (252, 118),
            (254, 200),
            (262, 250),
            (290, 276),
            (340, 290),
            (388, 304),
            (408, 324),
            (410, 350),
        ],
        steps=6,
    )
    c.polygon(t([(150, 118), *front, (146, 350), (144, 250)]), fill=color, outline=edge, width=2)
    toe = catmull_rom([(326, 350), (330, 312), (352, 293), (388, 304), (408, 324), (410, 350)])
    c.polygon(t(toe), fill=darker(color, 0.12), outline=edge, width=2)
    c.polygon(
        t([(145, 262), (196, 268), (214, 350), (146, 350)]),
        fill=darker(color, 0.1),
        outline=edge,
        width=2,
    )
    c.polygon(t([(150, 118), (252, 118), (252, 136), (150, 136)]), fill=darker(color, 0.22))
    c.rect((143 + dx, 102 + dy, 159 + dx, 134 + dy), fill=darker(color, 0.3), radius=5)
    c.rect((140 + dx, 346 + dy, 416 + dx, 374 + dy), fill=sole, radius=10)
    c.rect((140 + dx, 346 + dy, 210 + dx, 384 + dy), fill=sole, radius=6)
    c.line(t([(150, 352), (406, 352)]), fill=lighter(color, 0.35), width=2)
    for i in range(6):
        y = 152 + i * 22
        x = 238 + i * 2
        c.line(t([(x, y), (x + 22, y + 10)]), fill=(226, 210, 170), width=4)
        c.circle((x + dx, y + dy), 3.5, fill=(200, 176, 110))
    c.polygon(t([(160, 140), (174, 140), (174, 256), (160, 256)]), fill=lighter(color, 0.12))


def draw_boots(color: RGB) -> Image.Image:
    """A pair of lace-up ankle boots seen from the side."""
    c = Canvas(shadow=(262, 428, 210, 20))
    sole = (52, 40, 34)
    _boot_shape(c, 36, 18, darker(color, 0.22), darker(sole, 0.2))
    _boot_shape(c, -44, 40, color, sole)
    return c.finish()


def draw_sneaker(color: RGB, sole: RGB) -> Image.Image:
    """A low-top lace-up canvas sneaker seen from the side."""
    c = Canvas(shadow=(272, 392, 200, 18))
    edge = darker(color, 0.35)
    tongue = catmull_rom([(232, 214), (236, 186), (256, 176), (276, 186), (290, 214)])
    c.polygon(tongue, fill=darker(color, 0.08), outline=edge, width=2)
    top = catmull_rom(
        [
            (94, 346),
            (92, 296),
            (100, 246),
            (126, 228),
            (162, 232),
            (198, 244),
            (230, 212),
            (250, 200),
            (300, 226),
            (372, 266),
            (424, 290),
            (450, 316),
            (454, 346),
        ],
        steps=6,
    )
    c.polygon(top, fill=color, outline=edge, width=2)
    c.polygon([(99, 254), (114, 246), (116, 340), (96, 340)], fill=darker(color, 0.12))
    c.line(
        catmull_rom([(116, 304), (190, 286), (262, 294), (336, 318)]),
        fill=darker(color, 0.18),
        width=9,
    )
    toe = catmull_rom([(378, 348), (384, 314), (404, 294), (428, 294), (448, 314), (454, 346)])
    c.polygon(toe, fill=sole, outline=darker(sole, 0.3), width=2)
    c.rect((82, 336, 464, 374), fill=sole, outline=darker(sole, 0.3), width=2, radius=16)
    c.line([(94, 356), (452, 356)], fill=darker(sole, 0.18), width=3)
    lace = lighter(color, 0.7) if sum(color) < 600 else (200, 200, 204)
    for i in range(5):
        x = 246 + i * 24
        y = 208 + i * 13
        c.circle((x, y + 12), 3.5, fill=darker(color, 0.45))
        c.line([(x, y + 12), (x + 20, y - 4)], fill=lace, width=5)
    c.circle((138, 270), 9, fill=darker(color, 0.2))
    return c.finish()


# --------------------------------------------------------------------------- bags


def draw_backpack(color: RGB) -> Image.Image:
    """A front view of a daypack with a front pocket and top carry loop."""
    c = Canvas(shadow=(256, 436, 150, 20))
    dark = darker(color, 0.3)
    c.arc((218, 84, 294, 170), 180, 360, fill=dark, width=12)
    c.rect((124, 170, 150, 400), fill=dark, radius=10)
    c.rect((362, 170, 388, 400), fill=dark, radius=10)
    c.rect((138, 130, 374, 430), fill=color, radius=70)
    c.arc((152, 142, 360, 330), 185, 355, fill=darker(color, 0.2), width=5)
    c.rect((170, 286, 342, 412), fill=darker(color, 0.1), outline=dark, width=2, radius=30)
    c.line([(186, 306), (326, 306)], fill=darker(color, 0.35), width=4)
    c.rect((296, 306, 306, 334), fill=(190, 190, 190), radius=3)
    c.rect((164, 140, 184, 420), fill=lighter(color, 0.08), radius=10)
    c.rect((218, 200, 294, 214), fill=dark, radius=6)
    return c.finish()


def draw_tote(color: RGB, accent: RGB) -> Image.Image:
    """A canvas tote bag with two long handles and a printed band."""
    c = Canvas(shadow=(256, 430, 170, 18))
    handle = darker(color, 0.18)
    c.arc((196, 86, 332, 330), 180, 360, fill=darker(handle, 0.15), width=14)
    c.arc((176, 96, 312, 340), 180, 360, fill=handle, width=14)
    body = [(140, 212), (372, 212), (392, 424), (120, 424)]
    c.polygon(body, fill=color, outline=darker(color, 0.3), width=2)
    c.polygon([(145, 262), (367, 262), (372, 312), (140, 312)], fill=accent)
    c.polygon([(140, 212), (372, 212), (373, 224), (139, 224)], fill=darker(color, 0.08))
    c.rect((176, 204, 194, 232), fill=handle, radius=3)
    c.rect((300, 204, 318, 232), fill=handle, radius=3)
    return c.finish()
