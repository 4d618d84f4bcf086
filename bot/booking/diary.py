"""The booking service: real free times from the clinic's Cliniko diary, and booking them.

`Diary` sits between the Rasa actions and `ClinikoClient`:

- which diary: a site ("kenmore" / "jindalee") is the Cliniko business whose id is in settings,
  else whose name contains the site's name; the appointment type is looked up by its name
  (`CLINIKO_TYPE_RUNNING` when ITBS is likely, `CLINIKO_TYPE_GENERAL` otherwise); the
  practitioners are those at that business who offer that type.
- `free_times`: the soonest free starts over the next 14 days (two 7-day `available_times`
  windows, Cliniko's limit), merged across practitioners, filtered by the person's preferences.
- `book`: find the patient (email, or name + phone), else create one with only what was given;
  re-check the time is still free right before booking (Cliniko does not stop double bookings),
  book, then ask Cliniko for conflicts and undo a clash (`SlotTaken`).
- `cancel`, `move`: with a reason; a move re-checks and checks conflicts the same way.

Times are UTC inside and shown in the clinic's zone (Australia/Brisbane: no daylight saving).
Businesses, appointment types and practitioner lists are cached for a few minutes (they change
rarely and every turn would otherwise repeat them); free times never are, since a stale free
time is how double bookings happen.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from bot.booking.cliniko import (
    Appointment,
    AppointmentType,
    Business,
    CancellationReason,
    ClinikoClient,
    ClinikoError,
    ClinikoNotFound,
    ClinikoUnavailable,
    NewPatient,
    Patient,
    Practitioner,
    window_days,
)
from bot.booking.times import ANY_TIME, TimePreference, parse_preferences
from bot.settings import Settings, get_settings

logger = logging.getLogger(__name__)

SITES = ("kenmore", "jindalee")
KINDS = ("running", "general")
BOOKED_NOTE = "Booked by the clinic's chat assistant."
CLASH_NOTE = "Cancelled automatically by the chat assistant: another booking took this time first."
CANCEL_NOTE = "Cancelled by the patient through the clinic's chat assistant."
_TITLES = frozenset({"dr", "mr", "mrs", "ms", "miss", "mx", "prof", "sir"})
T = TypeVar("T")


def kind_for_outcome(outcome: str | None) -> str:
    """The appointment type for a triage outcome: a running assessment when ITBS is likely."""
    return "running" if outcome == "book_running_assessment" else "general"


def booking_offered(outcome: str | None) -> bool:
    """Emergency and same-day (urgent medical) outcomes are never offered a booking."""
    return outcome not in ("emergency", "urgent_medical")


# --- errors that are answers, not outages ------------------------------------------------------


class BookingError(Exception):
    """A booking step that could not be done for a reason the person should hear."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class DiaryConfigError(BookingError):
    """Cliniko has no business, appointment type or practitioner matching the settings."""


class SlotTaken(BookingError):
    """Someone else has the time now; nothing was booked (or our clashing booking was undone)."""

    def __init__(self, reason: str, slot: Slot) -> None:
        super().__init__(reason)
        self.slot = slot


class NeedLastName(BookingError):
    """A new patient needs a last name in Cliniko, and the person gave only one name."""


class BookingUnconfirmed(BookingError):
    """Cliniko stopped answering part-way: the booking may exist. Reception must check the diary
    (`appointment_id` when known) before anyone books this person again."""

    def __init__(self, reason: str, slot: Slot, appointment_id: str | None = None) -> None:
        super().__init__(reason)
        self.slot = slot
        self.appointment_id = appointment_id


class AppointmentCancelled(BookingError):
    """The appointment to move was already cancelled."""


# --- values ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    site: str  # "kenmore" | "jindalee"
    business: Business
    address: str  # CLINIC_ADDRESS_* when set, else the address Cliniko holds


