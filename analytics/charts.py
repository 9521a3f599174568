"""Charts drawn on the server as SVG: no script, no library, nothing for the CSP to refuse
(colours are presentation attributes, not style)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 16, 40
COLOURS = ("#417690", "#ba2121", "#79aec8")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]  # one per label; None: no data there (a gap)
    bars: bool = False


def _nice_max(value: float) -> float:
    """A round top for the y axis: 1, 2 or 5 times a power of ten, at least the value."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** len(str(int(value)))
    for step in (0.1, 0.2, 0.5, 1.0):
        if value <= magnitude * step:
            return magnitude * step
    return float(magnitude)


def _number(value: float, percent: bool) -> str:
    if percent:
        return f"{value * 100:.0f}%"
    return f"{value:g}" if value < 1000 else f"{value / 1000:g}k"


def chart(
    *, title: str, labels: Sequence[str], series: Sequence[Series], percent: bool = False
) -> SafeString:
    """A chart of one or more series over the labels (days or weeks): bars or lines."""
    top = 1.0 if percent else _nice_max(max((v or 0 for s in series for v in s.values), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(labels), 1)

    def x(index: int) -> float:
        return LEFT + slot * (index + 0.5)

    def y(value: float) -> float:
        return TOP + plot_h * (1 - value / top)

    parts: list[str] = []
    for tick in range(5):
        value = top * tick / 4
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#ddd"/>'
                '<text x="{}" y="{}" text-anchor="end" font-size="11" fill="#666">{}</text>',
                LEFT,
                WIDTH - RIGHT,
                f"{y(value):.1f}",
                f"{y(value):.1f}",
                LEFT - 6,
                f"{y(value) + 4:.1f}",
                _number(value, percent),
            )  # fmt: skip
        )
    every = max(1, len(labels) // 8)
    for index, label in enumerate(labels):
        if index % every == 0:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" text-anchor="middle" font-size="11" fill="#666">{}</text>',
                    f"{x(index):.1f}",
                    HEIGHT - BOTTOM + 16,
                    label[5:] if len(label) == 10 else label,
                )  # fmt: skip
            )
    bar_series = [s for s in series if s.bars]
    bar_w = slot * 0.8 / max(len(bar_series), 1)
    for number, (each, colour) in enumerate(zip(series, COLOURS, strict=False)):
        if each.bars:
            offset = -slot * 0.4 + bar_w * bar_series.index(each)
            parts.extend(
                format_html(
                    '<rect class="bar" x="{}" y="{}" width="{}" height="{}" fill="{}">'
                    "<title>{}: {}</title></rect>",
                    f"{x(i) + offset:.1f}",
                    f"{y(v):.1f}",
                    f"{bar_w:.1f}",
                    f"{y(0) - y(v):.1f}",
                    colour,
                    labels[i],
                    _number(v, percent),
                )  # fmt: skip
                for i, v in enumerate(each.values)
                if v
            )
        else:
            points = [
                (x(i), y(v), labels[i], v) for i, v in enumerate(each.values) if v is not None
            ]
            if len(points) > 1:
                parts.append(
                    format_html(
                        '<polyline class="line" fill="none" stroke="{}" stroke-width="2" points="{}"/>',
                        colour,
                        " ".join(f"{px:.1f},{py:.1f}" for px, py, _, _ in points),
                    )  # fmt: skip
                )
            parts.extend(
                format_html(
                    '<circle class="point" cx="{}" cy="{}" r="3" fill="{}"><title>{}: {}</title>'
                    "</circle>",
                    f"{px:.1f}",
                    f"{py:.1f}",
                    colour,
                    label,
                    _number(v, percent),
                )  # fmt: skip
                for px, py, label, v in points
            )
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="10" height="10" fill="{}"/>'
                '<text x="{}" y="{}" font-size="12">{}</text>',
                LEFT + 140 * number,
                HEIGHT - 14,
                colour,
                LEFT + 140 * number + 14,
                HEIGHT - 5,
                each.name,
            )  # fmt: skip
        )
    body = mark_safe("".join(parts))  # noqa: S308 - every part above is format_html output
    return format_html(
        '<svg class="analytics-chart" role="img" aria-label="{}" viewBox="0 0 {} {}" '
        'width="{}" height="{}" xmlns="http://www.w3.org/2000/svg"><title>{}</title>{}</svg>',
        title, WIDTH, HEIGHT, WIDTH, HEIGHT, title, body,
    )  # fmt: skip
