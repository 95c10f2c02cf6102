"""Charts drawn on the server: SVG for pages and mail, PNG (Pillow) for the Word report.

Both are drawn from the same (label, value) pairs, and every page that shows a chart also shows
those pairs as a table. A value of None ("no data") draws no bar; 0 draws a flat one.
The SVG names itself for screen readers (role="img", <title>, <desc>).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from html import escape

from PIL import Image, ImageDraw

WIDTH, HEIGHT = 640, 240
PAD_LEFT, PAD_BOTTOM, PAD_TOP = 56, 40, 16
BAR = "#1f5f8b"  # 7:1 against white
AXIS = "#4a4a4a"

Series = Sequence[tuple[str, int | None]]


def _scale(values: Series) -> int:
    top = max((v for _, v in values if v), default=0)
    if top <= 0:
        return 1
    magnitude = 10 ** (len(str(top)) - 1)
    return ((top + magnitude - 1) // magnitude) * magnitude


def svg_bars(
    chart_id: str, title: str, description: str, values: Series, label_every: int = 1
) -> str:
    """A bar chart as an accessible SVG string (escape-safe; mark it safe when rendering)."""
    top = _scale(values)
    plot_w, plot_h = WIDTH - PAD_LEFT - 8, HEIGHT - PAD_TOP - PAD_BOTTOM
    step = plot_w / max(len(values), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" aria-labelledby="{chart_id}-t {chart_id}-d">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(description)}</desc>',
        f'<line x1="{PAD_LEFT}" y1="{PAD_TOP + plot_h}" x2="{WIDTH - 8}" '
        f'y2="{PAD_TOP + plot_h}" stroke="{AXIS}"/>',
        f'<text x="{PAD_LEFT - 6}" y="{PAD_TOP + 4}" text-anchor="end" font-size="12" '
        f'fill="{AXIS}">{top}</text>',
        f'<text x="{PAD_LEFT - 6}" y="{PAD_TOP + plot_h}" text-anchor="end" font-size="12" '
        f'fill="{AXIS}">0</text>',
    ]
    for i, (label, value) in enumerate(values):
        x = PAD_LEFT + i * step
        if value is not None:
            h = plot_h * value / top
            parts.append(
                f'<rect x="{x + step * 0.15:.1f}" y="{PAD_TOP + plot_h - h:.1f}" '
                f'width="{step * 0.7:.1f}" height="{h:.1f}" fill="{BAR}"/>'
            )
        if i % label_every == 0:
            parts.append(
                f'<text x="{x + step / 2:.1f}" y="{HEIGHT - PAD_BOTTOM + 16}" '
                f'text-anchor="middle" font-size="12" fill="{AXIS}">'
                f"{escape(label)}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def png_bars(title: str, values: Series, label_every: int = 1) -> bytes:
    """The same bar chart as a PNG, for documents that cannot hold SVG (Word)."""
    scale = 2
    image = Image.new("RGB", (WIDTH * scale, (HEIGHT + 24) * scale), "white")
    draw = ImageDraw.Draw(image)
    draw.text((PAD_LEFT * scale, 4), title, fill=AXIS, font_size=14 * scale)
    top = _scale(values)
    off = 24 * scale
    plot_w, plot_h = (WIDTH - PAD_LEFT - 8) * scale, (HEIGHT - PAD_TOP - PAD_BOTTOM) * scale
    base = off + PAD_TOP * scale + plot_h
    draw.line([(PAD_LEFT * scale, base), ((WIDTH - 8) * scale, base)], fill=AXIS, width=2)
    draw.text(
        ((PAD_LEFT - 40) * scale, off + PAD_TOP * scale - 6),
        str(top),
        fill=AXIS,
        font_size=11 * scale,
    )
    step = plot_w / max(len(values), 1)
    for i, (label, value) in enumerate(values):
        x = PAD_LEFT * scale + i * step
        if value is not None:
            h = plot_h * value / top
            draw.rectangle([x + step * 0.15, base - h, x + step * 0.85, base], fill=BAR)
        if i % label_every == 0:
            draw.text((x + step * 0.1, base + 6 * scale), label, fill=AXIS, font_size=10 * scale)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
