"""The reception screen's pages: login/logout, the queue (filters, search, CSV export, live
updates) and one handoff (answers, reasons, transcript, follow-up and its history).

Everything behind `/reception` except the login page passes `auth.ReceptionGuard` first; the
routes here only read the receptionist it found (`auth.current_staff`). Every form's CSRF token
is checked before anything is read or changed.
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.templating import Jinja2Templates

from bot.db import repository
from bot.db.models import HANDOFF_STATUSES, OUTCOMES, SITES, Handoff
from bot.db.session import session_scope
from bot.web.reception import auth, labels
from bot.web.reception.events import HEARTBEAT_S, broker
from bot.web.reception.transcript import fetch_transcript

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))  # autoescape on for .html
templates.env.globals.update(
    STATUS_LABELS=labels.STATUS_LABELS,
    SITE_LABELS=labels.SITE_LABELS,
    SHORT_OUTCOME_LABELS=labels.SHORT_OUTCOME_LABELS,
    REASON_LABELS=labels.REASON_LABELS,
    CHANNEL_LABELS=labels.CHANNEL_LABELS,
    outcome_label=labels.outcome_label,
    likelihood_label=labels.likelihood_label,
    red_flag_label=labels.red_flag_label,
    pointer_label=labels.pointer_label,
    age_text=labels.age_text,
    brisbane_time=labels.brisbane_time,
)

URGENT_OUTCOMES = ("emergency", "urgent_medical", "medical_review")
MAX_FORM_BYTES = 64 * 1024


# --- login and logout -------------------------------------------------------------------------------


def _login_page(
    request: Request, *, error: str | None = None, status_code: int = 200, username: str = ""
) -> Response:
    token = secrets.token_urlsafe(32)
    response = templates.TemplateResponse(
        request,
        "login.html",
        {
            "csrf_token": token,
            "error": error,
            "username": username,
            "next": auth.safe_next(request.query_params.get("next")),
        },
        status_code=status_code,
    )
    auth.set_cookie(response, auth.LOGIN_CSRF_COOKIE, token, "login-csrf")
    return response


async def login_page(request: Request) -> Response:
    if await auth.session_of(request) is not None:
        return RedirectResponse(auth.PREFIX, status_code=303)
    return _login_page(request)


async def login(request: Request) -> Response:
    form = await request.form(max_fields=10, max_part_size=MAX_FORM_BYTES)
    expected = auth.read_signed(request.cookies.get(auth.LOGIN_CSRF_COOKIE), "login-csrf")
    if not auth.same_token(expected, str(form.get("csrf_token") or "")):
        return _login_page(request, error="The login form had expired. Please try again.", status_code=403)
    username = str(form.get("username") or "").strip()[:64]
    password = str(form.get("password") or "")[:1024]
    if not username or not password:
        return _login_page(
            request, error="Please enter your username and password.", status_code=400, username=username
        )
    result = await asyncio.to_thread(auth.check_login, username, password, auth.client_address(request))
    if result.limited:
        return _login_page(
            request,
            error="Too many failed attempts. Please wait 15 minutes and try again, or ask the practice manager.",
            status_code=429,
            username=username,
        )
    started = await asyncio.to_thread(auth.start_session, username) if result.ok else None
    if started is None:
        logger.info("reception: failed login")  # never the username typed (it may be a password)
        return _login_page(request, error="Wrong username or password.", status_code=401, username=username)
    token, current = started
    logger.info("reception: %s logged in", current.username)
    response = RedirectResponse(auth.safe_next(str(form.get("next") or "")), status_code=303)
    auth.set_cookie(response, auth.SESSION_COOKIE, token, "session")
    auth.clear_cookie(response, auth.LOGIN_CSRF_COOKIE)
    return response


async def logout(request: Request) -> Response:
    current = await auth.session_of(request)
    if current is not None:
        form = await request.form(max_fields=10, max_part_size=MAX_FORM_BYTES)
        if not auth.same_token(current.csrf_token, str(form.get("csrf_token") or "")):
            return PlainTextResponse(
                "This form had expired. Please go back, reload and try again.", status_code=403
            )
        await asyncio.to_thread(auth.end_session, current.token_hash)
        logger.info("reception: %s logged out", current.username)
    response = RedirectResponse(f"{auth.PREFIX}/login", status_code=303)
    auth.clear_cookie(response, auth.SESSION_COOKIE)
    return response


# --- the queue ---------------------------------------------------------------------------------------


def _choice(value: str | None, allowed: tuple[str, ...]) -> str | None:
    """A filter value from the query string; anything not offered is treated as "any"."""
    return value if value in allowed else None


def queue_filter(request: Request) -> repository.QueueFilter:
    params = request.query_params
    return repository.QueueFilter(
        status=_choice(params.get("status"), HANDOFF_STATUSES),
        site=_choice(params.get("site"), SITES),
        outcome=_choice(params.get("outcome"), (*OUTCOMES, "none")),
        search=(params.get("q") or "").strip()[:200] or None,
    )


@dataclass(frozen=True)
class Row:
    """One handoff as the queue shows it (read inside the database session)."""

    reference_code: str
    name: str
    contact: str
    site: str | None
    preferred_times: str
    outcome: str | None
    likelihood: str | None
    red_flags: tuple[str, ...]
    reason: str
    channel: str
    status: str
    created_at: datetime
    cliniko: str = ""  # "Booked in Cliniko: Tue 9 Dec 10:30, Kenmore" when the assistant booked it
    cliniko_practitioner: str = ""

    @property
    def urgent(self) -> bool:
        return self.outcome in URGENT_OUTCOMES or bool(self.red_flags)


def _row(handoff: Handoff) -> Row:
    triage = handoff.triage
    return Row(
        reference_code=handoff.reference_code,
        name=handoff.name,
        contact=handoff.contact_value,
        site=handoff.site,
        preferred_times=handoff.preferred_times or "",
        outcome=triage.outcome if triage else None,
        likelihood=triage.itbs_likelihood if triage else None,
        red_flags=tuple(triage.red_flags) if triage else (),
        reason=handoff.reason,
        channel=handoff.channel,
        status=handoff.status,
        created_at=handoff.created_at,
        cliniko=labels.cliniko_booking(handoff.cliniko_starts_at, handoff.site, handoff.cliniko_cancelled_at),
        cliniko_practitioner=handoff.cliniko_practitioner or "",
    )


def _rows(filters: repository.QueueFilter) -> list[Row]:
    with session_scope() as session:
        return [_row(h) for h in repository.queue(session, filters)]


async def queue_page(request: Request) -> Response:
    filters = queue_filter(request)
    rows = await asyncio.to_thread(_rows, filters)
    context: dict[str, Any] = {
        "staff": auth.current_staff(request),
        "rows": rows,
        "truncated": len(rows) >= repository.MAX_QUEUE_ROWS,
        "filters": filters,
        "now": datetime.now(timezone.utc),
        "statuses": HANDOFF_STATUSES,
        "sites": SITES,
        "outcomes": OUTCOMES,
        "query": request.url.query,
    }
    # The page's script asks for just the rows when a new handoff arrives.
    name = "_rows.html" if request.query_params.get("rows") == "1" else "queue.html"
    return templates.TemplateResponse(request, name, context)


def neutralise(cell: Any) -> str:
    """A CSV cell a spreadsheet will not run as a formula (OWASP "CSV injection")."""
    text = "" if cell is None else str(cell)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


CSV_COLUMNS = (
    "Reference code",
    "Received (Brisbane)",
    "Status",
    "Name",
    "Contact",
    "Site",
    "Preferred times",
    "Request",
    "Triage outcome",
    "ITBS likelihood",
    "Red flags",
    "Channel",
    "Cliniko booking",
    "Practitioner",
)


async def export_csv(request: Request) -> Response:
    rows = await asyncio.to_thread(_rows, queue_filter(request))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            neutralise(cell)
            for cell in (
                row.reference_code,
                labels.brisbane_time(row.created_at),
                labels.STATUS_LABELS.get(row.status, row.status),
                row.name,
                row.contact,
                labels.SITE_LABELS.get(row.site or "", "No preference"),
                row.preferred_times,
                labels.REASON_LABELS.get(row.reason, row.reason),
                labels.outcome_label(row.outcome),
                labels.likelihood_label(row.likelihood),
                "; ".join(labels.red_flag_label(f) for f in row.red_flags),
                labels.CHANNEL_LABELS.get(row.channel, row.channel),
                row.cliniko,
                row.cliniko_practitioner,
            )
        )
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M")
    logger.info("reception: %s exported %d handoffs", auth.current_staff(request).username, len(rows))
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="handoffs-{stamp}.csv"'},
    )


# --- live updates -----------------------------------------------------------------------------------


async def events(request: Request) -> Response:
    current = auth.current_staff(request)

    async def stream():
        async with broker.subscribe() as queue:
            yield "retry: 3000\n\n"
            while True:
                try:
                    yield await asyncio.wait_for(queue.get(), timeout=HEARTBEAT_S)
                except asyncio.TimeoutError:
                    # The session may have ended (logout, expiry): then the stream ends too.
                    if await asyncio.to_thread(auth.load_session, current.token_hash) is None:
                        return
                    yield ": still here\n\n"

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"X-Accel-Buffering": "no"},
    )


# --- one handoff ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HandoffView:
    row: Row
    conversation_id: str
    summary: str
    answers: list[tuple[str, str]]
    reasons: list[str]
    pointers: list[str]
    points: int | None
    history: list[dict[str, Any]]


def _handoff_view(reference_code: str) -> HandoffView | None:
    with session_scope() as session:
        handoff = repository.get_handoff(session, reference_code)
        if handoff is None:
            return None
        triage = handoff.triage
        return HandoffView(
            row=_row(handoff),
            conversation_id=handoff.conversation_id,
            summary=handoff.summary,
            answers=labels.answers_in_plain_words(triage.answers) if triage else [],
            reasons=list(triage.reasons) if triage else [],
            pointers=list(triage.pointers) if triage else [],
            points=triage.points if triage else None,
            history=[
                {
                    "who": change.changed_by,
                    "when": change.changed_at,
                    "from": change.from_status,
                    "to": change.to_status,
                    "note": change.note,
                }
                for change in repository.handoff_history(session, handoff)
            ],
        )


async def _render_handoff(
    request: Request, view: HandoffView, *, error: str | None = None, note: str = "", status_code: int = 200
) -> Response:
    transcript = await fetch_transcript(view.conversation_id)
    return templates.TemplateResponse(
        request,
        "handoff.html",
        {
            "staff": auth.current_staff(request),
            "h": view,
            "transcript": transcript,
            "statuses": HANDOFF_STATUSES,
            "error": error,
            "note": note,
            "saved": request.query_params.get("saved") == "1" and error is None,
            "now": datetime.now(timezone.utc),
        },
        status_code=status_code,
    )


def _not_found(request: Request) -> Response:
    return templates.TemplateResponse(
        request, "not_found.html", {"staff": auth.current_staff(request)}, status_code=404
    )


async def handoff_page(request: Request) -> Response:
    view = await asyncio.to_thread(_handoff_view, request.path_params["reference_code"])
    if view is None:
        return _not_found(request)
    return await _render_handoff(request, view)


def _save(reference_code: str, status: str, note: str, username: str) -> bool:
    with session_scope() as session:
        try:
            repository.set_handoff_status(session, reference_code, status, changed_by=username, note=note)
        except LookupError:
            return False
        return True


async def save_follow_up(request: Request) -> Response:
    current = auth.current_staff(request)
    form = await request.form(max_fields=10, max_part_size=MAX_FORM_BYTES)
    if not auth.same_token(current.csrf_token, str(form.get("csrf_token") or "")):
        return PlainTextResponse(
            "This form had expired. Please go back, reload the page and try again.", status_code=403
        )
    code = request.path_params["reference_code"]
    view = await asyncio.to_thread(_handoff_view, code)
    if view is None:
        return _not_found(request)
    status = str(form.get("status") or "")
    note = str(form.get("note") or "").strip()
    if status not in HANDOFF_STATUSES:
        return await _render_handoff(
            request, view, error="Please choose a status.", note=note, status_code=400
        )
    if len(note) > repository.MAX_NOTE_LENGTH:
        return await _render_handoff(
            request,
            view,
            error=f"The note is too long: please keep it under {repository.MAX_NOTE_LENGTH} characters.",
            note=note,
            status_code=400,
        )
    if not await asyncio.to_thread(_save, code, status, note, current.username):
        return _not_found(request)
    logger.info("reception: %s set %s to %s", current.username, view.row.reference_code, status)
    return RedirectResponse(
        f"{auth.PREFIX}/handoffs/{view.row.reference_code}?saved=1#follow-up", status_code=303
    )
