"""Repository functions the actions and the reception screen use. They add and flush; the caller's
`session_scope()` commits. Invalid input raises `ValueError` before anything reaches the database
(the CHECK constraints are the second line of defence).

The triage engine is duck-typed here: `result` is anything with the attributes of
`bot.triage.engine.TriageResult` (or a mapping with those keys), so this module never imports it.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import re
import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager, selectinload

from bot.db.models import (
    CONTACT_KINDS,
    HANDOFF_REASONS,
    HANDOFF_STATUSES,
    ITBS_LIKELIHOODS,
    OUTCOMES,
    SITES,
    Handoff,
    HandoffStatusChange,
    Triage,
    utcnow,
)
from bot.triage.parsing import parse_contact

logger = logging.getLogger(__name__)

# Reference codes: "KNE-" + 5 characters without look-alikes (no 0/O, 1/I/L, and no U), easy to
# read out over the phone. 30**5 ≈ 24 million codes; collisions are retried.
REFERENCE_PREFIX = "KNE-"
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_LENGTH = 5
REFERENCE_RE = re.compile(rf"^{REFERENCE_PREFIX}[{REFERENCE_ALPHABET}]{{{REFERENCE_LENGTH}}}$")
_MAX_CODE_ATTEMPTS = 10


def generate_reference_code() -> str:
    return REFERENCE_PREFIX + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def normalise_reference_code(text: str) -> str:
    """What a person types ("kne 7k3q9", "7K3Q9") → the stored form ("KNE-7K3Q9")."""
    compact = re.sub(r"[\s\-]", "", text).upper()
    prefix = REFERENCE_PREFIX.rstrip("-")
    if len(compact) == len(prefix) + REFERENCE_LENGTH and compact.startswith(prefix):
        compact = compact[len(prefix) :]
    return REFERENCE_PREFIX + compact


# --- triages -----------------------------------------------------------------------------------


def save_triage(
    session: Session,
    *,
    conversation_id: str,
    channel: str,
    answers: Mapping[str, Any] | Any,
    result: Any,
) -> Triage:
    """Store a finished triage. `answers` is a dict (or a dataclass such as `TriageAnswers`);
    sets become sorted lists so the row is plain JSON. `result` has `outcome`, `itbs_likelihood`,
    `points`, `red_flags`, `reasons`, `pointers` (attributes or keys)."""
    if dataclasses.is_dataclass(answers) and not isinstance(answers, type):
        answers = dataclasses.asdict(answers)
    if not isinstance(answers, Mapping):
        raise ValueError("answers must be a mapping")
    outcome = _field(result, "outcome")
    likelihood = _field(result, "itbs_likelihood")
    points = _field(result, "points")
    _require_choice("outcome", outcome, OUTCOMES)
    if likelihood is not None:
        _require_choice("itbs_likelihood", likelihood, ITBS_LIKELIHOODS)
    if points is not None and (isinstance(points, bool) or not isinstance(points, int) or points < 0):
        raise ValueError(f"points must be a whole number ≥ 0, got {points!r}")

    triage = Triage(
        conversation_id=_require_text("conversation_id", conversation_id, 255),
        channel=_channel(channel),
        answers=_to_json(dict(answers), "answers"),
        outcome=outcome,
        itbs_likelihood=likelihood,
        points=points,
        red_flags=_str_list("red_flags", _field(result, "red_flags")),
        reasons=_str_list("reasons", _field(result, "reasons")),
        pointers=_str_list("pointers", _field(result, "pointers")),
    )
    session.add(triage)
    session.flush()
    return triage


_ROUTE_RANK = {"emergency": 0, "urgent_medical": 1, "medical_review": 2}


def upgrade_triage(
    session: Session,
    *,
    triage_id: int,
    conversation_id: str,
    result: Any,
    answers: Mapping[str, Any] | None = None,
) -> Triage | None:
    """A red flag named after the result was stored: the row takes the new flags and, when the
    route is more urgent, the new outcome and reasons. Never downgrades. New answers (the
    questions carried on) are merged in. None when the row is gone (deleted data) or belongs to
    another conversation."""
    triage = session.get(Triage, triage_id)
    if triage is None or triage.conversation_id != conversation_id:
        return None
    if answers:
        triage.answers = _to_json({**(triage.answers or {}), **dict(answers)}, "answers")
        triage.itbs_likelihood = _field(result, "itbs_likelihood") or triage.itbs_likelihood
        triage.points = _field(result, "points") if _field(result, "points") is not None else triage.points
        triage.pointers = _str_list("pointers", _field(result, "pointers"))
    outcome = _field(result, "outcome")
    _require_choice("outcome", outcome, OUTCOMES)
    flags = _str_list("red_flags", _field(result, "red_flags"))
    merged = sorted(set(triage.red_flags or []) | set(flags))
    more_urgent = _ROUTE_RANK.get(outcome, 9) < _ROUTE_RANK.get(triage.outcome, 9)
    previous = triage.outcome
    if more_urgent:
        logger.warning(
            "triage %s upgraded from %s to %s by a later red flag", triage.id, triage.outcome, outcome
        )
        triage.outcome = outcome
    if more_urgent or answers or merged != sorted(triage.red_flags or []):
        triage.red_flags = merged
        triage.reasons = _str_list("reasons", _field(result, "reasons"))
    if more_urgent:
        _tell_reception_of_upgrade(session, triage, previous, outcome)
    session.flush()
    return triage


# Who the follow-up history names when the assistant itself changed a handoff.
ASSISTANT = "assistant"
UPGRADE_NOTE = "More urgent now: a red flag named later in the chat changed the route from {old} to {new}."


def _tell_reception_of_upgrade(session: Session, triage: Triage, old: str, new: str) -> None:
    """Every handoff of this conversation gets a history line, and its staff notification is
    released so staff hear of the new route too (the queue already orders by the triage's outcome)."""
    handoffs = session.scalars(
        select(Handoff).where(
            or_(Handoff.triage_id == triage.id, Handoff.conversation_id == triage.conversation_id)
        )
    ).all()
    for handoff in handoffs:
        session.add(
            HandoffStatusChange(
                handoff_id=handoff.id,
                changed_by=ASSISTANT,
                from_status=handoff.status,
                to_status=handoff.status,
                note=UPGRADE_NOTE.format(old=old.replace("_", " "), new=new.replace("_", " ")),
            )
        )
        handoff.staff_notified_at = None
        # a send under way then marks nothing, and the new text goes out at the next poll
        handoff.staff_notify_claim = handoff.staff_notify_claimed_until = None


def upgraded_by_assistant(handoff: Handoff) -> bool:
    """True when the assistant has raised this handoff's route since it was created."""
    return any(
        change.changed_by == ASSISTANT and change.note.startswith("More urgent now")
        for change in handoff.history
    )


def latest_triage(session: Session, conversation_id: str) -> Triage | None:
    return session.scalars(
        select(Triage)
        .where(Triage.conversation_id == conversation_id)
        .order_by(Triage.created_at.desc(), Triage.id.desc())
        .limit(1)
    ).first()


# --- handoffs ----------------------------------------------------------------------------------


def create_handoff(
    session: Session,
    *,
    conversation_id: str,
    channel: str,
    reason: str,
    name: str,
    contact_kind: str,
    contact_value: str,
    site: str | None,
    preferred_times: str | None,
    consent: bool,
    triage_id: int | None = None,
    summary: str = "",
) -> Handoff:
    """Store a follow-up request with status `new` and a fresh unique reference code.

    Refused (ValueError) without explicit consent (`consent is True`), with an unknown reason,
    contact kind or site, or an implausible phone/email. A `triage_id` that doesn't exist or
    belongs to another conversation is dropped (logged), not an error.
    """
    if consent is not True:
        raise ValueError("consent is required to store contact details")
    conversation_id = _require_text("conversation_id", conversation_id, 255)
    _require_choice("reason", reason, HANDOFF_REASONS)
    _require_choice("contact_kind", contact_kind, CONTACT_KINDS)
    contact_value = _require_text("contact_value", contact_value, 320)
    # The same check the conversation uses (phonenumbers / email-validator), so nothing reaches
    # reception that the booking form would have refused.
    parsed = parse_contact(contact_value)
    if parsed is None or parsed.kind != contact_kind:
        raise ValueError(f"contact_value is not a valid {contact_kind}")
    site = (site or "").strip().lower() or None
    if site is not None:
        _require_choice("site", site, SITES)
    if triage_id is not None:
        triage = session.get(Triage, triage_id)
        if triage is None or triage.conversation_id != conversation_id:
            # A stale id (deleted data, a restarted conversation) must neither link someone
            # else's triage nor cost the person their booking: keep the request, drop the link.
            logger.warning("handoff: triage %s is not this conversation's; not linked", triage_id)
            triage_id = None

    fields = {
        "conversation_id": conversation_id,
        "channel": _channel(channel),
        "reason": reason,
        "name": _require_text("name", name, 200),
        "contact_kind": contact_kind,
        "contact_value": contact_value,
        "site": site,
        "preferred_times": (preferred_times or "").strip() or None,
        "consent": True,
        "status": "new",
        "triage_id": triage_id,
        "summary": summary or "",
    }
    for _ in range(_MAX_CODE_ATTEMPTS):
        handoff = Handoff(reference_code=generate_reference_code(), **fields)
        try:
            with session.begin_nested():  # SAVEPOINT: a collision must not undo the caller's work
                session.add(handoff)
        except IntegrityError:
            taken = session.scalar(select(Handoff.id).where(Handoff.reference_code == handoff.reference_code))
            if taken is None:  # some other constraint failed: not ours to retry
                raise
            continue
        return handoff
    raise RuntimeError(f"no free reference code after {_MAX_CODE_ATTEMPTS} attempts")


def get_handoff(session: Session, reference_code: str) -> Handoff | None:
    return session.scalars(
        select(Handoff).where(Handoff.reference_code == normalise_reference_code(reference_code))
    ).first()


def list_handoffs(session: Session, status: str | None = None) -> list[Handoff]:
    """Handoffs oldest first (the one waiting longest on top), optionally of one status."""
    query = select(Handoff).order_by(Handoff.created_at, Handoff.id)
    if status is not None:
        _require_choice("status", status, HANDOFF_STATUSES)
        query = query.where(Handoff.status == status)
    return list(session.scalars(query))


def set_handoff_status(
    session: Session, reference_code: str, status: str, *, changed_by: str = "system", note: str = ""
) -> Handoff:
    """Move a handoff to `status` and keep the step in its history (who, when, from, to, note);
    a note without a change of status is kept too. LookupError if the reference code is unknown."""
    _require_choice("status", status, HANDOFF_STATUSES)
    changed_by = _require_text("changed_by", changed_by, 64)
    note = (note or "").strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise ValueError(f"note is longer than {MAX_NOTE_LENGTH} characters")
    handoff = get_handoff(session, reference_code)
    if handoff is None:
        raise LookupError(f"no handoff with reference code {reference_code!r}")
    session.add(
        HandoffStatusChange(
            handoff=handoff, changed_by=changed_by, from_status=handoff.status, to_status=status, note=note
        )
    )
    handoff.status = status
    handoff.updated_at = utcnow()  # a note alone is a change too
    session.flush()
    return handoff


def handoff_history(session: Session, handoff: Handoff) -> list[HandoffStatusChange]:
    """Follow-up steps of a handoff, newest first."""
    return list(
        session.scalars(
            select(HandoffStatusChange)
            .where(HandoffStatusChange.handoff_id == handoff.id)
            .order_by(HandoffStatusChange.changed_at.desc(), HandoffStatusChange.id.desc())
        )
    )


# --- bookings the assistant made in Cliniko (issue 18) -----------------------------------------

ASSISTANT = "assistant"  # `changed_by` of the history lines the assistant writes itself


def record_cliniko_booking(
    session: Session,
    reference_code: str,
    *,
    appointment_id: str,
    practitioner: str,
    starts_at: datetime,
    note: str = "booked by the assistant",
) -> Handoff:
    """The assistant booked this handoff's time in Cliniko: the row keeps the appointment id,
    the practitioner's first name and the start time, and becomes `booked` with a history line
    (also when it moved a booking: the new time replaces the old one)."""
    appointment_id = _require_text("appointment_id", appointment_id, 32)
    if starts_at.tzinfo is None:
        raise ValueError("starts_at must be timezone-aware")
    handoff = get_handoff(session, reference_code)
    if handoff is None:
        raise LookupError(f"no handoff with reference code {reference_code!r}")
    handoff.cliniko_appointment_id = appointment_id
    handoff.cliniko_practitioner = (practitioner or "").strip()[:100] or None
    handoff.cliniko_starts_at = starts_at
    handoff.cliniko_cancelled_at = None
    return set_handoff_status(session, reference_code, "booked", changed_by=ASSISTANT, note=note)


def record_cliniko_cancellation(
    session: Session, reference_code: str, *, note: str = "cancelled by the person in the chat"
) -> Handoff:
    """The person cancelled the assistant's booking from the chat: the row keeps when, and becomes
    `declined` (nothing for reception to chase) with a history line."""
    handoff = get_handoff(session, reference_code)
    if handoff is None:
        raise LookupError(f"no handoff with reference code {reference_code!r}")
    handoff.cliniko_cancelled_at = utcnow()
    return set_handoff_status(session, reference_code, "declined", changed_by=ASSISTANT, note=note)


# --- the reception queue -----------------------------------------------------------------------

MAX_NOTE_LENGTH = 4000
MAX_QUEUE_ROWS = 1000

# Most urgent first: red-flag routes, then a person who asked about a red flag, then the rest.
_URGENCY = {"emergency": 0, "urgent_medical": 1, "medical_review": 2}
_NOT_URGENT = 4


@dataclasses.dataclass(frozen=True)
class QueueFilter:
    """What the receptionist chose; None or "" means "any". Values outside the allowed choices
    are refused with ValueError (the screen offers only valid ones)."""

    status: str | None = None
    site: str | None = None
    outcome: str | None = None  # a triage outcome, or "none" for handoffs without a triage
    search: str | None = None  # name, phone or reference code

    def __post_init__(self) -> None:
        if self.status:
            _require_choice("status", self.status, HANDOFF_STATUSES)
        if self.site:
            _require_choice("site", self.site, SITES)
        if self.outcome:
            _require_choice("outcome", self.outcome, (*OUTCOMES, "none"))


def urgency_rank(handoff: Handoff, triage: Triage | None) -> int:
    if triage is not None and triage.outcome in _URGENCY:
        return _URGENCY[triage.outcome]
    if handoff.reason == "red_flag_follow_up":
        return len(_URGENCY)
    return _NOT_URGENT


def queue(session: Session, filters: QueueFilter | None = None, limit: int | None = None) -> list[Handoff]:
    """Handoffs for the reception queue, most urgent first and newest first within the same
    urgency, with their triage loaded (`handoff.triage`). Every value the user typed reaches the
    database as a bound parameter; LIKE wildcards in the search are escaped."""
    filters = filters or QueueFilter()
    urgency = case(
        *((Triage.outcome == outcome, rank) for outcome, rank in _URGENCY.items()),
        (Handoff.reason == "red_flag_follow_up", len(_URGENCY)),
        else_=_NOT_URGENT,
    )
    query = (
        select(Handoff)
        .outerjoin(Triage, Handoff.triage_id == Triage.id)
        .options(contains_eager(Handoff.triage))
        .order_by(urgency, Handoff.created_at.desc(), Handoff.id.desc())
        .limit(limit or MAX_QUEUE_ROWS)
    )
    if filters.status:
        query = query.where(Handoff.status == filters.status)
    if filters.site:
        query = query.where(Handoff.site == filters.site)
    if filters.outcome == "none":
        query = query.where(Handoff.triage_id.is_(None))
    elif filters.outcome:
        query = query.where(Triage.outcome == filters.outcome)
    search = (filters.search or "").strip()[:200]
    if search:
        query = query.where(or_(*_search_conditions(search)))
    return list(session.scalars(query).unique())


def _search_conditions(search: str) -> list[Any]:
    conditions: list[Any] = [
        func.lower(Handoff.name).contains(search.lower(), autoescape=True),
        func.lower(Handoff.contact_value).contains(search.lower(), autoescape=True),
    ]
    code = normalise_reference_code(search)
    if REFERENCE_RE.match(code):
        conditions.append(Handoff.reference_code == code)
    elif re.fullmatch(r"[A-Za-z0-9\-\s]{3,}", search) and (
        re.search(r"\d", search) or search.upper().startswith(REFERENCE_PREFIX[:3])
    ):  # part of a code (codes hold digits; a name alone must not match one by chance)
        conditions.append(Handoff.reference_code.contains(search.upper().replace(" ", ""), autoescape=True))
    digits = re.sub(r"\D", "", search)
    if len(digits) >= 3 and not re.search(r"[A-Za-z]", search):
        # Phones are stored as +61…: "0412 345 678" and "412345" both find +61412345678.
        conditions.append(Handoff.contact_value.contains(digits.lstrip("0") or digits, autoescape=True))
    return conditions


def handoffs_since(session: Session, after_id: int) -> list[Handoff]:
    """Handoffs created after the one with id `after_id` (ids only grow), oldest first."""
    return list(session.scalars(select(Handoff).where(Handoff.id > after_id).order_by(Handoff.id)))


def latest_handoff_id(session: Session) -> int:
    return session.scalar(select(func.max(Handoff.id))) or 0


# --- staff notification bookkeeping ----------------------------------------------------------------


def handoffs_to_notify(session: Session, created_after: datetime) -> list[Handoff]:
    """Handoffs nobody has claimed the staff notification for yet, created after the given time
    (so turning notifications on does not send the whole backlog), oldest first."""
    return list(
        session.scalars(
            select(Handoff)
            .where(Handoff.staff_notified_at.is_(None), Handoff.created_at > created_after)
            .options(selectinload(Handoff.triage))
            .order_by(Handoff.id)
        )
    )


def claim_staff_notification(session: Session, handoff_id: int) -> bool:
    """Mark the handoff as notified; True only for the one caller that changed the row. With two
    web processes polling the same table, each handoff is claimed, and so sent, exactly once."""
    claimed = session.execute(
        update(Handoff)
        .where(Handoff.id == handoff_id, Handoff.staff_notified_at.is_(None))
        .values(staff_notified_at=utcnow()),
        execution_options={"synchronize_session": False},
    ).rowcount
    return claimed == 1


def release_staff_notification(session: Session, handoff_id: int) -> None:
    """Give a claim back after sending failed, so a later poll tries again."""
    session.execute(
        update(Handoff).where(Handoff.id == handoff_id).values(staff_notified_at=None),
        execution_options={"synchronize_session": False},
    )


# --- the person's right to have their data deleted ----------------------------------------------


def delete_conversation_data(session: Session, conversation_id: str) -> int:
    """Delete every triage and handoff of this conversation (plus handoffs linked to its triages).
    Returns the number of rows removed. The Rasa tracker store (the transcript) is separate."""
    triage_ids = select(Triage.id).where(Triage.conversation_id == conversation_id)
    removed_handoffs = session.execute(
        delete(Handoff).where(
            or_(Handoff.conversation_id == conversation_id, Handoff.triage_id.in_(triage_ids))
        ),
        execution_options={"synchronize_session": "fetch"},
    ).rowcount
    removed_triages = session.execute(
        delete(Triage).where(Triage.conversation_id == conversation_id),
        execution_options={"synchronize_session": "fetch"},
    ).rowcount
    return removed_handoffs + removed_triages


# --- helpers -----------------------------------------------------------------------------------


def _field(result: Any, name: str) -> Any:
    if isinstance(result, Mapping):
        if name not in result:
            raise ValueError(f"result has no {name!r}")
        return result[name]
    try:
        return getattr(result, name)
    except AttributeError:
        raise ValueError(f"result has no {name!r}") from None


def _require_choice(field: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{field} must be one of {', '.join(allowed)}; got {value!r}")


def _require_text(field: str, value: Any, max_length: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{field} must be a non-empty string")
    value = value.strip()
    if len(value) > max_length:
        raise ValueError(f"{field} is longer than {max_length} characters")
    return value


def _channel(channel: Any) -> str:
    """Free-form channel name (rest, socketio, telegram, shell, ...): never a reason to lose a row."""
    text = channel.strip().lower() if isinstance(channel, str) else ""
    return (text or "unknown")[:32]


def _str_list(field: str, value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{field} must be a list of strings")
    return list(value)


def _to_json(value: Any, where: str) -> Any:
    """Plain JSON values; sets → sorted lists, tuples → lists. Anything else is refused here
    rather than failing later inside the database driver."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{where}: {value!r} is not a finite number")  # PostgreSQL JSON refuses it
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{where}: keys must be strings, got {key!r}")
            out[key] = _to_json(item, f"{where}.{key}")
        return out
    if isinstance(value, (set, frozenset)):
        items = [_to_json(item, where) for item in value]
        try:
            return sorted(items)
        except TypeError:  # mixed types: any fixed order will do
            return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    if isinstance(value, (list, tuple)):
        return [_to_json(item, where) for item in value]
    raise ValueError(f"{where}: {type(value).__name__} is not JSON-serialisable")
