"""Demo pictures of things for the home and outdoors: kitchen, lighting, home decor,
stationery, outdoor gear."""

from __future__ import annotations

import math
from collections.abc import Sequence

from PIL import Image

from catalog.demo.canvas import (
    GLOW,
    RGB,
    WHITE,
    Canvas,
    Point,
    catmull_rom,
    darker,
    ellipse_points,
    leaf_points,
    lighter,
    mix,
    rotate,
)

# --------------------------------------------------------------------------- kitchen


def draw_mug(color: RGB) -> Image.Image:
    """A straight-sided mug with a handle on the right."""
    c = Canvas(shadow=(250, 400, 150, 26))
    c.handle((270, 200, 392, 340), color, width=32)
    c.lathe(230, [(175, 95), (385, 95)], color)
    c.opening((135, 158, 325, 192), (143, 163, 317, 189), color, shine=0.25, depth=0.5)
    return c.finish()


def draw_teapot(color: RGB) -> Image.Image:
    """A round-bellied teapot with a spout on the right and a handle on the left."""
    c = Canvas(shadow=(256, 398, 170, 26))
    c.handle((80, 215, 190, 345), color, width=24)
    edge = darker(color, 0.3)
    spout = [(340, 330), (355, 270), (425, 200), (452, 188), (458, 200), (440, 218), (390, 330)]
    c.polygon(spout, fill=darker(color, 0.12), outline=edge, width=2)
    body = catmull_rom([(198, 70), (220, 112), (262, 132), (314, 128), (358, 100), (380, 72)])
    c.lathe(256, body, color, ratio=0.2)
    c.ellipse((180, 185, 332, 215), fill=darker(color, 0.2))
    lid = catmull_rom([(152, 8), (160, 22), (180, 50), (200, 66)])
    c.lathe(256, lid, lighter(color, 0.08), ratio=0.2)
    c.circle((256, 146), 15, fill=darker(color, 0.15))
    c.circle((251, 141), 5, fill=lighter(color, 0.4))
    return c.finish()


def draw_cutting_board(color: RGB) -> Image.Image:
    """A wooden chopping board with a handle and visible grain."""
    c = Canvas(shadow=(270, 395, 200, 24))
    side = darker(color, 0.3)
    c.rect((92, 176, 402, 400), fill=side, radius=40)
    c.rect((380, 242, 468, 318), fill=side, radius=30)
    c.rect((92, 164, 402, 386), fill=color, radius=40)
    c.rect((380, 230, 468, 304), fill=color, radius=30)
    c.circle((440, 267), 13, fill=c.background)
    grain = darker(color, 0.12)
    for i, y in enumerate(range(196, 370, 30)):
        wobble = 8 if i % 2 else -8
        c.line([(120, y), (200, y + wobble), (290, y - wobble), (375, y)], fill=grain, width=3)
    c.ellipse((250, 250, 300, 280), outline=grain, width=3)
    c.line([(110, 180), (384, 180)], fill=lighter(color, 0.25), width=4)
    return c.finish()


# --------------------------------------------------------------------------- lighting


def draw_desk_lamp(color: RGB) -> Image.Image:
    """An articulated desk lamp with a conical shade casting light on the desk."""
    c = Canvas(shadow=(250, 404, 110, 20))
    c.glow(400, 408, 90, 22)
    arm = darker(color, 0.1)
    joint = darker(color, 0.35)
    c.lathe(250, [(386, 80), (400, 80)], color, ratio=0.22, outline=darker(color, 0.3))
    c.ellipse((170, 368, 330, 404), fill=lighter(color, 0.18))
    c.line([(250, 382), (196, 252)], fill=arm, width=15, round_caps=True)
    c.line([(196, 252), (318, 178)], fill=arm, width=15, round_caps=True)
    c.circle((250, 382), 14, fill=joint)
    c.circle((196, 252), 13, fill=joint)
    apex: Point = (318, 178)
    angle = 55.0
    shade = rotate([(-14, -20), (0, -26), (120, -76), (120, 76), (0, 26), (-14, 20)], apex, angle)
    c.polygon(shade, fill=color, outline=darker(color, 0.3), width=2)
    highlight = rotate([(4, -18), (112, -62), (112, -46), (4, -10)], apex, angle)
    c.polygon(highlight, fill=lighter(color, 0.3))
    mouth = rotate(ellipse_points(0, 0, 16, 76), apex, angle)
    mouth = [
        (x + 120 * math.cos(math.radians(angle)), y + 120 * math.sin(math.radians(angle)))
        for x, y in mouth
    ]
    c.polygon(mouth, fill=GLOW, outline=darker(color, 0.35), width=3)
    c.circle(apex, 12, fill=joint)
    return c.finish()


