"""Server-side charts as inline SVG: no JavaScript, no CDN, readable on a 390px phone.

Each chart is one ``<svg>`` whose viewBox is about as wide as a phone's content column, so
its text stays at a readable size when it is scaled to fit (``width: 100%``). Every chart is
an image for assistive technology (``role="img"`` named by its ``<title>`` and ``<desc>``),
and every bar carries its value as visible text, so nothing is told by colour or length alone.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

#: viewBox width: close to a phone's content column, so 1 unit is about 1 CSS pixel there.
WIDTH = 360
FONT = 13
BAR = "#0b5d4b"
TRACK = "#e3e9e6"
INK = "#1d2521"
MUTED = "#5b6661"
#: Longest label drawn in full; longer ones are shortened (the full text stays in <title>).
MAX_LABEL = 44


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value, and the text printed with it (default: the value)."""

    label: str
    value: float
    text: str | None = None

    @property
    def shown(self) -> str:
        return self.text if self.text is not None else _number(self.value)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def shorten(label: str, limit: int = MAX_LABEL) -> str:
    """Cut a label to `limit` characters with an ellipsis, so rows never overflow the chart."""
    label = " ".join(str(label).split())
    return label if len(label) <= limit else label[:limit - 1].rstrip() + "…"


def _open(chart_id: str, height: float, title: str, desc: str, css_class: str) -> str:
    """The <svg> element with its accessible name and description."""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="{escape(css_class)}" id="{escape(chart_id)}" '
            f'viewBox="0 0 {WIDTH} {_n(height)}" width="100%" role="img" '
            f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
            f'font-family="system-ui, sans-serif" font-size="{FONT}">'
            f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
            f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>')


def _n(value: float) -> str:
    """A coordinate without noise: 12, 12.5 (never 12.500000001)."""
    return f"{round(value, 1):g}"


def column_chart(bars: Sequence[Bar], *, chart_id: str, title: str, desc: str,
                 height: int = 200) -> Markup:
    """Vertical bars (e.g. people per JP bucket): value above each bar, label below it."""
    top, bottom = FONT + 8, FONT + 10  # room for the values above and the labels below
    plot = height - top - bottom
    highest = max((b.value for b in bars), default=0) or 1
    slot = WIDTH / max(len(bars), 1)
    width = slot * 0.62
    parts = [_open(chart_id, height, title, desc, "chart chart-columns")]
    parts.append(f'<line x1="0" y1="{_n(top + plot)}" x2="{WIDTH}" y2="{_n(top + plot)}" stroke="{MUTED}"/>')
    for i, bar in enumerate(bars):
        h = plot * max(bar.value, 0) / highest
        x, centre = slot * i + (slot - width) / 2, slot * i + slot / 2
        parts.append(
            f'<g><title>{escape(bar.label)}: {escape(bar.shown)}</title>'
            f'<rect x="{_n(x)}" y="{_n(top + plot - h)}" width="{_n(width)}" height="{_n(h)}" '
            f'fill="{BAR}" rx="2"/>'
            f'<text x="{_n(centre)}" y="{_n(top + plot - h - 5)}" text-anchor="middle" fill="{INK}" '
            f'font-weight="600">{escape(bar.shown)}</text>'
            f'<text x="{_n(centre)}" y="{_n(height - 4)}" text-anchor="middle" fill="{MUTED}">'
            f'{escape(shorten(bar.label, 12))}</text></g>')
    parts.append("</svg>")
    # bandit B704: numbers and escape()d labels only
    return Markup("".join(parts))  # nosec B704


def bar_chart(bars: Sequence[Bar], *, chart_id: str, title: str, desc: str,
              maximum: float = 100) -> Markup:
    """Horizontal bars (e.g. percentage per unit): the label on its own line above each bar,
    so long unit names keep the whole width of a phone; the value printed after the bar."""
    row, bar_height, value_room = 2 * FONT + 14, 12, 48
    track = WIDTH - value_room
    height = max(len(bars), 1) * row + 4
    parts = [_open(chart_id, height, title, desc, "chart chart-bars")]
    for i, bar in enumerate(bars):
        y = i * row
        share = min(max(bar.value, 0) / maximum, 1) if maximum else 0
        parts.append(
            f'<g><title>{escape(bar.label)}: {escape(bar.shown)}</title>'
            f'<text x="0" y="{_n(y + FONT + 2)}" fill="{INK}">{escape(shorten(bar.label))}</text>'
            f'<rect x="0" y="{_n(y + FONT + 7)}" width="{_n(track)}" height="{bar_height}" fill="{TRACK}" rx="3"/>'
            f'<rect x="0" y="{_n(y + FONT + 7)}" width="{_n(track * share)}" height="{bar_height}" '
            f'fill="{BAR}" rx="3"/>'
            f'<text x="{_n(track + 6)}" y="{_n(y + FONT + 7 + bar_height - 1)}" fill="{INK}" '
            f'font-weight="600">{escape(bar.shown)}</text></g>')
    parts.append("</svg>")
    # bandit B704: numbers and escape()d labels only
    return Markup("".join(parts))  # nosec B704
