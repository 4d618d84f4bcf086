"""The summary as a one-page A4 PDF, drawn with fpdf2 from `SummaryContent`.

Fonts: fpdf2 2.8 ships no TrueType files, only the 14 standard PDF fonts, whose shapes every PDF
reader already has. We use Helvetica. fpdf2 declares those fonts with WinAnsiEncoding, i.e.
Windows-1252, so the text is encoded as cp1252 (`core_fonts_encoding`): that is exactly the
declared encoding, and unlike plain Latin-1 it has the typographic characters our wording uses
(– — ’ “ ” • …) as well as ° and ·. The few characters outside it are mapped to plain
equivalents (≥ → ">=", → → "->"), letters with accents cp1252 lacks lose them ("Nguyễn" →
"Nguyen"), and anything else (emoji) is dropped. We chose this over embedding a Unicode TTF:
no font file to depend on (the only ones installed belong to matplotlib's data, not ours),
a small file, and text that every reader and extractor maps back to Unicode. The plain-text
summary keeps every character as typed.

The page is one sheet by construction: the layout is tried at decreasing font sizes and the first
that fits on one page is kept. Output is deterministic apart from the creation date (which also
feeds the file identifier): the same content and `created` give the same bytes. No network.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, timezone

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from bot.summary.content import Bullets, Evidence, Paragraph, Part, Rows, Section, Subheading, SummaryContent

FONT = "helvetica"
ENCODING = "cp1252"  # what fpdf2's WinAnsiEncoding core fonts really are
# Largest first, in quarter points; 7 pt is the smallest we still find comfortable on paper.
FONT_SIZES: tuple[float, ...] = tuple(x / 4 for x in range(40, 27, -1))  # 10 pt down to 7 pt

MARGIN_X = 14.0  # mm
MARGIN_TOP = 13.0
MARGIN_BOTTOM = 10.0
LABEL_WIDTH = 46.0  # the widest the label column of a table gets
BULLET_INDENT = 4.0
ASIDE_SPLIT = 0.5  # where the right-hand column starts, as a share of the text width
LEADING = 1.25  # line height / font size

INK = (33, 37, 41)
MUTED = (96, 103, 110)
ACCENT = (0, 94, 104)  # headings: the clinic's teal
URGENT = (176, 20, 30)  # red-flag routes
RULE = (200, 205, 210)

# Characters cp1252 has no place for, mapped to what a reader expects in their place.
_PLAIN: dict[str, str] = {
    "≥": ">=",
    "≤": "<=",
    "≈": "~",
    "→": "->",
    "←": "<-",
    "−": "-",  # minus sign
    "‐": "-",  # hyphen
    "‑": "-",  # non-breaking hyphen
    "‒": "-",  # figure dash
    "―": "—",
    "′": "'",
    "″": '"',
    "×": "x",
    "✓": "v",
    # letters with no decomposition to a cp1252 letter
    "Ł": "L",
    "ł": "l",
    "Đ": "D",
    "đ": "d",
    "Ħ": "H",
    "ħ": "h",
    "ı": "i",
    "\u2009": " ",  # thin space
    "\u202f": " ",  # narrow no-break space
}


def pdf_text(text: str) -> str:
    """Text the cp1252 core fonts can show, as close to `text` as they allow."""
    out = []
    for char in text:
        if char in _PLAIN:
            out.append(_PLAIN[char])
            continue
        if not _encodable(char):
            # "ễ" → "e" + combining marks: keep the letters cp1252 has, drop the marks
            base = "".join(c for c in unicodedata.normalize("NFKD", char) if _encodable(c))
            # a letter of another script shows as "?" (something was there); emoji are dropped
            char = base or ("?" if unicodedata.category(char).startswith("L") else "")
        out.append(char)
    return "".join(out)


def _encodable(char: str) -> bool:
    try:
        char.encode(ENCODING)
    except UnicodeEncodeError:
        return False
    return not unicodedata.combining(char)


class _Page:
    """One attempt at drawing the summary at one base font size."""

    def __init__(self, content: SummaryContent, size: float, created: datetime) -> None:
        self.content = content
        self.size = size
        self.lh = size * 0.3528 * LEADING  # points → mm, times the leading
        pdf = FPDF(orientation="portrait", unit="mm", format="A4")
        pdf.core_fonts_encoding = ENCODING
        pdf.set_margins(MARGIN_X, MARGIN_TOP, MARGIN_X)
        pdf.set_creation_date(created)
        pdf.set_title(pdf_text(content.title))
        pdf.set_author(pdf_text(f"Knee pain chat assistant, {content.clinic_line}"))
        # the day only: document properties show in file lists and previews, so no name or code
        pdf.set_subject(pdf_text(f"Knee pain chat summary. {content.meta[0]}"))
        pdf.set_creator("Physio triage assistant (bot.summary)")
        pdf.set_lang("en-AU")
        self.pdf = pdf

    # --- drawing helpers ----------------------------------------------------------------------

    def font(self, style: str = "", delta: float = 0.0, color: tuple[int, int, int] = INK) -> None:
        self.pdf.set_font(FONT, style, self.size + delta)
        self.pdf.set_text_color(*color)

    def block(self, text: str, w: float = 0, h: float | None = None) -> None:
        self.pdf.multi_cell(w, h or self.lh, pdf_text(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def rule(self, color: tuple[int, int, int] = RULE, width: float = 0.25) -> None:
        pdf = self.pdf
        pdf.set_draw_color(*color)
        pdf.set_line_width(width)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())

    def gap(self, factor: float = 0.5) -> None:
        self.pdf.ln(self.lh * factor)

    # --- parts --------------------------------------------------------------------------------

    def rows(self, rows: tuple[tuple[str, str], ...]) -> None:
        pdf = self.pdf
        self.font("B")
        # the label column is as wide as this table's longest label needs, up to LABEL_WIDTH
        widest = max(pdf.get_string_width(pdf_text(label)) for label, _ in rows)
        label_w = min(LABEL_WIDTH, widest + 2 * pdf.c_margin + 3.0)
        value_w = pdf.w - pdf.l_margin - pdf.r_margin - label_w
        for label, value in rows:
            y = pdf.get_y()
            self.font("B")
            label_lines = pdf.multi_cell(
                label_w - 2.0, self.lh, pdf_text(label), dry_run=True, output="LINES"
            )
            pdf.multi_cell(
                label_w - 2.0, self.lh, pdf_text(label), align="L", new_x=XPos.RIGHT, new_y=YPos.TOP
            )
            pdf.set_xy(pdf.l_margin + label_w, y)
            self.font()
            pdf.multi_cell(value_w, self.lh, pdf_text(value), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            if pdf.page_no() == 1:  # after an overflow the attempt is thrown away anyway
                pdf.set_y(max(pdf.get_y(), y + self.lh * len(label_lines)))

    def bullets(self, items: tuple[str, ...]) -> None:
        pdf = self.pdf
        self.font()
        for item in items:
            pdf.set_x(pdf.l_margin)
            pdf.cell(BULLET_INDENT, self.lh, pdf_text("•"))
            pdf.multi_cell(0, self.lh, pdf_text(item), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def part(self, part: Part, urgent: bool) -> None:
        if isinstance(part, Paragraph):
            self.font(
                "B" if part.strong else "",
                0.5 if part.strong else 0,
                URGENT if urgent and part.strong else INK,
            )
            self.block(part.text)
            self.gap(0.2)
        elif isinstance(part, Rows):
            self.rows(part.rows)
            self.gap(0.2)
        elif isinstance(part, Bullets):
            self.bullets(part.items)
            self.gap(0.2)
        elif isinstance(part, Subheading):
            self.gap(0.15)
            self.font("B", 0, URGENT if urgent else INK)
            self.block(part.text)
        elif isinstance(part, Evidence):
            self.font("I", -1.0, MUTED)
            self.block(part.text)
            self.gap(0.3)
        else:
            raise TypeError(f"unknown summary part: {part!r}")

    # --- sections -----------------------------------------------------------------------------

    def section(self, section: Section) -> None:
        pdf = self.pdf
        self.font("B", 1.5, URGENT if section.urgent else ACCENT)
        top = pdf.get_y()
        self.block(section.title)
        pdf.set_y(pdf.get_y() + 0.5)
        if section.aside:
            # two columns: the parts on the left, the aside on the right, both from the same line
            start = pdf.get_y()
            split = pdf.l_margin + (pdf.w - pdf.l_margin - pdf.r_margin) * ASIDE_SPLIT
            pdf.set_right_margin(pdf.w - split + 4.0)
            self.parts(section.parts, section.urgent)
            left_end = pdf.get_y()
            pdf.set_right_margin(MARGIN_X)
            pdf.set_left_margin(split)
            pdf.set_y(start)
            self.parts(section.aside, section.urgent)
            pdf.set_left_margin(MARGIN_X)
            pdf.set_y(max(left_end, pdf.get_y()))
        else:
            self.parts(section.parts, section.urgent)
        if section.urgent and pdf.page_no() == 1:
            # a bar down the left edge of the route: seen before anything else on the page
            pdf.set_fill_color(*URGENT)
            pdf.rect(MARGIN_X - 4.0, top, 1.4, pdf.get_y() - top - 1.0, style="F")
        self.gap(0.4)

    def parts(self, parts: tuple[Part, ...], urgent: bool) -> None:
        for part in parts:
            self.part(part, urgent)

    # --- the page -----------------------------------------------------------------------------

    def footer_height(self) -> float:
        pdf = self.pdf
        self.font("", -1.5, MUTED)
        width = pdf.w - pdf.l_margin - pdf.r_margin
        lines = sum(
            len(pdf.multi_cell(width, self.lh * 0.9, pdf_text(t), dry_run=True, output="LINES"))
            for t in self.content.footer
        )
        return lines * self.lh * 0.9 + 3.0

    def draw(self) -> bool:
        """Draw everything; True when it all fits on one page."""
        pdf, content = self.pdf, self.content
        pdf.set_auto_page_break(False)
        pdf.add_page()
        footer_h = self.footer_height()
        footer_y = pdf.h - MARGIN_BOTTOM - footer_h
        # Content that reaches the footer starts a second page: the sign that this size is too big.
        pdf.set_auto_page_break(True, margin=MARGIN_BOTTOM + footer_h + 1.0)

        self.font("B", 5.0, ACCENT)
        pdf.cell(
            0, (self.size + 5.0) * 0.3528 * 1.25, pdf_text(content.title), new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        self.font("B", 0, MUTED)
        self.block(content.clinic_line)
        self.font("", 0, INK)
        self.block("   ·   ".join(content.meta))
        self.gap(0.25)
        self.rule(ACCENT, 0.5)
        self.gap(0.4)
        self.font("I", -0.5, MUTED)
        self.block(content.intro)
        self.gap(0.5)

        for section in content.sections:
            self.section(section)
        if pdf.page_no() != 1 or pdf.get_y() > footer_y:
            return False
        pdf.set_auto_page_break(False)
        pdf.set_y(footer_y)
        self.rule()
        pdf.set_y(footer_y + 1.5)
        self.font("", -1.5, MUTED)
        for text in content.footer:
            self.block(text, h=self.lh * 0.9)
        return pdf.page_no() == 1

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def render_pdf(content: SummaryContent, created: datetime | None = None) -> bytes:
    """One A4 page. `created` (default: now, UTC) is the PDF's creation date, the only thing that
    makes two renderings of the same content differ. Raises ValueError if even the smallest font
    size cannot fit it, which the bounds in `bot.summary.content` keep from happening."""
    created = created or datetime.now(timezone.utc)
    if created.tzinfo is None:
        created = created.replace(tzinfo=timezone.utc)
    for size in FONT_SIZES:
        page = _Page(content, size, created)
        if page.draw():
            return page.output()
    raise ValueError("the summary does not fit on one page")


def fitted_font_size(content: SummaryContent) -> float | None:
    """The base font size the page is drawn at (for tests and the layout check), None if none fits."""
    created = datetime(2000, 1, 1, tzinfo=timezone.utc)
    return next((size for size in FONT_SIZES if _Page(content, size, created).draw()), None)