@dataclass(frozen=True)
class Slot:
    """One free time that can be offered and booked."""

    starts_at: datetime  # UTC
    site: str
    business_id: str
    practitioner_id: str
    practitioner_name: str  # first name, for the person
    appointment_type_id: str
    kind: str
    duration_minutes: int

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe, for a Rasa slot (the offered times between turns)."""
        return {
            "starts_at": self.starts_at.astimezone(timezone.utc).isoformat(),
            "site": self.site,
            "business_id": self.business_id,
            "practitioner_id": self.practitioner_id,
            "practitioner_name": self.practitioner_name,
            "appointment_type_id": self.appointment_type_id,
            "kind": self.kind,
            "duration_minutes": self.duration_minutes,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Slot:
        starts = datetime.fromisoformat(str(data["starts_at"]))
        if starts.tzinfo is None:
            starts = starts.replace(tzinfo=timezone.utc)
        return cls(
            starts_at=starts.astimezone(timezone.utc),
            site=str(data["site"]),
            business_id=str(data["business_id"]),
            practitioner_id=str(data["practitioner_id"]),
            practitioner_name=str(data["practitioner_name"]),
            appointment_type_id=str(data["appointment_type_id"]),
            kind=str(data["kind"]),
            duration_minutes=int(data["duration_minutes"]),
        )


@dataclass(frozen=True)
class Person:
    """Who is booking, with only what they gave."""

    first_name: str
    last_name: str = ""
    email: str | None = None
    phone: str | None = None  # E.164

    @classmethod
    def from_booking(cls, name: str, contact_kind: str, contact: str) -> Person:
        """From the booking form's slots: `booking_name`, `booking_contact_kind`, `booking_contact`."""
        words = [w for w in name.split() if w]
        if len(words) > 1 and words[0].lower().strip(".") in _TITLES:
            words = words[1:]
        first, last = (words[0], " ".join(words[1:])) if words else ("", "")
        return cls(
            first_name=first,
            last_name=last,
            email=contact if contact_kind == "email" else None,
            phone=contact if contact_kind == "phone" else None,
        )


@dataclass(frozen=True)
class Booking:
    """A booked appointment, with what the confirmation needs."""

    appointment_id: str
    slot: Slot
    patient_id: str
    address: str
    appointment_type_name: str
    new_patient: bool = False


@dataclass(frozen=True)
class Offer:
    """Times to offer. `fits_preference` is False when nothing matched what the person asked for
    and these are simply the soonest (the assistant says so)."""

    slots: tuple[Slot, ...]
    preference: TimePreference
    fits_preference: bool = True


def _phone_key(number: str) -> str:
    """The last nine digits: "+61 412 345 678", "0412 345 678" and "61412345678" are one number."""
    digits = re.sub(r"\D", "", number)
    return digits[-9:]


@dataclass
class _Cached:
    value: Any
    at: float