def draw_pendant_lamp(color: RGB) -> Image.Image:
    """A dome pendant lamp hanging from a cord, with a glowing bulb."""
    c = Canvas()
    c.glow(256, 330, 190, 150)
    c.line([(256, 0), (256, 140)], fill=(60, 60, 60), width=5)
    c.lathe(256, [(128, 14), (152, 14)], darker(color, 0.15), ratio=0.25)
    dome = catmull_rom([(148, 22), (165, 50), (200, 88), (245, 118), (290, 134)])
    c.lathe(256, dome, color, ratio=0.0)
    c.ellipse((122, 276, 390, 306), fill=darker(color, 0.55))
    c.ellipse((122, 272, 390, 302), outline=lighter(color, 0.2), width=4)
    c.circle((256, 304), 34, fill=(255, 248, 215))
    c.circle((256, 304), 24, fill=WHITE)
    return c.finish()


# --------------------------------------------------------------------------- home decor


def draw_plant(color: RGB) -> Image.Image:
    """A leafy plant in a tapered pot; ``color`` is the colour of the pot."""
    c = Canvas(shadow=(256, 438, 120, 18))
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
        tint = mix(leaf, (120, 180, 80), ((angle + 170) % 40) / 80)
        pts = rotate(leaf_points(length, width), base, angle)
        c.polygon(pts, fill=tint, outline=darker(leaf, 0.3), width=1.5)
        vein = rotate([(10, 0), (length - 20, 0)], base, angle)
        c.line(vein, fill=darker(tint, 0.2), width=2.5)
    c.lathe(256, [(300, 92), (430, 68)], color, ratio=0.15)
    c.lathe(256, [(284, 104), (318, 104)], lighter(color, 0.05), ratio=0.15, top_curve=True)
    return c.finish()


def draw_vase(color: RGB) -> Image.Image:
    """A bottle-shaped vase holding a few dried stems."""
    c = Canvas(shadow=(256, 438, 120, 18))
    stem = (140, 120, 80)
    for end, head in [((190, 70), (186, 66)), ((300, 52), (304, 48)), ((346, 118), (352, 114))]:
        c.line([(256, 200), end], fill=stem, width=3)
        for k in range(4):
            t = 0.55 + 0.12 * k
            x = 256 + (end[0] - 256) * t
            y = 200 + (end[1] - 200) * t
            c.ellipse((x - 9, y - 5, x + 9, y + 5), fill=(196, 170, 120))
        c.circle(head, 8, fill=(214, 186, 130))
    profile = catmull_rom(
        [(146, 34), (160, 28), (200, 30), (250, 72), (318, 104), (376, 96), (424, 66)]
    )
    c.lathe(256, profile, color, ratio=0.14, outline=darker(color, 0.3))
    c.opening((220, 138, 292, 154), (228, 141, 284, 152), color, shine=0.2, depth=0.55)
    return c.finish()


def draw_cushion(color: RGB) -> Image.Image:
    """A square, plump throw cushion with piping and a centre button."""
    c = Canvas(shadow=(256, 404, 170, 22))
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
    c.polygon(outline, fill=color, outline=darker(color, 0.35), width=5)
    inner = [(256 + (x - 256) * 0.62, 266 + (y - 266) * 0.62) for x, y in outline]
    c.polygon(inner, fill=lighter(color, 0.1))
    crease = darker(color, 0.12)
    for cx, cy in corners:
        c.line(
            [
                (cx + (256 - cx) * 0.12, cy + (266 - cy) * 0.12),
                (cx + (256 - cx) * 0.38, cy + (266 - cy) * 0.38),
            ],
            fill=crease,
            width=4,
        )
    c.circle((256, 266), 11, fill=darker(color, 0.25))
    c.circle((253, 263), 4, fill=lighter(color, 0.3))
    return c.finish()


def draw_clock(color: RGB) -> Image.Image:
    """A round wall clock; ``color`` is the colour of the frame."""
    c = Canvas()
    c.shadow(262, 262, 150, 150, strength=0.1)
    c.circle((256, 250), 140, fill=color, outline=darker(color, 0.3), width=3)
    c.circle((256, 250), 122, fill=(252, 251, 247), outline=darker(color, 0.15), width=3)
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
    c = Canvas(shadow=(262, 428, 150, 18))
    c.polygon([(300, 414), (314, 414), (320, 456), (307, 446), (294, 456)], fill=ribbon)
    c.rect((168, 110, 372, 418), fill=(236, 230, 214), outline=(190, 182, 165), width=2, radius=8)
    for y in range(124, 410, 8):
        c.line([(364, y), (372, y)], fill=(210, 203, 186), width=1)
    c.rect((148, 98, 360, 412), fill=color, outline=darker(color, 0.35), width=2, radius=10)
    c.rect((148, 98, 176, 412), fill=darker(color, 0.2), radius=10)
    c.rect((316, 98, 330, 412), fill=darker(color, 0.4))
    c.rect((198, 150, 296, 196), fill=(240, 236, 225), radius=4)
    c.line([(210, 166), (284, 166)], fill=(170, 165, 155), width=2)
    c.line([(210, 180), (266, 180)], fill=(170, 165, 155), width=2)
    return c.finish()


