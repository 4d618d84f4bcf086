"""Charts of the analytics page as inline SVG, drawn on the server (no script, no library).

Each chart is 360 units wide, so on a phone (360 px) its text is drawn at about its own size;
the stylesheet caps the width on a desktop. Colours come from classes in analytics.css (the CSP
allows no inline style). Every chart is `role="img"` with a title that says what it shows in a
sentence; the page puts the same numbers in a table right after it, for screen readers and for
reading exact values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 360
LABEL_H = 20
BAR_H = 18
ROW_GAP = 10
VALUE_W = 60  # room right of the longest bar for its number
LINE_CHARS = 44  # characters of 14-unit text on one 360-unit line


@dataclass(frozen=True)
class Bar:
    label: str
    value: int | float
    note: str = ""  # shown after the label (e.g. "−3, 25 %")
    tone: str = "main"  # main | second | alarm


def _number(value: int | float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _svg(chart_id: str, title: str, height: int, body: list[str]) -> Markup:
    head = (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'role="img" aria-labelledby="{escape(chart_id)}-title" focusable="false">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
    )
    return Markup(head + "".join(body) + "</svg>")


def wrap(text: str, width: int = LINE_CHARS) -> list[str]:
    """Words in lines of at most `width` characters (SVG text does not wrap by itself)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def _label_lines(bar: Bar) -> list[Markup]:
    """The label's lines; the note follows on the last line when it fits, else on its own."""
    lines = [escape(line) for line in wrap(bar.label)]
    if bar.note:
        note = Markup('<tspan class="note-text">{}</tspan>').format(bar.note)
        if len(wrap(bar.label)[-1]) + 1 + len(bar.note) <= LINE_CHARS:
            lines[-1] = Markup("{} {}").format(lines[-1], note)
        else:
            lines.append(note)
    return lines


def bar_chart(chart_id: str, title: str, bars: Sequence[Bar], empty: str = "Nothing yet.") -> Markup:
    """Horizontal bars, one per row: the label (and its note) above, the bar and its value below."""
    if not bars:
        return _svg(chart_id, title, 30, [f'<text class="muted-text" x="0" y="20">{escape(empty)}</text>'])
    top = max((bar.value for bar in bars), default=0) or 1
    span = WIDTH - VALUE_W
    body: list[str] = []
    y = 0
    for bar in bars:
        for line in _label_lines(bar):
            body.append(f'<text class="label-text" x="0" y="{y + 15}">{line}</text>')
            y += LABEL_H
        length = max(2.0 if bar.value else 0.0, span * bar.value / top)
        body.append(
            f'<rect class="bar bar-{escape(bar.tone)}" x="0" y="{y}" width="{length:.1f}" height="{BAR_H}" rx="2"/>'
        )
        body.append(
            f'<text class="value-text" x="{length + 6:.1f}" y="{y + 14}">{escape(_number(bar.value))}</text>'
        )
        y += BAR_H + ROW_GAP
    return _svg(chart_id, title, y, body)


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[int]
    tone: str  # main | second


def line_chart(chart_id: str, title: str, x_labels: Sequence[str], series: Sequence[Series]) -> Markup:
    """A few series over time (weeks): lines with dots, a zero line, the largest value marked,
    the first and last week named, and a legend."""
    left, right, top_y, plot_h = 34, WIDTH - 10, 30, 130
    bottom_y = top_y + plot_h
    top = max((v for s in series for v in s.values), default=0) or 1
    count = max(len(x_labels), 1)

    def x_at(i: int) -> float:
        return left + (right - left) * (i / (count - 1) if count > 1 else 0.5)

    def y_at(v: float) -> float:
        return bottom_y - plot_h * v / top

    body = [
        f'<line class="axis" x1="{left}" y1="{bottom_y}" x2="{right}" y2="{bottom_y}"/>',
        f'<line class="grid" x1="{left}" y1="{top_y}" x2="{right}" y2="{top_y}"/>',
        f'<text class="tick-text" x="{left - 6}" y="{bottom_y + 4}" text-anchor="end">0</text>',
        f'<text class="tick-text" x="{left - 6}" y="{top_y + 4}" text-anchor="end">{top}</text>',
    ]
    legend_x = 0
    for s in series:
        body.append(
            f'<rect class="bar bar-{escape(s.tone)}" x="{legend_x}" y="4" width="14" height="10" rx="2"/>'
        )
        body.append(f'<text class="label-text" x="{legend_x + 19}" y="14">{escape(s.label)}</text>')
        legend_x += 30 + 8 * len(s.label)
    for s in series:
        points = " ".join(f"{x_at(i):.1f},{y_at(v):.1f}" for i, v in enumerate(s.values))
        if len(s.values) > 1:
            body.append(f'<polyline class="line line-{escape(s.tone)}" points="{points}"/>')
        body += [
            f'<circle class="dot dot-{escape(s.tone)}" cx="{x_at(i):.1f}" cy="{y_at(v):.1f}" r="3"/>'
            for i, v in enumerate(s.values)
        ]
    if x_labels:
        body.append(f'<text class="tick-text" x="{left}" y="{bottom_y + 18}">{escape(x_labels[0])}</text>')
        if len(x_labels) > 1:
            body.append(
                f'<text class="tick-text" x="{right}" y="{bottom_y + 18}" text-anchor="end">{escape(x_labels[-1])}</text>'
            )
    return _svg(chart_id, title, bottom_y + 26, body)