@dataclass
class Diary:
    """The clinic's Cliniko diary. Build it with `Diary.from_settings()` (or give a client);
    `close()` it when the process ends."""

    client: ClinikoClient
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Australia/Brisbane"))
    business_ids: Mapping[str, str] = field(default_factory=dict)  # site → Cliniko business id
    addresses: Mapping[str, str] = field(default_factory=dict)  # site → address shown to people
    type_names: Mapping[str, str] = field(
        default_factory=lambda: {"running": "Running Assessment", "general": "Initial Consultation"}
    )
    cache_ttl_s: float = 600.0
    clock: Callable[[], float] = time.monotonic
    _cache: dict[tuple[str, ...], _Cached] = field(default_factory=dict, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings | None = None, *, client: ClinikoClient | None = None) -> Diary:
        s = settings or get_settings()
        return cls(
            client=client or ClinikoClient.from_settings(s),
            tz=ZoneInfo(s.clinic_timezone),
            business_ids={
                "kenmore": s.cliniko_business_id_kenmore,
                "jindalee": s.cliniko_business_id_jindalee,
            },
            addresses={"kenmore": s.kenmore_address, "jindalee": s.jindalee_address},
            type_names={"running": s.cliniko_type_running, "general": s.cliniko_type_general},
        )

    async def close(self) -> None:
        await self.client.close()

    async def _cached(self, key: tuple[str, ...], load: Callable[[], Awaitable[T]]) -> T:
        hit = self._cache.get(key)
        if hit is not None and self.clock() - hit.at < self.cache_ttl_s:
            return hit.value
        value = await load()
        self._cache[key] = _Cached(value, self.clock())
        return value

    # --- which diary ---------------------------------------------------------------------------

    async def site(self, site: str) -> Site:
        site = site.strip().lower()
        if site not in SITES:
            raise ValueError(f"unknown site {site!r}")
        chosen = (self.business_ids.get(site) or "").strip()
        if chosen:
            try:
                business = await self._cached(("business", chosen), lambda: self.client.business(chosen))
            except ClinikoNotFound:
                raise DiaryConfigError(f"no Cliniko business with the {site} id set in settings") from None
        else:
            businesses = await self._cached(("businesses",), self.client.businesses)
            matches = [b for b in businesses if not b.archived and site in b.name.lower()]
            if not matches:
                raise DiaryConfigError(f"no Cliniko business has '{site}' in its name")
            if len(matches) > 1:
                raise DiaryConfigError(
                    f"{len(matches)} Cliniko businesses have '{site}' in their name: "
                    f"set CLINIKO_BUSINESS_ID_{site.upper()}"
                )
            business = matches[0]
        address = (self.addresses.get(site) or "").strip() or business.address
        return Site(site=site, business=business, address=address)

    async def appointment_type(self, kind: str) -> AppointmentType:
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        name = self.type_names[kind].strip().lower()
        types = [t for t in await self._cached(("types",), self.client.appointment_types) if not t.archived]
        exact = [t for t in types if t.name.strip().lower() == name]
        if len(exact) == 1:
            return exact[0]
        if not exact:
            raise DiaryConfigError(f"no Cliniko appointment type is named '{self.type_names[kind]}'")
        raise DiaryConfigError(f"{len(exact)} Cliniko appointment types are named '{self.type_names[kind]}'")

    async def practitioners(self, site: str, kind: str) -> list[Practitioner]:
        """Those at the site's business who offer the appointment type."""
        business = (await self.site(site)).business
        kind_type = await self.appointment_type(kind)
        return await self._cached(
            ("practitioners", business.id, kind_type.id),
            lambda: self.client.practitioners(business_id=business.id, appointment_type_id=kind_type.id),
        )

    # --- free times ----------------------------------------------------------------------------

    async def free_times(
        self,
        site: str,
        kind: str,
        preferences: TimePreference | str | None,
        now: datetime,
        limit: int = 5,
        days: int = 14,
        *,
        start: datetime | None = None,
        per_day: int | None = 2,
    ) -> list[Slot]:
        """The soonest free times, soonest first: at `site` ("kenmore", "jindalee" or "either"),
        for `kind` ("running" / "general"), matching `preferences` (text or parsed), after `now`
        (and after `start`, e.g. the last offered time for "something later"), within `days`
        from then. At most `per_day` on one day, so the choice spans days; one per start time.
        Raises ClinikoError (Cliniko failed) or DiaryConfigError (settings match nothing)."""
        earliest = max(now, start) if start else now
        local_today = earliest.astimezone(self.tz).date()
        preference = self._preference(preferences, local_today)
        if preference.earliest_date and preference.earliest_date > local_today:
            local_today = preference.earliest_date  # "next week": nothing to look at before then
        sites = list(SITES) if site == "either" else [site]
        kind_type = await self.appointment_type(kind)
        places = [(await self.site(s), await self.practitioners(s, kind)) for s in sites]

        found: list[Slot] = []
        for first_day, last_day in window_days(local_today, days):
            calls = [
                self._times(place, practitioner, kind_type, kind, first_day, last_day)
                for place, practitioners in places
                for practitioner in practitioners
            ]
            for batch in await _all(calls):
                found.extend(
                    s for s in batch if s.starts_at > earliest and preference.matches(s.starts_at, self.tz)
                )
            chosen = self._choose(found, limit, per_day)
            if len(chosen) >= limit:
                return chosen  # later windows can only hold later times
        return self._choose(found, limit, per_day)

    async def offer(
        self,
        site: str,
        kind: str,
        preferences: TimePreference | str | None,
        now: datetime,
        limit: int = 5,
        days: int = 14,
        *,
        start: datetime | None = None,
    ) -> Offer:
        """Like `free_times`, but when nothing fits the preferences, the soonest times instead
        (`fits_preference` False), so the person still has something to choose from."""
        local_today = (max(now, start) if start else now).astimezone(self.tz).date()
        preference = self._preference(preferences, local_today)
        slots = await self.free_times(site, kind, preference, now, limit, days, start=start)
        if slots or preference.is_any:
            return Offer(tuple(slots), preference, True)
        soonest = await self.free_times(site, kind, ANY_TIME, now, limit, days, start=start)
        return Offer(tuple(soonest), preference, False)

    def _preference(self, preferences: TimePreference | str | None, today: date) -> TimePreference:
        if isinstance(preferences, TimePreference):
            return preferences
        return parse_preferences(preferences, today=today) if preferences else ANY_TIME

    async def _times(
        self,
        place: Site,
        practitioner: Practitioner,
        kind_type: AppointmentType,
        kind: str,
        first_day: date,
        last_day: date,
    ) -> list[Slot]:
        try:
            starts = await self.client.available_times(
                place.business.id, practitioner.id, kind_type.id, first_day, last_day
            )
        except ClinikoNotFound:
            # e.g. a practitioner not shown in online bookings: no times from them, not an outage
            logger.info("Cliniko: no available times for a practitioner at %s (404)", place.site)
            return []
        return [
            Slot(
                starts_at=moment,
                site=place.site,
                business_id=place.business.id,
                practitioner_id=practitioner.id,
                practitioner_name=practitioner.first_name or practitioner.display_name,
                appointment_type_id=kind_type.id,
                kind=kind,
                duration_minutes=kind_type.duration_minutes,
            )
            for moment in starts
        ]

    def _choose(self, found: list[Slot], limit: int, per_day: int | None) -> list[Slot]:
        chosen: list[Slot] = []
        seen: set[tuple[str, datetime]] = set()
        per_date: dict[date, int] = {}
        for slot in sorted(found, key=lambda s: (s.starts_at, s.site, s.practitioner_name)):
            day = slot.starts_at.astimezone(self.tz).date()
            if (slot.site, slot.starts_at) in seen or (per_day and per_date.get(day, 0) >= per_day):
                continue
            seen.add((slot.site, slot.starts_at))
            per_date[day] = per_date.get(day, 0) + 1
            chosen.append(slot)
            if len(chosen) >= limit:
                break
        return chosen

    async def is_free(self, slot: Slot) -> bool:
        """Asks Cliniko now whether the practitioner still has this start free."""
        day = slot.starts_at.astimezone(self.tz).date()
        starts = await self.client.available_times(
            slot.business_id, slot.practitioner_id, slot.appointment_type_id, day, day
        )
        return slot.starts_at in starts

    # --- booking -------------------------------------------------------------------------------

    async def find_patient(self, person: Person) -> Patient | None:
        """By email; else by phone among patients with the person's name (Cliniko can't search
        patients by phone); None when not found."""
        if person.email:
            found = [p for p in await self.client.find_patients(email=person.email) if not p.archived]
            if found:
                return found[0]
        if person.phone and (person.last_name or person.first_name):
            if person.last_name:
                namesakes = await self.client.find_patients(last_name=person.last_name)
            else:
                namesakes = await self.client.find_patients(first_name=person.first_name)
            wanted = _phone_key(person.phone)
            for patient in namesakes:
                same_first = not person.first_name or patient.first_name.lower() == person.first_name.lower()
                if (
                    not patient.archived
                    and same_first
                    and any(_phone_key(n) == wanted for n in patient.phone_numbers)
                ):
                    return patient
        return None

    async def patient_for(self, person: Person) -> tuple[Patient, bool]:
        """(the patient, whether they were created now). Raises NeedLastName before creating a
        patient Cliniko would refuse."""
        found = await self.find_patient(person)
        if found is not None:
            return found, False
        if not person.first_name or not person.last_name:
            raise NeedLastName("a new Cliniko patient needs a first and a last name")
        new = NewPatient(
            first_name=person.first_name, last_name=person.last_name, email=person.email, phone=person.phone
        )
        return await self.client.create_patient(new), True

    async def book(self, slot: Slot, person: Person, *, notes: str = BOOKED_NOTE) -> Booking:
        """Books `slot` for `person`. Raises SlotTaken (someone else has it; nothing of ours is
        left booked), NeedLastName, BookingUnconfirmed (reception must check), ClinikoError."""
        patient, created = await self.patient_for(person)
        if not await self.is_free(slot):
            raise SlotTaken("the time was booked by someone else before we could book it", slot)
        try:
            appointment = await self.client.create_appointment(
                starts_at=slot.starts_at,
                business_id=slot.business_id,
                practitioner_id=slot.practitioner_id,
                appointment_type_id=slot.appointment_type_id,
                patient_id=patient.id,
                notes=notes,
            )
        except ClinikoUnavailable as exc:
            # The POST may have been done even though its answer was lost: look before saying no.
            appointment = await self._find_booked(slot, patient.id, exc)
        await self._undo_if_clashing(appointment.id, slot, undo=self._cancel_clash)
        place = await self.site(slot.site)
        kind_type = await self.appointment_type(slot.kind)
        return Booking(
            appointment_id=appointment.id,
            slot=slot,
            patient_id=patient.id,
            address=place.address,
            appointment_type_name=kind_type.name,
            new_patient=created,
        )

    async def _find_booked(self, slot: Slot, patient_id: str, failure: ClinikoUnavailable) -> Appointment:
        try:
            existing = await self.client.appointments(
                patient_id=patient_id,
                starts_from=slot.starts_at,
                starts_before=slot.starts_at + timedelta(minutes=1),
            )
        except ClinikoError:
            raise BookingUnconfirmed(f"booking not confirmed: {failure.reason}", slot) from failure
        mine = [a for a in existing if a.practitioner_id == slot.practitioner_id and not a.cancelled]
        if not mine:
            raise failure  # nothing was booked: an ordinary outage
        logger.info("Cliniko: the booking went through although its answer was lost")
        return mine[0]

    async def _cancel_clash(self, appointment_id: str) -> None:
        await self.client.cancel_appointment(appointment_id, CancellationReason.OTHER, CLASH_NOTE)

    async def _undo_if_clashing(
        self, appointment_id: str, slot: Slot, *, undo: Callable[[str], Awaitable[None]]
    ) -> None:
        try:
            clash = await self.client.has_conflicts(appointment_id)
        except ClinikoError as exc:
            raise BookingUnconfirmed(f"conflicts not checked: {exc.reason}", slot, appointment_id) from exc
        if not clash:
            return
        logger.warning("Cliniko: a new booking clashed with another one; undoing it")
        try:
            await undo(appointment_id)
        except ClinikoError as exc:
            raise BookingUnconfirmed(f"clash not undone: {exc.reason}", slot, appointment_id) from exc
        raise SlotTaken("another booking took the time at the same moment; ours was undone", slot)

    async def appointment(self, appointment_id: str) -> Appointment:
        return await self.client.appointment(appointment_id)

    async def cancel(
        self,
        appointment_id: str,
        reason: CancellationReason = CancellationReason.OTHER,
        note: str = CANCEL_NOTE,
    ) -> Appointment:
        """Cancels in Cliniko with a reason; returns the appointment as it was (for the
        confirmation). Already cancelled: nothing to do."""
        appointment = await self.client.appointment(appointment_id)
        if not appointment.cancelled:
            await self.client.cancel_appointment(appointment_id, reason, note)
        return appointment

    async def move(self, appointment_id: str, new_slot: Slot) -> Booking:
        """Moves an appointment to `new_slot` (re-checked free first, conflicts checked after; a
        clash puts it back). Raises SlotTaken, AppointmentCancelled, BookingUnconfirmed,
        ClinikoError."""
        old = await self.client.appointment(appointment_id)
        if old.cancelled:
            raise AppointmentCancelled("the appointment was already cancelled")
        if not await self.is_free(new_slot):
            raise SlotTaken("the new time was booked by someone else", new_slot)
        try:
            moved = await self.client.update_appointment(
                appointment_id,
                starts_at=new_slot.starts_at,
                ends_at=new_slot.ends_at,
                practitioner_id=new_slot.practitioner_id,
                business_id=new_slot.business_id,
            )
        except ClinikoUnavailable as exc:
            moved = await self._check_moved(appointment_id, new_slot, exc)

        async def put_back(_: str) -> None:
            await self.client.update_appointment(
                appointment_id,
                starts_at=old.starts_at,
                ends_at=old.ends_at,
                practitioner_id=old.practitioner_id,
                business_id=old.business_id,
            )

        await self._undo_if_clashing(moved.id, new_slot, undo=put_back)
        place = await self.site(new_slot.site)
        kind_type = await self.appointment_type(new_slot.kind)
        return Booking(
            appointment_id=moved.id,
            slot=new_slot,
            patient_id=old.patient_id,
            address=place.address,
            appointment_type_name=kind_type.name,
        )

    async def _check_moved(self, appointment_id: str, slot: Slot, failure: ClinikoUnavailable) -> Appointment:
        try:
            now = await self.client.appointment(appointment_id)
        except ClinikoError:
            raise BookingUnconfirmed(
                f"move not confirmed: {failure.reason}", slot, appointment_id
            ) from failure
        if now.starts_at == slot.starts_at:
            return now
        raise failure  # unchanged: an ordinary outage


async def _all(calls: list[Awaitable[T]]) -> list[T]:
    """Runs the calls together; the first failure is raised after all have finished."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return list(results)  # type: ignore[arg-type]


__all__ = [
    "AppointmentCancelled",
    "Booking",
    "BookingError",
    "BookingUnconfirmed",
    "Diary",
    "DiaryConfigError",
    "NeedLastName",
    "Offer",
    "Person",
    "Site",
    "Slot",
    "SlotTaken",
    "booking_offered",
    "kind_for_outcome",
]
