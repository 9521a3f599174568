"""Drawing primitives for the demo pictures: colours, geometry and a supersampled canvas."""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from typing import Any

from PIL import Image, ImageDraw

RGB = tuple[int, int, int]
Point = tuple[float, float]
Box = tuple[float, float, float, float]

SIZE = 512
SS = 2  # supersampling factor: draw at 2x, then downsample for smooth edges
BACKGROUND: RGB = (245, 243, 238)

WHITE: RGB = (255, 255, 255)
BLACK: RGB = (0, 0, 0)
GLOW: RGB = (255, 236, 160)


# --------------------------------------------------------------------------- colours


def mix(a: RGB, b: RGB, t: float) -> RGB:
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def darker(color: RGB, amount: float = 0.25) -> RGB:
    return mix(color, BLACK, amount)


def lighter(color: RGB, amount: float = 0.3) -> RGB:
    return mix(color, WHITE, amount)


# --------------------------------------------------------------------------- geometry


def rotate(points: Sequence[Point], origin: Point, degrees: float) -> list[Point]:
    """Rotate local points (relative to 0,0) by ``degrees`` and move them to ``origin``."""
    a = math.radians(degrees)
    ca, sa = math.cos(a), math.sin(a)
    ox, oy = origin
    return [(ox + x * ca - y * sa, oy + x * sa + y * ca) for x, y in points]


def ellipse_points(
    cx: float, cy: float, rx: float, ry: float, start: float = 0.0, end: float = 360.0, n: int = 48
) -> list[Point]:
    """Points on an ellipse from angle ``start`` to ``end`` (degrees, screen orientation)."""
    pts: list[Point] = []
    for i in range(n + 1):
        t = math.radians(start + (end - start) * i / n)
        pts.append((cx + rx * math.cos(t), cy + ry * math.sin(t)))
    return pts


def leaf_points(length: float, width: float, n: int = 16) -> list[Point]:
    """A pointed leaf lying along +x, base at the origin."""
    top = [(length * i / n, -width * math.sin(math.pi * i / n)) for i in range(n + 1)]
    bottom = [(length * i / n, width * math.sin(math.pi * i / n)) for i in range(n - 1, 0, -1)]
    return top + bottom


def catmull_rom(ctrl: Sequence[Point], steps: int = 8) -> list[Point]:
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


class Canvas:
    """A supersampled drawing surface using 512x512 logical coordinates."""

    def __init__(self, background: RGB = BACKGROUND, shadow: Box | None = None) -> None:
        """A blank picture; `shadow` (cx, cy, rx, ry) is where the object will stand."""
        self.background = background
        self.image = Image.new("RGB", (SIZE * SS, SIZE * SS), background)
        self.draw = ImageDraw.Draw(self.image)
        if shadow is not None:
            self.shadow(*shadow)

    @staticmethod
    def _pts(points: Sequence[Point]) -> list[Point]:
        return [(x * SS, y * SS) for x, y in points]

    @staticmethod
    def _box(box: Box) -> Box:
        x0, y0, x1, y1 = box
        return (x0 * SS, y0 * SS, x1 * SS, y1 * SS)

    def polygon(
        self,
        points: Sequence[Point],
        fill: RGB | None = None,
        outline: RGB | None = None,
        width: float = 0,
    ) -> None:
        self.draw.polygon(self._pts(points), fill=fill, outline=outline, width=round(width * SS))

    def ellipse(
        self, box: Box, fill: RGB | None = None, outline: RGB | None = None, width: float = 0
    ) -> None:
        self.draw.ellipse(self._box(box), fill=fill, outline=outline, width=round(width * SS))

    def circle(self, center: Point, radius: float, fill: RGB | None = None, **edge: Any) -> None:
        """A disc of `radius` around `center` (a ring with outline= and width=)."""
        cx, cy = center
        self.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill, **edge)

    def handle(self, box: Box, color: RGB, width: float) -> None:
        """A loop handle: a dark outer ring with a lighter one just inside it."""
        x0, y0, x1, y1 = box
        self.ellipse(box, outline=darker(color, 0.3), width=width)
        inside = (x0 + 4, y0 + 4, x1 - 4, y1 - 4)
        self.ellipse(inside, outline=darker(color, 0.12), width=width - 8)

    def opening(self, rim: Box, inside: Box, color: RGB, *, shine: float, depth: float) -> None:
        """The open top of a vessel: a lit rim around a dark inside."""
        self.ellipse(rim, fill=lighter(color, shine))
        self.ellipse(inside, fill=darker(color, depth))

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
            radius=radius * SS,
            fill=fill,
            outline=outline,
            width=round(width * SS),
        )

    def line(
        self, points: Sequence[Point], fill: RGB, width: float, round_caps: bool = False
    ) -> None:
        self.draw.line(self._pts(points), fill=fill, width=round(width * SS), joint="curve")
        if round_caps:
            for p in (points[0], points[-1]):
                self.circle(p, width / 2, fill=fill)

    def arc(self, box: Box, start: float, end: float, fill: RGB, width: float) -> None:
        self.draw.arc(self._box(box), start, end, fill=fill, width=round(width * SS))

    def chord(self, box: Box, start: float, end: float, fill: RGB) -> None:
        self.draw.chord(self._box(box), start, end, fill=fill)

    def shadow(self, cx: float, cy: float, rx: float, ry: float, strength: float = 0.13) -> None:
        """A soft elliptical floor shadow made of concentric ellipses."""
        steps = 10
        for i in range(steps):
            k = 1.0 - 0.5 * i / steps
            color = darker(self.background, strength * (i + 1) / steps)
            self.ellipse((cx - rx * k, cy - ry * k, cx + rx * k, cy + ry * k), fill=color)

    def glow(self, cx: float, cy: float, rx: float, ry: float, color: RGB = GLOW) -> None:
        """A soft pool of light, fading into the background."""
        steps = 10
        for i in range(steps):
            k = 1.0 - 0.6 * i / steps
            c = mix(self.background, color, 0.9 * (i + 1) / steps)
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
            shade = darker(color, 0.32 * max(0.0, um + 0.15) / 1.15)
            spec = max(0.0, 1 - ((um + 0.45) / 0.32) ** 2)
            shade = lighter(shade, 0.3 * spec)
            left = edge(ua)
            right = edge(ub)
            self.polygon(left + right[::-1], fill=shade)
        if outline is not None:
            self.polygon(edge(-1.0) + edge(1.0)[::-1], outline=outline, width=1.5)

    def finish(self) -> Image.Image:
        return self.image.resize((SIZE, SIZE), Image.Resampling.LANCZOS)


def png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def render_png(drawer: Callable[..., Image.Image], *args: RGB) -> bytes:
    return png(drawer(*args))
