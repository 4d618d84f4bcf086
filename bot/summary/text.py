"""The summary as plain text, for a chat message (Telegram, the widget, REST).

Plain text only: no Markdown or HTML, so no channel can drop or mangle it (the Telegram bot sends
everything as plain text and splits long messages at blank lines, which separate the sections
here). Every line comes from `SummaryContent`, the same parts the PDF draws.
"""

from __future__ import annotations

from bot.summary.content import Bullets, Evidence, Paragraph, Part, Rows, Subheading, SummaryContent


def _part_lines(part: Part) -> list[str]:
    if isinstance(part, Paragraph):
        return [part.text]
    if isinstance(part, Rows):
        return [f"{label}: {value}" for label, value in part.rows]
    if isinstance(part, Bullets):
        return [f"• {item}" for item in part.items]
    if isinstance(part, Subheading):
        return ["", part.text]
    if isinstance(part, Evidence):
        return [part.text]
    raise TypeError(f"unknown summary part: {part!r}")


def render_text(content: SummaryContent) -> str:
    """Title, the chat's date and reference, then each section under its title."""
    blocks = [
        "\n".join([content.title, content.clinic_line, " · ".join(content.meta)]),
        content.intro,
    ]
    for section in content.sections:
        title = section.title.upper() if section.urgent else section.title
        lines = [title]
        for part in section.parts + section.aside:
            lines += _part_lines(part)
        blocks.append("\n".join(lines))
    blocks.append("\n".join(content.footer))
    return "\n\n".join(blocks)