def _pencil(c: Canvas, origin: Point, angle: float, color: RGB) -> None:
    def p(points: Sequence[Point]) -> list[Point]:
        return rotate(points, origin, angle)

    w = 15.0
    c.polygon(p([(0, -w), (30, -w), (30, w), (0, w)]), fill=(236, 140, 150))
    c.polygon(p([(30, -w), (56, -w), (56, w), (30, w)]), fill=(190, 190, 196))
    for x in (36, 43, 50):
        c.line(p([(x, -w), (x, w)]), fill=(150, 150, 158), width=2)
    c.polygon(p([(56, -w), (250, -w), (250, w), (56, w)]), fill=color)
    c.polygon(p([(56, -w), (250, -w), (250, -w / 3), (56, -w / 3)]), fill=lighter(color, 0.25))
    c.polygon(p([(56, w / 3), (250, w / 3), (250, w), (56, w)]), fill=darker(color, 0.15))
    c.polygon(p([(250, -w), (296, -4), (296, 4), (250, w)]), fill=(232, 196, 150))
    c.polygon(p([(296, -4), (312, 0), (296, 4)]), fill=(60, 60, 64))


def draw_pencils(color: RGB) -> Image.Image:
    """Three sharpened pencils lying side by side."""
    c = Canvas()
    angle = 135.0
    origins: list[Point] = []
    for i, shift in enumerate((-46.0, 0.0, 46.0)):
        along = 10.0 * (i - 1)
        origins.append((360 + (shift - along) * 0.707, 150 + (shift + along) * 0.707))
    shadow = darker(c.background, 0.1)
    for ox, oy in origins:
        outline = [(0, -15), (296, -15), (312, 0), (296, 15), (0, 15)]
        c.polygon(rotate(outline, (ox + 5, oy + 9), angle), fill=shadow)
    for origin in origins:
        _pencil(c, origin, angle, color)
    return c.finish()


# --------------------------------------------------------------------------- outdoor


def draw_tent(color: RGB) -> Image.Image:
    """A two-person ridge tent with an open door and guy lines."""
    c = Canvas(shadow=(280, 396, 230, 26))
    rope = (120, 110, 100)
    c.line([(200, 140), (42, 360)], fill=rope, width=2)
    c.line([(400, 126), (494, 330)], fill=rope, width=2)
    c.polygon([(200, 140), (400, 126), (470, 366), (320, 400)], fill=darker(color, 0.22))
    c.line([(200, 140), (400, 126)], fill=darker(color, 0.45), width=4)
    c.polygon([(200, 140), (80, 400), (320, 400)], fill=color, outline=darker(color, 0.3), width=2)
    c.polygon([(200, 196), (134, 400), (266, 400)], fill=(60, 52, 48))
    c.polygon([(200, 196), (266, 400), (290, 400), (214, 200)], fill=lighter(color, 0.2))
    c.line([(200, 126), (200, 142)], fill=(90, 90, 90), width=4)
    c.line([(400, 112), (400, 128)], fill=(90, 90, 90), width=4)
    for x, y in ((42, 360), (494, 330), (80, 400), (320, 400), (470, 366)):
        c.circle((x, y), 4, fill=(90, 90, 90))
    return c.finish()


def draw_bottle(color: RGB) -> Image.Image:
    """An insulated water bottle with a loop cap."""
    c = Canvas(shadow=(256, 438, 90, 16))
    cap = (54, 56, 60)
    c.arc((232, 74, 280, 122), 180, 360, fill=cap, width=9)
    c.lathe(256, [(96, 34), (148, 34)], cap, ratio=0.2, top_curve=True)
    body = catmull_rom([(144, 34), (158, 38), (190, 58), (230, 62), (426, 62)])
    c.lathe(256, body, color, ratio=0.2, outline=darker(color, 0.3))
    c.lathe(256, [(300, 62.5), (326, 62.5)], lighter(color, 0.35), ratio=0.2, top_curve=True)
    return c.finish()


def draw_lantern(color: RGB) -> Image.Image:
    """A camping lantern with a glowing glass globe and a wire handle."""
    c = Canvas()
    c.glow(256, 270, 210, 200)
    c.shadow(256, 430, 110, 16)
    c.arc((196, 60, 316, 190), 180, 360, fill=(70, 70, 74), width=7)
    c.lathe(256, [(190, 80), (380, 80)], (255, 226, 130), ratio=0.18)
    c.ellipse((238, 240, 274, 320), fill=(255, 176, 60))
    c.ellipse((246, 260, 266, 318), fill=(255, 240, 180))
    for u in (-0.85, -0.3, 0.3, 0.85):
        x = 256 + u * 80
        c.line([(x, 192), (x, 392)], fill=darker(color, 0.3), width=4)
    c.lathe(256, catmull_rom([(130, 12), (146, 40), (168, 80), (200, 92)]), color, ratio=0.2)
    c.circle((256, 128), 10, fill=darker(color, 0.2))
    c.lathe(256, [(376, 92), (424, 96)], color, ratio=0.18, top_curve=True)
    return c.finish()
