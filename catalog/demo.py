"""The project's own demo catalog.

Every title and description below was written for this project (original wording,
no third-party catalog text), and every picture is drawn here with Pillow from
simple shapes. Items are shown to a newcomer on ``make run`` so that text and
image search have something sensible to work with out of the box.

Pictures are produced lazily: ``DemoItem.picture()`` draws the object and returns
PNG bytes (512x512, RGB). Drawing is deterministic, so the same item always
yields the same bytes.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

from PIL import Image, ImageDraw

__all__ = [
    "DemoItem",
    "demo_items",
    "draw_backpack",
    "draw_beanie",
    "draw_boots",
    "draw_bottle",
    "draw_clock",
    "draw_cushion",
    "draw_cutting_board",
    "draw_desk_lamp",
    "draw_lantern",
    "draw_mug",
    "draw_notebook",
    "draw_pencils",
    "draw_pendant_lamp",
    "draw_plant",
    "draw_scarf",
    "draw_sneaker",
    "draw_teapot",
    "draw_tent",
    "draw_tote",
    "draw_tshirt",
    "draw_vase",
]

RGB = tuple[int, int, int]
Point = tuple[float, float]
Box = tuple[float, float, float, float]

SIZE = 512
_SS = 2  # supersampling factor: draw at 2x, then downsample for smooth edges
BACKGROUND: RGB = (245, 243, 238)

WHITE: RGB = (255, 255, 255)
BLACK: RGB = (0, 0, 0)
GLOW: RGB = (255, 236, 160)


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


# --------------------------------------------------------------------------- colours


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def _darker(color: RGB, amount: float = 0.25) -> RGB:
    return _mix(color, BLACK, amount)


def _lighter(color: RGB, amount: float = 0.3) -> RGB:
    return _mix(color, WHITE, amount)


# --------------------------------------------------------------------------- geometry


def _rotate(points: Sequence[Point], origin: Point, degrees: float) -> list[Point]:
    """Rotate local points (relative to 0,0) by ``degrees`` and move them to ``origin``."""
    a = math.radians(degrees)
    ca, sa = math.cos(a), math.sin(a)
    ox, oy = origin
    return [(ox + x * ca - y * sa, oy + x * sa + y * ca) for x, y in points]


def _ellipse_points(
    cx: float, cy: float, rx: float, ry: float, start: float = 0.0, end: float = 360.0, n: int = 48
) -> list[Point]:
    """Points on an ellipse from angle ``start`` to ``end`` (degrees, screen orientation)."""
    pts: list[Point] = []
    for i in range(n + 1):
        t = math.radians(start + (end - start) * i / n)
        pts.append((cx + rx * math.cos(t), cy + ry * math.sin(t)))
    return pts


def _leaf_points(length: float, width: float, n: int = 16) -> list[Point]:
    """A pointed leaf lying along +x, base at the origin."""
    top = [(length * i / n, -width * math.sin(math.pi * i / n)) for i in range(n + 1)]
    bottom = [(length * i / n, width * math.sin(math.pi * i / n)) for i in range(n - 1, 0, -1)]
    return top + bottom


def _catmull_rom(ctrl: Sequence[Point], steps: int = 8) -> list[Point]:
    """Smooth curve through the control points (used for lathe profiles)."""
    if len(ctrl) < 3:
        return list(ctrl)
    pts = [ctrl[0], *ctrl, ctrl[-1]]
    out: list[Point] = []
    for i in range(1, len(pts) - 2):
        p0, p1, p2, p3 = pts[i - 1], pts[i], pts[i + 1], pts[i + 2]
        for s in range(steps):
            t = s / steps
            t2, t3 = t * t, t * t * t
            out.append(
                (
                    0.5
                    * (
                        2 * p1[0]
                        + (-p0[0] + p2[0]) * t
                        + (2 * p0[0] - 5 * p1[0] + 4 * p2[0] - p3[0]) * t2
                        + (-p0[0] + 3 * p1[0] - 3 * p2[0] + p3[0]) * t3
                    ),
                    0.5
                    * (
                        2 * p1[1]
                        + (-p0[1] + p2[1]) * t
                        + (2 * p0[1] - 5 * p1[1] + 4 * p2[1] - p3[1]) * t2
                        + (-p0[1] + 3 * p1[1] - 3 * p2[1] + p3[1]) * t3
                    ),
                )
            )
    out.append(ctrl[-1])
    return out


# --------------------------------------------------------------------------- canvas


class _Canvas:
    """A supersampled drawing surface using 512x512 logical coordinates."""

    def __init__(self, background: RGB = BACKGROUND) -> None:
        self.background = background
        self.image = Image.new("RGB", (SIZE * _SS, SIZE * _SS), background)
        self.draw = ImageDraw.Draw(self.image)

    @staticmethod
    def _pts(points: Sequence[Point]) -> list[Point]:
        return [(x * _SS, y * _SS) for x, y in points]

    @staticmethod
    def _box(box: Box) -> Box:
        x0, y0, x1, y1 = box
        return (x0 * _SS, y0 * _SS, x1 * _SS, y1 * _SS)

    def polygon(
        self,
        points: Sequence[Point],
        fill: RGB | None = None,
        outline: RGB | None = None,
        width: float = 0,
    ) -> None:
        self.draw.polygon(self._pts(points), fill=fill, outline=outline, width=round(width * _SS))

    def ellipse(
        self, box: Box, fill: RGB | None = None, outline: RGB | None = None, width: float = 0
    ) -> None:
        self.draw.ellipse(self._box(box), fill=fill, outline=outline, width=round(width * _SS))

    def circle(
        self,
        center: Point,
        radius: float,
        fill: RGB | None = None,
        outline: RGB | None = None,
        width: float = 0,
    ) -> None:
        cx, cy = center
        self.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill, outline, width)

    def rect(
        self,
        box: Box,
        fill: RGB | None = None,
        outline: RGB | None = None,
        width: float = 0,
        radius: float = 0,
    ) -> None:
        self.draw.rounded_rectangle(
            self._box(box),
            radius=radius * _SS,
            fill=fill,
            outline=outline,
            width=round(width * _SS),
        )

    def line(
        self, points: Sequence[Point], fill: RGB, width: float, round_caps: bool = False
    ) -> None:
        self.draw.line(self._pts(points), fill=fill, width=round(width * _SS), joint="curve")
        if round_caps:
            for p in (points[0], points[-1]):
                self.circle(p, width / 2, fill=fill)

    def arc(self, box: Box, start: float, end: float, fill: RGB, width: float) -> None:
        self.draw.arc(self._box(box), start, end, fill=fill, width=round(width * _SS))

    def chord(self, box: Box, start: float, end: float, fill: RGB) -> None:
        self.draw.chord(self._box(box), start, end, fill=fill)

    def shadow(self, cx: float, cy: float, rx: float, ry: float, strength: float = 0.13) -> None:
        """A soft elliptical floor shadow made of concentric ellipses."""
        steps = 10
        for i in range(steps):
            k = 1.0 - 0.5 * i / steps
            color = _darker(self.background, strength * (i + 1) / steps)
            self.ellipse((cx - rx * k, cy - ry * k, cx + rx * k, cy + ry * k), fill=color)

    def glow(self, cx: float, cy: float, rx: float, ry: float, color: RGB = GLOW) -> None:
        """A soft pool of light, fading into the background."""
        steps = 10
        for i in range(steps):
            k = 1.0 - 0.6 * i / steps
            c = _mix(self.background, color, 0.9 * (i + 1) / steps)
            self.ellipse((cx - rx * k, cy - ry * k, cx + rx * k, cy + ry * k), fill=c)

    def lathe(
        self,
        cx: float,
        profile: Sequence[Point],
        color: RGB,
        ratio: float = 0.18,
        top_curve: bool = False,
        strips: int = 56,
        outline: RGB | None = None,
    ) -> None:
        """A shaded solid of revolution around the vertical axis ``x = cx``.

        ``profile`` is a list of (y, radius) pairs from top to bottom. The bottom edge
        (and optionally the top edge) follows the front half of an ellipse whose height
        is ``ratio`` times its width, which gives a gentle 3/4 view.
        """

        def edge(u: float) -> list[Point]:
            pts = [(cx + u * r, y) for y, r in profile]
            y_last, r_last = profile[-1]
            pts[-1] = (cx + u * r_last, y_last + ratio * r_last * math.sqrt(max(0.0, 1 - u * u)))
            if top_curve:
                y0, r0 = profile[0]
                pts[0] = (cx + u * r0, y0 + ratio * r0 * math.sqrt(max(0.0, 1 - u * u)))
            return pts

        for i in range(strips):
            ua = -1 + 2 * i / strips
            ub = -1 + 2 * (i + 1) / strips
            um = (ua + ub) / 2
            shade = _darker(color, 0.32 * max(0.0, um + 0.15) / 1.15)
            spec = max(0.0, 1 - ((um + 0.45) / 0.32) ** 2)
            shade = _lighter(shade, 0.3 * spec)
            left = edge(ua)
            right = edge(ub)
            self.polygon(left + right[::-1], fill=shade)
        if outline is not None:
            self.polygon(edge(-1.0) + edge(1.0)[::-1], outline=outline, width=1.5)

    def finish(self) -> Image.Image:
        return self.image.resize((SIZE, SIZE), Image.Resampling.LANCZOS)


def _png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def _render_png(drawer: Callable[..., Image.Image], *args: RGB) -> bytes:
    return _png(drawer(*args))


# --------------------------------------------------------------------------- kitchen


def draw_mug(color: RGB) -> Image.Image:
    """A straight-sided mug with a handle on the right."""
    c = _Canvas()
    c.shadow(250, 400, 150, 26)
    edge = _darker(color, 0.3)
    c.ellipse((270, 200, 392, 340), outline=edge, width=32)
    c.ellipse((274, 204, 388, 336), outline=_darker(color, 0.12), width=24)
    c.lathe(230, [(175, 95), (385, 95)], color)
    c.ellipse((135, 158, 325, 192), fill=_lighter(color, 0.25))
    c.ellipse((143, 163, 317, 189), fill=_darker(color, 0.5))
    return c.finish()


def draw_teapot(color: RGB) -> Image.Image:
    """A round-bellied teapot with a spout on the right and a handle on the left."""
    c = _Canvas()
    c.shadow(256, 398, 170, 26)
    edge = _darker(color, 0.3)
    c.ellipse((80, 215, 190, 345), outline=edge, width=24)
    c.ellipse((84, 219, 186, 341), outline=_darker(color, 0.12), width=16)
    spout = [(340, 330), (355, 270), (425, 200), (452, 188), (458, 200), (440, 218), (390, 330)]
    c.polygon(spout, fill=_darker(color, 0.12), outline=edge, width=2)
    body = _catmull_rom([(198, 70), (220, 112), (262, 132), (314, 128), (358, 100), (380, 72)])
    c.lathe(256, body, color, ratio=0.2)
    c.ellipse((180, 185, 332, 215), fill=_darker(color, 0.2))
    lid = _catmull_rom([(152, 8), (160, 22), (180, 50), (200, 66)])
    c.lathe(256, lid, _lighter(color, 0.08), ratio=0.2)
    c.circle((256, 146), 15, fill=_darker(color, 0.15))
    c.circle((251, 141), 5, fill=_lighter(color, 0.4))
    return c.finish()


def draw_cutting_board(color: RGB) -> Image.Image:
    """A wooden chopping board with a handle and visible grain."""
    c = _Canvas()
    c.shadow(270, 395, 200, 24)
    side = _darker(color, 0.3)
    c.rect((92, 176, 402, 400), fill=side, radius=40)
    c.rect((380, 242, 468, 318), fill=side, radius=30)
    c.rect((92, 164, 402, 386), fill=color, radius=40)
    c.rect((380, 230, 468, 304), fill=color, radius=30)
    c.circle((440, 267), 13, fill=c.background)
    grain = _darker(color, 0.12)
    for i, y in enumerate(range(196, 370, 30)):
        wobble = 8 if i % 2 else -8
        c.line([(120, y), (200, y + wobble), (290, y - wobble), (375, y)], fill=grain, width=3)
    c.ellipse((250, 250, 300, 280), outline=grain, width=3)
    c.line([(110, 180), (384, 180)], fill=_lighter(color, 0.25), width=4)
    return c.finish()


# --------------------------------------------------------------------------- lighting


def draw_desk_lamp(color: RGB) -> Image.Image:
    """An articulated desk lamp with a conical shade casting light on the desk."""
    c = _Canvas()
    c.shadow(250, 404, 110, 20)
    c.glow(400, 408, 90, 22)
    arm = _darker(color, 0.1)
    joint = _darker(color, 0.35)
    c.lathe(250, [(386, 80), (400, 80)], color, ratio=0.22, outline=_darker(color, 0.3))
    c.ellipse((170, 368, 330, 404), fill=_lighter(color, 0.18))
    c.line([(250, 382), (196, 252)], fill=arm, width=15, round_caps=True)
    c.line([(196, 252), (318, 178)], fill=arm, width=15, round_caps=True)
    c.circle((250, 382), 14, fill=joint)
    c.circle((196, 252), 13, fill=joint)
    apex: Point = (318, 178)
    angle = 55.0
    shade = _rotate([(-14, -20), (0, -26), (120, -76), (120, 76), (0, 26), (-14, 20)], apex, angle)
    c.polygon(shade, fill=color, outline=_darker(color, 0.3), width=2)
    highlight = _rotate([(4, -18), (112, -62), (112, -46), (4, -10)], apex, angle)
    c.polygon(highlight, fill=_lighter(color, 0.3))
    mouth = _rotate(_ellipse_points(0, 0, 16, 76), apex, angle)
    mouth = [
        (x + 120 * math.cos(math.radians(angle)), y + 120 * math.sin(math.radians(angle)))
        for x, y in mouth
    ]
    c.polygon(mouth, fill=GLOW, outline=_darker(color, 0.35), width=3)
    c.circle(apex, 12, fill=joint)
    return c.finish()


def draw_pendant_lamp(color: RGB) -> Image.Image:
    """A dome pendant lamp hanging from a cord, with a glowing bulb."""
    c = _Canvas()
    c.glow(256, 330, 190, 150)
    c.line([(256, 0), (256, 140)], fill=(60, 60, 60), width=5)
    c.lathe(256, [(128, 14), (152, 14)], _darker(color, 0.15), ratio=0.25)
    dome = _catmull_rom([(148, 22), (165, 50), (200, 88), (245, 118), (290, 134)])
    c.lathe(256, dome, color, ratio=0.0)
    c.ellipse((122, 276, 390, 306), fill=_darker(color, 0.55))
    c.ellipse((122, 272, 390, 302), outline=_lighter(color, 0.2), width=4)
    c.circle((256, 304), 34, fill=(255, 248, 215))
    c.circle((256, 304), 24, fill=WHITE)
    return c.finish()


# --------------------------------------------------------------------------- apparel


def draw_tshirt(color: RGB) -> Image.Image:
    """A short-sleeved crew-neck t-shirt laid flat."""
    c = _Canvas()
    c.shadow(256, 430, 170, 18)
    neck = _ellipse_points(256, 112, 36, 34, 180, 0, n=24)
    right = [(352, 130), (430, 196), (394, 248), (352, 222), (352, 414)]
    left = [(512 - x, y) for x, y in reversed(right)]
    body = [*neck, *right, *left]
    c.polygon(body, fill=color, outline=_darker(color, 0.3), width=2)
    c.chord((220, 78, 292, 146), 0, 180, fill=_darker(color, 0.35))
    c.line(_ellipse_points(256, 112, 37, 36, 180, 0, n=24), fill=_darker(color, 0.15), width=8)
    hem = _darker(color, 0.15)
    c.line([(416, 194), (388, 236)], fill=hem, width=4)
    c.line([(96, 194), (124, 236)], fill=hem, width=4)
    c.line([(162, 398), (350, 398)], fill=hem, width=4)
    c.polygon([(322, 160), (348, 150), (348, 410), (330, 410)], fill=_darker(color, 0.06))
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
    c = _Canvas()
    c.shadow(262, 448, 120, 16)
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
        base = color if k else _darker(color, 0.12)
        alt = stripe if k else _darker(stripe, 0.12)
        for i, q in enumerate(_quads(tl, tr, br, bl, 6)):
            c.polygon(q, fill=base if i % 2 == 0 else alt)
        fringe = _darker(base, 0.1)
        for j in range(7):
            t = (j + 0.5) / 7
            x = bl[0] + (br[0] - bl[0]) * t
            y = bl[1] + (br[1] - bl[1]) * t
            c.line([(x, y), (x + 1, y + 22)], fill=fringe, width=4)
    knot = [(212, 196), (292, 192), (286, 248), (220, 252)]
    c.polygon(knot, fill=_darker(color, 0.08), outline=_darker(color, 0.3), width=2)
    c.line([(230, 206), (236, 242)], fill=_darker(color, 0.2), width=3)
    c.line([(272, 204), (268, 240)], fill=_darker(color, 0.2), width=3)
    return c.finish()


def draw_beanie(color: RGB) -> Image.Image:
    """A ribbed knit beanie with a pompom."""
    c = _Canvas()
    c.shadow(256, 362, 150, 22)
    rib = _darker(color, 0.18)
    c.chord((146, 118, 366, 420), 180, 360, fill=color)
    for x in range(176, 350, 26):
        bend = (x - 256) * 0.25
        c.line([(x, 262), (x - bend * 0.2, 200), (256 + (x - 256) * 0.35, 140)], fill=rib, width=3)
    c.rect((136, 250, 376, 340), fill=_darker(color, 0.08), radius=22)
    for x in range(150, 368, 14):
        c.line([(x, 258), (x, 332)], fill=rib, width=4)
    c.circle((256, 112), 34, fill=_lighter(color, 0.12))
    for a in range(0, 360, 30):
        r = math.radians(a)
        c.line(
            [
                (256 + 10 * math.cos(r), 112 + 10 * math.sin(r)),
                (256 + 28 * math.cos(r), 112 + 28 * math.sin(r)),
            ],
            fill=_darker(color, 0.05),
            width=3,
        )
    return c.finish()


# --------------------------------------------------------------------------- footwear


def _boot_shape(c: _Canvas, dx: float, dy: float, color: RGB, sole: RGB) -> None:
    def t(points: Sequence[Point]) -> list[Point]:
        return [(x + dx, y + dy) for x, y in points]

    edge = _darker(color, 0.35)
    front = _catmull_rom(
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
    toe = _catmull_rom([(326, 350), (330, 312), (352, 293), (388, 304), (408, 324), (410, 350)])
    c.polygon(t(toe), fill=_darker(color, 0.12), outline=edge, width=2)
    c.polygon(
        t([(145, 262), (196, 268), (214, 350), (146, 350)]),
        fill=_darker(color, 0.1),
        outline=edge,
        width=2,
    )
    c.polygon(t([(150, 118), (252, 118), (252, 136), (150, 136)]), fill=_darker(color, 0.22))
    c.rect((143 + dx, 102 + dy, 159 + dx, 134 + dy), fill=_darker(color, 0.3), radius=5)
    c.rect((140 + dx, 346 + dy, 416 + dx, 374 + dy), fill=sole, radius=10)
    c.rect((140 + dx, 346 + dy, 210 + dx, 384 + dy), fill=sole, radius=6)
    c.line(t([(150, 352), (406, 352)]), fill=_lighter(color, 0.35), width=2)
    for i in range(6):
        y = 152 + i * 22
        x = 238 + i * 2
        c.line(t([(x, y), (x + 22, y + 10)]), fill=(226, 210, 170), width=4)
        c.circle((x + dx, y + dy), 3.5, fill=(200, 176, 110))
    c.polygon(t([(160, 140), (174, 140), (174, 256), (160, 256)]), fill=_lighter(color, 0.12))


def draw_boots(color: RGB) -> Image.Image:
    """A pair of lace-up ankle boots seen from the side."""
    c = _Canvas()
    c.shadow(262, 428, 210, 20)
    sole = (52, 40, 34)
    _boot_shape(c, 36, 18, _darker(color, 0.22), _darker(sole, 0.2))
    _boot_shape(c, -44, 40, color, sole)
    return c.finish()


def draw_sneaker(color: RGB, sole: RGB) -> Image.Image:
    """A low-top lace-up canvas sneaker seen from the side."""
    c = _Canvas()
    c.shadow(272, 392, 200, 18)
    edge = _darker(color, 0.35)
    tongue = _catmull_rom([(232, 214), (236, 186), (256, 176), (276, 186), (290, 214)])
    c.polygon(tongue, fill=_darker(color, 0.08), outline=edge, width=2)
    top = _catmull_rom(
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
    c.polygon([(99, 254), (114, 246), (116, 340), (96, 340)], fill=_darker(color, 0.12))
    c.line(
        _catmull_rom([(116, 304), (190, 286), (262, 294), (336, 318)]),
        fill=_darker(color, 0.18),
        width=9,
    )
    toe = _catmull_rom([(378, 348), (384, 314), (404, 294), (428, 294), (448, 314), (454, 346)])
    c.polygon(toe, fill=sole, outline=_darker(sole, 0.3), width=2)
    c.rect((82, 336, 464, 374), fill=sole, outline=_darker(sole, 0.3), width=2, radius=16)
    c.line([(94, 356), (452, 356)], fill=_darker(sole, 0.18), width=3)
    lace = _lighter(color, 0.7) if sum(color) < 600 else (200, 200, 204)
    for i in range(5):
        x = 246 + i * 24
        y = 208 + i * 13
        c.circle((x, y + 12), 3.5, fill=_darker(color, 0.45))
        c.line([(x, y + 12), (x + 20, y - 4)], fill=lace, width=5)
    c.circle((138, 270), 9, fill=_darker(color, 0.2))
    return c.finish()


# --------------------------------------------------------------------------- bags


def draw_backpack(color: RGB) -> Image.Image:
    """A front view of a daypack with a front pocket and top carry loop."""
    c = _Canvas()
    c.shadow(256, 436, 150, 20)
    dark = _darker(color, 0.3)
    c.arc((218, 84, 294, 170), 180, 360, fill=dark, width=12)
    c.rect((124, 170, 150, 400), fill=dark, radius=10)
    c.rect((362, 170, 388, 400), fill=dark, radius=10)
    c.rect((138, 130, 374, 430), fill=color, radius=70)
    c.arc((152, 142, 360, 330), 185, 355, fill=_darker(color, 0.2), width=5)
    c.rect((170, 286, 342, 412), fill=_darker(color, 0.1), outline=dark, width=2, radius=30)
    c.line([(186, 306), (326, 306)], fill=_darker(color, 0.35), width=4)
    c.rect((296, 306, 306, 334), fill=(190, 190, 190), radius=3)
    c.rect((164, 140, 184, 420), fill=_lighter(color, 0.08), radius=10)
    c.rect((218, 200, 294, 214), fill=dark, radius=6)
    return c.finish()


def draw_tote(color: RGB, accent: RGB) -> Image.Image:
    """A canvas tote bag with two long handles and a printed band."""
    c = _Canvas()
    c.shadow(256, 430, 170, 18)
    handle = _darker(color, 0.18)
    c.arc((196, 86, 332, 330), 180, 360, fill=_darker(handle, 0.15), width=14)
    c.arc((176, 96, 312, 340), 180, 360, fill=handle, width=14)
    body = [(140, 212), (372, 212), (392, 424), (120, 424)]
    c.polygon(body, fill=color, outline=_darker(color, 0.3), width=2)
    c.polygon([(145, 262), (367, 262), (372, 312), (140, 312)], fill=accent)
    c.polygon([(140, 212), (372, 212), (373, 224), (139, 224)], fill=_darker(color, 0.08))
    c.rect((176, 204, 194, 232), fill=handle, radius=3)
    c.rect((300, 204, 318, 232), fill=handle, radius=3)
    return c.finish()


# --------------------------------------------------------------------------- home decor


def draw_plant(color: RGB) -> Image.Image:
    """A leafy plant in a tapered pot; ``color`` is the colour of the pot."""
    c = _Canvas()
    c.shadow(256, 438, 120, 18)
    leaf = (62, 140, 72)
    base: Point = (256, 292)
    for length, width, angle in [
        (150, 30, -150),
        (170, 30, -30),
        (190, 32, -105),
        (185, 32, -75),
        (150, 28, -125),
        (160, 28, -55),
        (200, 34, -90),
        (130, 26, -170),
        (130, 26, -10),
    ]:
        tint = _mix(leaf, (120, 180, 80), ((angle + 170) % 40) / 80)
        pts = _rotate(_leaf_points(length, width), base, angle)
        c.polygon(pts, fill=tint, outline=_darker(leaf, 0.3), width=1.5)
        vein = _rotate([(10, 0), (length - 20, 0)], base, angle)
        c.line(vein, fill=_darker(tint, 0.2), width=2.5)
    c.lathe(256, [(300, 92), (430, 68)], color, ratio=0.15)
    c.lathe(256, [(284, 104), (318, 104)], _lighter(color, 0.05), ratio=0.15, top_curve=True)
    return c.finish()


def draw_vase(color: RGB) -> Image.Image:
    """A bottle-shaped vase holding a few dried stems."""
    c = _Canvas()
    c.shadow(256, 438, 120, 18)
    stem = (140, 120, 80)
    for end, head in [((190, 70), (186, 66)), ((300, 52), (304, 48)), ((346, 118), (352, 114))]:
        c.line([(256, 200), end], fill=stem, width=3)
        for k in range(4):
            t = 0.55 + 0.12 * k
            x = 256 + (end[0] - 256) * t
            y = 200 + (end[1] - 200) * t
            c.ellipse((x - 9, y - 5, x + 9, y + 5), fill=(196, 170, 120))
        c.circle(head, 8, fill=(214, 186, 130))
    profile = _catmull_rom(
        [(146, 34), (160, 28), (200, 30), (250, 72), (318, 104), (376, 96), (424, 66)]
    )
    c.lathe(256, profile, color, ratio=0.14, outline=_darker(color, 0.3))
    c.ellipse((220, 138, 292, 154), fill=_lighter(color, 0.2))
    c.ellipse((228, 141, 284, 152), fill=_darker(color, 0.55))
    return c.finish()


def draw_cushion(color: RGB) -> Image.Image:
    """A square, plump throw cushion with piping and a centre button."""
    c = _Canvas()
    c.shadow(256, 404, 170, 22)
    corners = [(126, 136), (386, 136), (386, 396), (126, 396)]

    def side(a: Point, b: Point, bow: float) -> list[Point]:
        dx, dy = b[0] - a[0], b[1] - a[1]
        length = math.hypot(dx, dy)
        nx, ny = -dy / length, dx / length
        pts: list[Point] = []
        for i in range(16):
            t = i / 16
            s = math.sin(math.pi * t) * bow
            pts.append((a[0] + dx * t + nx * s, a[1] + dy * t + ny * s))
        return pts

    outline: list[Point] = []
    for i in range(4):
        outline += side(corners[i], corners[(i + 1) % 4], 14)
    c.polygon(outline, fill=color, outline=_darker(color, 0.35), width=5)
    inner = [(256 + (x - 256) * 0.62, 266 + (y - 266) * 0.62) for x, y in outline]
    c.polygon(inner, fill=_lighter(color, 0.1))
    crease = _darker(color, 0.12)
    for cx, cy in corners:
        c.line(
            [
                (cx + (256 - cx) * 0.12, cy + (266 - cy) * 0.12),
                (cx + (256 - cx) * 0.38, cy + (266 - cy) * 0.38),
            ],
            fill=crease,
            width=4,
        )
    c.circle((256, 266), 11, fill=_darker(color, 0.25))
    c.circle((253, 263), 4, fill=_lighter(color, 0.3))
    return c.finish()


def draw_clock(color: RGB) -> Image.Image:
    """A round wall clock; ``color`` is the colour of the frame."""
    c = _Canvas()
    c.shadow(262, 262, 150, 150, strength=0.1)
    c.circle((256, 250), 140, fill=color, outline=_darker(color, 0.3), width=3)
    c.circle((256, 250), 122, fill=(252, 251, 247), outline=_darker(color, 0.15), width=3)
    ink = (40, 40, 44)
    for h in range(60):
        a = math.radians(h * 6 - 90)
        r0 = 96 if h % 5 == 0 else 106
        w = 6 if h % 5 == 0 else 2
        c.line(
            [
                (256 + r0 * math.cos(a), 250 + r0 * math.sin(a)),
                (256 + 112 * math.cos(a), 250 + 112 * math.sin(a)),
            ],
            fill=ink,
            width=w,
        )
    for degrees, length, width in [(10 * 30 + 5 - 90, 60, 9), (2 * 30 - 90, 90, 6)]:
        a = math.radians(degrees)
        c.line(
            [(256, 250), (256 + length * math.cos(a), 250 + length * math.sin(a))],
            fill=ink,
            width=width,
            round_caps=True,
        )
    a = math.radians(35 * 6 - 90)
    c.line(
        [
            (256 - 20 * math.cos(a), 250 - 20 * math.sin(a)),
            (256 + 100 * math.cos(a), 250 + 100 * math.sin(a)),
        ],
        fill=(200, 40, 40),
        width=3,
    )
    c.circle((256, 250), 8, fill=(200, 40, 40))
    return c.finish()


# --------------------------------------------------------------------------- stationery


def draw_notebook(color: RGB, ribbon: RGB) -> Image.Image:
    """A hardcover notebook with an elastic band and a ribbon bookmark."""
    c = _Canvas()
    c.shadow(262, 428, 150, 18)
    c.polygon([(300, 414), (314, 414), (320, 456), (307, 446), (294, 456)], fill=ribbon)
    c.rect((168, 110, 372, 418), fill=(236, 230, 214), outline=(190, 182, 165), width=2, radius=8)
    for y in range(124, 410, 8):
        c.line([(364, y), (372, y)], fill=(210, 203, 186), width=1)
    c.rect((148, 98, 360, 412), fill=color, outline=_darker(color, 0.35), width=2, radius=10)
    c.rect((148, 98, 176, 412), fill=_darker(color, 0.2), radius=10)
    c.rect((316, 98, 330, 412), fill=_darker(color, 0.4))
    c.rect((198, 150, 296, 196), fill=(240, 236, 225), radius=4)
    c.line([(210, 166), (284, 166)], fill=(170, 165, 155), width=2)
    c.line([(210, 180), (266, 180)], fill=(170, 165, 155), width=2)
    return c.finish()


def _pencil(c: _Canvas, origin: Point, angle: float, color: RGB) -> None:
    def p(points: Sequence[Point]) -> list[Point]:
        return _rotate(points, origin, angle)

    w = 15.0
    c.polygon(p([(0, -w), (30, -w), (30, w), (0, w)]), fill=(236, 140, 150))
    c.polygon(p([(30, -w), (56, -w), (56, w), (30, w)]), fill=(190, 190, 196))
    for x in (36, 43, 50):
        c.line(p([(x, -w), (x, w)]), fill=(150, 150, 158), width=2)
    c.polygon(p([(56, -w), (250, -w), (250, w), (56, w)]), fill=color)
    c.polygon(p([(56, -w), (250, -w), (250, -w / 3), (56, -w / 3)]), fill=_lighter(color, 0.25))
    c.polygon(p([(56, w / 3), (250, w / 3), (250, w), (56, w)]), fill=_darker(color, 0.15))
    c.polygon(p([(250, -w), (296, -4), (296, 4), (250, w)]), fill=(232, 196, 150))
    c.polygon(p([(296, -4), (312, 0), (296, 4)]), fill=(60, 60, 64))


def draw_pencils(color: RGB) -> Image.Image:
    """Three sharpened pencils lying side by side."""
    c = _Canvas()
    angle = 135.0
    origins: list[Point] = []
    for i, shift in enumerate((-46.0, 0.0, 46.0)):
        along = 10.0 * (i - 1)
        origins.append((360 + (shift - along) * 0.707, 150 + (shift + along) * 0.707))
    shadow = _darker(c.background, 0.1)
    for ox, oy in origins:
        outline = [(0, -15), (296, -15), (312, 0), (296, 15), (0, 15)]
        c.polygon(_rotate(outline, (ox + 5, oy + 9), angle), fill=shadow)
    for origin in origins:
        _pencil(c, origin, angle, color)
    return c.finish()


# --------------------------------------------------------------------------- outdoor


def draw_tent(color: RGB) -> Image.Image:
    """A two-person ridge tent with an open door and guy lines."""
    c = _Canvas()
    c.shadow(280, 396, 230, 26)
    rope = (120, 110, 100)
    c.line([(200, 140), (42, 360)], fill=rope, width=2)
    c.line([(400, 126), (494, 330)], fill=rope, width=2)
    c.polygon([(200, 140), (400, 126), (470, 366), (320, 400)], fill=_darker(color, 0.22))
    c.line([(200, 140), (400, 126)], fill=_darker(color, 0.45), width=4)
    c.polygon([(200, 140), (80, 400), (320, 400)], fill=color, outline=_darker(color, 0.3), width=2)
    c.polygon([(200, 196), (134, 400), (266, 400)], fill=(60, 52, 48))
    c.polygon([(200, 196), (266, 400), (290, 400), (214, 200)], fill=_lighter(color, 0.2))
    c.line([(200, 126), (200, 142)], fill=(90, 90, 90), width=4)
    c.line([(400, 112), (400, 128)], fill=(90, 90, 90), width=4)
    for x, y in ((42, 360), (494, 330), (80, 400), (320, 400), (470, 366)):
        c.circle((x, y), 4, fill=(90, 90, 90))
    return c.finish()


def draw_bottle(color: RGB) -> Image.Image:
    """An insulated water bottle with a loop cap."""
    c = _Canvas()
    c.shadow(256, 438, 90, 16)
    cap = (54, 56, 60)
    c.arc((232, 74, 280, 122), 180, 360, fill=cap, width=9)
    c.lathe(256, [(96, 34), (148, 34)], cap, ratio=0.2, top_curve=True)
    body = _catmull_rom([(144, 34), (158, 38), (190, 58), (230, 62), (426, 62)])
    c.lathe(256, body, color, ratio=0.2, outline=_darker(color, 0.3))
    c.lathe(256, [(300, 62.5), (326, 62.5)], _lighter(color, 0.35), ratio=0.2, top_curve=True)
    return c.finish()


def draw_lantern(color: RGB) -> Image.Image:
    """A camping lantern with a glowing glass globe and a wire handle."""
    c = _Canvas()
    c.glow(256, 270, 210, 200)
    c.shadow(256, 430, 110, 16)
    c.arc((196, 60, 316, 190), 180, 360, fill=(70, 70, 74), width=7)
    c.lathe(256, [(190, 80), (380, 80)], (255, 226, 130), ratio=0.18)
    c.ellipse((238, 240, 274, 320), fill=(255, 176, 60))
    c.ellipse((246, 260, 266, 318), fill=(255, 240, 180))
    for u in (-0.85, -0.3, 0.3, 0.85):
        x = 256 + u * 80
        c.line([(x, 192), (x, 392)], fill=_darker(color, 0.3), width=4)
    c.lathe(256, _catmull_rom([(130, 12), (146, 40), (168, 80), (200, 92)]), color, ratio=0.2)
    c.circle((256, 128), 10, fill=_darker(color, 0.2))
    c.lathe(256, [(376, 92), (424, 96)], color, ratio=0.18, top_curve=True)
    return c.finish()


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
        picture=partial(_render_png, drawer, *colors),
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
