"""A summary the person keeps (issue 19, point 4): one page, as plain text and as a PDF.

At the end of a triage the person gets what they told the assistant, the outcome and why, any
warning signs and where to go, the advice with its evidence, and the booking reference, written
so they can hand it to a GP or physio. The entry point:

    summary = build_summary(triage, handoff)   # a stored Triage row, and the Handoff if any
    summary.text                               # for a chat message
    summary.pdf_bytes()                        # one A4 page (fpdf2, no network)
    summary.filename                           # "knee-summary-2026-12-07.pdf"

`bot.summary.content` builds the sections (pure), `bot.summary.text` and `bot.summary.pdf` render
them. The clinic's phone, hours and addresses come from `bot.settings` unless `clinic` is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

from bot.summary.content import ClinicDetails, SiteDetails, SummaryContent, SummaryData, build_content
from bot.summary.text import render_text

if TYPE_CHECKING:
    from bot.db.models import Handoff, Triage
    from bot.settings import Settings

__all__ = [
    "ClinicDetails",
    "SiteDetails",
    "Summary",
    "SummaryContent",
    "SummaryData",
    "build_summary",
    "clinic_from_settings",
    "summarise",
]


@dataclass(frozen=True)
class Summary:
    """One person's summary. The text and the PDF are drawn from the same `content`."""

    content: SummaryContent

    @cached_property
    def text(self) -> str:
        return render_text(self.content)

    def pdf_bytes(self, created: datetime | None = None) -> bytes:
        """The one-page PDF; `created` (default now) is its creation date, nothing else varies."""
        from bot.summary.pdf import render_pdf  # fpdf2 takes half a second to import: only when drawn

        return render_pdf(self.content, created)

    @property
    def filename(self) -> str:
        # No name, code or finding in it: file names show up in previews and download lists.
        return f"knee-summary-{self.content.day.isoformat()}.pdf"


def clinic_from_settings(settings: Settings | None = None) -> ClinicDetails:
    if settings is None:
        from bot.settings import get_settings

        settings = get_settings()
    return ClinicDetails(
        phone=settings.clinic_phone,
        sites=(
            SiteDetails("Kenmore", settings.kenmore_hours, settings.kenmore_address),
            SiteDetails("Jindalee", settings.jindalee_hours, settings.jindalee_address),
        ),
    )


def summarise(data: SummaryData, clinic: ClinicDetails | None = None) -> Summary:
    """A summary from plain data (for callers that hold no database rows)."""
    return Summary(build_content(data, clinic or clinic_from_settings()))


def build_summary(
    triage: Triage,
    handoff: Handoff | None = None,
    *,
    clinic: ClinicDetails | None = None,
    tz: str | None = None,
) -> Summary:
    """The summary of a stored triage and, if the person asked for one, its handoff. `tz`
    (default: the clinic's time zone setting) decides the day printed on it. A handoff of
    another triage or conversation is refused (ValueError)."""
    if tz is None:
        from bot.settings import get_settings

        tz = get_settings().clinic_timezone
    return summarise(SummaryData.from_rows(triage, handoff, tz=tz), clinic)
