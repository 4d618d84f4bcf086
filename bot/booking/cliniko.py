"""A typed async client for Cliniko's public REST API (https://docs.api.cliniko.com), on aiohttp.

What Cliniko's documentation asks of every client, and where it is done here:

- Base URL per shard: `https://api.{shard}.cliniko.com/v1`, the shard being the API key's
  suffix (`…-au2`); keys without one are on `au1` (`base_url_for`). `CLINIKO_API_URL` overrides
  it (the tests' stand-in).
- HTTP Basic auth with the key as the user name and an empty password; `Accept:
  application/json`; a `User-Agent` of the form `APP_VENDOR_NAME (APP_VENDOR_EMAIL)`, without
  which Cliniko may block the requests (`ClinikoClient.__init__` refuses to run without it).
- Lists are paginated: follow `links.next` (never build page URLs), up to 100 per page.
- At most 200 requests a minute per user: a client-side sliding-window limiter (`RateLimiter`);
  a `429` answer carries `X-RateLimit-Reset` (a UNIX time) and/or `Retry-After`, and no request
  is sent before then.
- All times are UTC (`…Z`); available times' `from` / `to` dates are in the account's time zone
  and at most 7 days apart.

Only reads (GET) are retried, a bounded number of times, on connection errors, 5xx and short
429 waits: Cliniko has no idempotency keys, so a retried POST or PATCH could book twice. Every
failure is one of the `ClinikoError` classes below, logged with its reason and the route (ids
masked, no query string), never with a person's name, email or phone.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import json
import logging
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from enum import IntEnum
from typing import Any

import aiohttp
from yarl import URL

from bot.settings import Settings, get_settings

logger = logging.getLogger(__name__)

PRODUCT_NAME = "Physio triage assistant"
DEFAULT_SHARD = "au1"
MAX_PER_PAGE = 100  # Cliniko's largest page
MAX_PAGES = 50  # a list longer than 5,000 items is not something the assistant should read
MAX_WINDOW_DAYS = 7  # available_times: from and to inclusive, one week at most
_SHARD_RE = re.compile(r"^[a-z]{2}\d{1,2}$", re.IGNORECASE)  # the shard pattern Cliniko documents
_ID_IN_PATH_RE = re.compile(r"/\d+(?=/|$)")

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


# --- errors ------------------------------------------------------------------------------------


class ClinikoError(Exception):
    """Anything that stopped a Cliniko call. `reason` is safe to log: no patient details."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ClinikoConfigError(ClinikoError):
    """The client can't be used as configured (no API key, no contact email for the User-Agent)."""


class ClinikoUnavailable(ClinikoError):
    """Cliniko could not be reached, did not answer in time, or answered 5xx."""


class ClinikoAuthError(ClinikoError):
    """401 / 403: the API key is wrong, revoked, or its user lacks the permission."""


class ClinikoRateLimited(ClinikoError):
    """429, or still inside the wait a 429 asked for. `retry_after_s`: how long until allowed."""

    def __init__(self, reason: str, retry_after_s: float) -> None:
        super().__init__(reason)
        self.retry_after_s = retry_after_s


class ClinikoBadResponse(ClinikoError):
    """The answer was not JSON, or not shaped the way the API documents."""


class ClinikoRejected(ClinikoError):
    """A 4xx other than auth and rate limit: Cliniko refused this request (e.g. 422 validation)."""

    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason)
        self.status = status


class ClinikoNotFound(ClinikoRejected):
    """404: no such record (or not visible to this key)."""


# --- the records the assistant uses ----------------------------------------------------------


class CancellationReason(IntEnum):
    """Cliniko's cancellation reason codes (`cancellation_reason` is mandatory when cancelling)."""

    FEELING_BETTER = 10
    CONDITION_WORSE = 20
    SICK = 30
    COVID_19 = 31
    AWAY = 40
    OTHER = 50
    WORK = 60


@dataclass(frozen=True)
class Business:
    id: str
    name: str
    address: str  # one line, from address_1, address_2, city, state, post_code ("" if none)
    archived: bool = False


@dataclass(frozen=True)
class AppointmentType:
    id: str
    name: str
    duration_minutes: int
    archived: bool = False


@dataclass(frozen=True)
class Practitioner:
    id: str
    first_name: str
    last_name: str
    display_name: str


@dataclass(frozen=True)
class Patient:
    id: str
    first_name: str
    last_name: str
    email: str | None
    phone_numbers: tuple[str, ...]
    archived: bool = False


@dataclass(frozen=True)
class NewPatient:
    """Only what the person gave: Cliniko requires a first and a last name, nothing else."""

    first_name: str
    last_name: str
    email: str | None = None
    phone: str | None = None  # E.164 (+61…)


@dataclass(frozen=True)
class Appointment:
    id: str
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC
    business_id: str
    practitioner_id: str
    appointment_type_id: str
    patient_id: str
    cancelled_at: datetime | None = None
    notes: str | None = None

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None


# --- base URL ----------------------------------------------------------------------------------


def shard_of(api_key: str) -> str:
    """The shard in a key's `-xx9` suffix; `au1` for keys issued before shards had one."""
    _, dash, suffix = api_key.strip().rpartition("-")
    if dash and _SHARD_RE.match(suffix):
        return suffix.lower()
    return DEFAULT_SHARD


def base_url_for(api_key: str, override: str = "") -> str:
    if override.strip():
        return override.strip().rstrip("/")
    return f"https://api.{shard_of(api_key)}.cliniko.com/v1"


def user_agent(contact_email: str, product: str = PRODUCT_NAME) -> str:
    return f"{product} ({contact_email})"


# --- rate limit --------------------------------------------------------------------------------


class RateLimiter:
    """At most `per_minute` requests started in any 60 seconds (a sliding window), plus a pause
    until the time a 429 named. The clock and sleep are injectable so tests need no waiting."""

    def __init__(
        self,
        per_minute: int,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        window_s: float = 60.0,
    ) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.per_minute = per_minute
        self.window_s = window_s
        self.clock = clock
        self.sleep = sleep
        self.paused_until = 0.0  # on `clock`
        self._started: deque[float] = deque()
        self._lock: asyncio.Lock | None = None

    def pause(self, seconds: float) -> None:
        """No request before `seconds` from now (what a 429 asked for)."""
        self.paused_until = max(self.paused_until, self.clock() + max(0.0, seconds))

    def pause_left(self) -> float:
        return max(0.0, self.paused_until - self.clock())

    async def acquire(self) -> None:
        """Waits until one more request may start, then counts it."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:  # one waiter at a time, so the window is never over-filled
            while True:
                now = self.clock()
                if now < self.paused_until:
                    await self.sleep(self.paused_until - now)
                    continue
                while self._started and self._started[0] <= now - self.window_s:
                    self._started.popleft()
                if len(self._started) < self.per_minute:
                    self._started.append(now)
                    return
                await self.sleep(self._started[0] + self.window_s - now)


# --- parsing helpers ---------------------------------------------------------------------------


def parse_time(value: Any) -> datetime:
    """Cliniko's `2016-07-21T03:45:00Z` → an aware UTC datetime."""
    if not isinstance(value, str) or not value:
        raise ClinikoBadResponse("a time was missing or not text")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ClinikoBadResponse("a time was not in ISO 8601 form") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)  # Cliniko's times are UTC
    return parsed.astimezone(timezone.utc)


def format_time(moment: datetime) -> str:
    """An aware datetime → Cliniko's UTC form."""
    if moment.tzinfo is None:
        raise ValueError("times sent to Cliniko must be timezone-aware")
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(record: Mapping[str, Any], key: str) -> str:
    value = record.get(key)
    return "" if value is None else str(value).strip()


def _id(record: Mapping[str, Any]) -> str:
    value = record.get("id")
    if value is None or str(value).strip() == "":
        raise ClinikoBadResponse("a record had no id")
    return str(value)


def _linked_id(record: Mapping[str, Any], name: str) -> str:
    """The id of a linked record: `{"practitioner": {"links": {"self": ".../practitioners/7"}}}`
    (or a plain `practitioner_id`, which newer answers may carry)."""
    direct = record.get(f"{name}_id")
    if direct not in (None, ""):
        return str(direct)
    link = record.get(name)
    if isinstance(link, Mapping):
        href = link.get("links", {}).get("self") if isinstance(link.get("links"), Mapping) else None
        if isinstance(href, str) and href.rstrip("/"):
            return href.rstrip("/").rsplit("/", 1)[-1]
    raise ClinikoBadResponse(f"an appointment had no {name} link")


def _object(data: Any) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ClinikoBadResponse("the answer was not a JSON object")
    return data


def _business(record: Mapping[str, Any]) -> Business:
    record = _object(record)
    name = _text(record, "business_name") or _text(record, "display_name") or _text(record, "name")
    if not name:
        raise ClinikoBadResponse("a business had no name")
    town = " ".join(
        p for p in (_text(record, "city"), _text(record, "state"), _text(record, "post_code")) if p
    )
    parts = [_text(record, "address_1"), _text(record, "address_2"), town]
    return Business(
        id=_id(record),
        name=name,
        address=", ".join(p for p in parts if p),
        archived=bool(record.get("archived_at")),
    )


def _appointment_type(record: Mapping[str, Any]) -> AppointmentType:
    record = _object(record)
    try:
        duration = int(record.get("duration_in_minutes") or 0)
    except (TypeError, ValueError):
        raise ClinikoBadResponse("an appointment type's duration was not a number") from None
    return AppointmentType(
        id=_id(record),
        name=_text(record, "name"),
        duration_minutes=duration,
        archived=bool(record.get("archived_at")),
    )


def _practitioner(record: Mapping[str, Any]) -> Practitioner:
    record = _object(record)
    first, last = _text(record, "first_name"), _text(record, "last_name")
    display = _text(record, "display_name") or _text(record, "label") or f"{first} {last}".strip()
    return Practitioner(id=_id(record), first_name=first, last_name=last, display_name=display)


def _patient(record: Mapping[str, Any]) -> Patient:
    record = _object(record)
    phones = record.get("patient_phone_numbers") or []
    if not isinstance(phones, list):
        raise ClinikoBadResponse("a patient's phone numbers were not a list")
    numbers = tuple(
        str(p.get("number")) for p in phones if isinstance(p, Mapping) and p.get("number") not in (None, "")
    )
    return Patient(
        id=_id(record),
        first_name=_text(record, "first_name"),
        last_name=_text(record, "last_name"),
        email=_text(record, "email") or None,
        phone_numbers=numbers,
        archived=bool(record.get("archived_at")),
    )


def _appointment(record: Mapping[str, Any]) -> Appointment:
    record = _object(record)
    cancelled = record.get("cancelled_at")
    return Appointment(
        id=_id(record),
        starts_at=parse_time(record.get("starts_at")),
        ends_at=parse_time(record.get("ends_at")),
        business_id=_linked_id(record, "business"),
        practitioner_id=_linked_id(record, "practitioner"),
        appointment_type_id=_linked_id(record, "appointment_type"),
        patient_id=_linked_id(record, "patient"),
        cancelled_at=parse_time(cancelled) if cancelled else None,
        notes=record.get("notes") if isinstance(record.get("notes"), str) else None,
    )


def _items(data: Any, key: str) -> list[Mapping[str, Any]]:
    items = _object(data).get(key)
    if not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items):
        raise ClinikoBadResponse(f"the answer had no '{key}' list")
    return items


def _retry_after(headers: Mapping[str, str], wall_clock: Clock) -> float | None:
    """Seconds to wait from `Retry-After` (seconds or an HTTP date) or Cliniko's
    `X-RateLimit-Reset` (a UNIX time); the longer of the two when both are given."""
    waits: list[float] = []
    retry_after = (headers.get("Retry-After") or "").strip()
    if retry_after:
        try:
            waits.append(float(retry_after))
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(retry_after)
                waits.append(when.timestamp() - wall_clock())
            except (TypeError, ValueError):
                pass
    reset = (headers.get("X-RateLimit-Reset") or "").strip()
    if reset:
        with contextlib.suppress(ValueError):
            waits.append(float(reset) - wall_clock())
    return max(0.0, max(waits)) if waits else None


def route_of(url: str | URL) -> str:
    """A loggable route: the path with ids masked and no query (queries can hold an email)."""
    return _ID_IN_PATH_RE.sub("/:id", URL(str(url)).path)


# --- the client --------------------------------------------------------------------------------


class ClinikoClient:
    """One Cliniko account. Create it inside the event loop that uses it (the aiohttp session is
    made on first use) and `close()` it, or use `async with`."""

    def __init__(
        self,
        api_key: str,
        *,
        contact_email: str,
        base_url: str = "",
        timeout_s: float = 5.0,
        requests_per_minute: int = 200,
        max_retries: int = 2,
        max_wait_s: float = 5.0,
        per_page: int = MAX_PER_PAGE,
        product: str = PRODUCT_NAME,
        clock: Clock = time.monotonic,
        wall_clock: Clock = time.time,
        sleep: Sleep = asyncio.sleep,
        limiter: RateLimiter | None = None,
    ) -> None:
        if not api_key.strip():
            raise ClinikoConfigError("no Cliniko API key (CLINIKO_API_KEY)")
        if "@" not in contact_email:
            # Cliniko may block clients whose User-Agent has no contact email.
            raise ClinikoConfigError("no contact email for Cliniko's User-Agent (CLINIKO_CONTACT_EMAIL)")
        self.base_url = base_url_for(api_key, base_url)
        self.timeout_s = timeout_s
        self.max_retries = max(0, max_retries)
        self.max_wait_s = max_wait_s
        self.per_page = max(1, min(MAX_PER_PAGE, per_page))
        self.clock = clock
        self.wall_clock = wall_clock
        self.sleep = sleep
        self.limiter = limiter or RateLimiter(requests_per_minute, clock=clock, sleep=sleep)
        self._origin = URL(self.base_url).origin()
        self._headers = {
            "Authorization": aiohttp.encode_basic_auth(api_key.strip(), ""),
            "Accept": "application/json",
            "User-Agent": user_agent(contact_email.strip(), product),
        }
        self._session: aiohttp.ClientSession | None = None

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **overrides: Any) -> ClinikoClient:
        """The client for `bot/settings.py`'s CLINIKO_* values (keyword arguments override them)."""
        s = settings or get_settings()
        options: dict[str, Any] = {
            "contact_email": s.cliniko_contact_email,
            "base_url": s.cliniko_api_url,
            "timeout_s": s.cliniko_timeout_s,
            "requests_per_minute": s.cliniko_requests_per_minute,
        }
        options.update(overrides)
        return cls(s.cliniko_api_key, **options)

    async def __aenter__(self) -> ClinikoClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers=self._headers)
        return self._session

    # --- one request ---------------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        path_or_url: str | URL,
        *,
        params: Iterable[tuple[str, str]] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> Any:
        url = path_or_url if isinstance(path_or_url, URL) else URL(self.base_url + path_or_url)
        route = f"{method} {route_of(url)}"
        read = method == "GET"  # only reads are retried: Cliniko has no idempotency keys
        attempts = 1 + (self.max_retries if read else 0)
        query = list(params) if params is not None else None
        for attempt in range(1, attempts + 1):
            left = self.limiter.pause_left()
            if left > self.max_wait_s:
                raise self._fail(ClinikoRateLimited(f"{route}: rate limited for {left:.0f} s more", left))
            await self.limiter.acquire()
            try:
                async with self._http().request(
                    method,
                    url,
                    params=query,
                    json=body,
                    timeout=aiohttp.ClientTimeout(total=self.timeout_s),
                    # A redirect would resend the key elsewhere, or turn a POST into a GET: a 3xx
                    # means the base URL (shard) is wrong, and is reported as such.
                    allow_redirects=False,
                ) as response:
                    status, headers, raw = response.status, response.headers, await response.read()
            except (asyncio.TimeoutError, TimeoutError):
                # Not retried: the person is waiting in the chat, and a second wait this long is
                # worse than handing the booking to reception.
                raise self._fail(
                    ClinikoUnavailable(f"{route}: no answer within {self.timeout_s:g} s")
                ) from None
            except aiohttp.ClientError as exc:
                error = ClinikoUnavailable(f"{route}: {type(exc).__name__}")
                if attempt < attempts:
                    await self._backoff(error, attempt, attempts)
                    continue
                raise self._fail(error) from None

            if status == 429:
                wait = _retry_after(headers, self.wall_clock)
                wait = 60.0 if wait is None else wait  # no header: Cliniko's window is a minute
                self.limiter.pause(wait)
                error = ClinikoRateLimited(f"{route}: HTTP 429, retry after {wait:.1f} s", wait)
                if read and attempt < attempts and wait <= self.max_wait_s:
                    logger.warning("Cliniko %s (attempt %d of %d); waiting", error.reason, attempt, attempts)
                    continue  # the limiter waits out the pause before the next attempt
                raise self._fail(error)
            if status >= 500:
                error = ClinikoUnavailable(f"{route}: HTTP {status}")
                if read and attempt < attempts:
                    await self._backoff(error, attempt, attempts)
                    continue
                raise self._fail(error)
            if status in (401, 403):
                raise self._fail(ClinikoAuthError(f"{route}: HTTP {status} (check the API key)"))
            if status == 404:
                raise ClinikoNotFound(f"{route}: HTTP 404", status)  # an answer, not a failure
            if 300 <= status < 400:
                raise self._fail(
                    ClinikoRejected(
                        f"{route}: HTTP {status} (check CLINIKO_API_URL / the key's shard)", status
                    )
                )
            if status >= 400:
                raise self._fail(ClinikoRejected(f"{route}: HTTP {status}", status))
            if status == 204 or not raw.strip():
                return None
            try:
                return json.loads(raw)
            except ValueError:
                raise self._fail(ClinikoBadResponse(f"{route}: the answer was not JSON")) from None
        raise AssertionError("unreachable")  # pragma: no cover - the loop always returns or raises

    @staticmethod
    def _fail(error: ClinikoError) -> ClinikoError:
        logger.warning("Cliniko call failed: %s", error.reason)
        return error

    async def _backoff(self, error: ClinikoError, attempt: int, attempts: int) -> None:
        logger.warning("Cliniko %s (attempt %d of %d); retrying", error.reason, attempt, attempts)
        await self.sleep(min(2.0, 0.25 * 2 ** (attempt - 1)))

    async def _collection(
        self, path: str, key: str, params: Iterable[tuple[str, str]] = ()
    ) -> list[Mapping[str, Any]]:
        """Every item of a paginated list, following `links.next` as Cliniko recommends."""
        items: list[Mapping[str, Any]] = []
        target: str | URL = path
        query: list[tuple[str, str]] | None = [*params, ("per_page", str(self.per_page))]
        for _ in range(MAX_PAGES):
            data = await self._request("GET", target, params=query)
            items.extend(_items(data, key))
            links = _object(data).get("links")
            following = links.get("next") if isinstance(links, Mapping) else None
            if not following:
                return items
            next_url = URL(str(following), encoded=True)
            if next_url.origin() != self._origin:
                # Never send the API key anywhere but the account's own API.
                raise self._fail(ClinikoBadResponse(f"GET {route_of(path)}: a next page on another host"))
            target, query = next_url, None
        raise self._fail(ClinikoBadResponse(f"GET {route_of(path)}: more than {MAX_PAGES} pages"))

    # --- businesses, appointment types, practitioners ------------------------------------------

    async def businesses(self) -> list[Business]:
        return [_business(b) for b in await self._collection("/businesses", "businesses")]

    async def business(self, business_id: str) -> Business:
        return _business(await self._request("GET", f"/businesses/{business_id}"))

    async def appointment_types(self) -> list[AppointmentType]:
        return [
            _appointment_type(t) for t in await self._collection("/appointment_types", "appointment_types")
        ]

    async def practitioner_appointment_types(self, practitioner_id: str) -> list[AppointmentType]:
        path = f"/practitioners/{practitioner_id}/appointment_types"
        return [_appointment_type(t) for t in await self._collection(path, "appointment_types")]

    async def practitioners(
        self, *, business_id: str | None = None, appointment_type_id: str | None = None
    ) -> list[Practitioner]:
        """Active practitioners: all, at one business, or offering one appointment type. Both
        filters given: those at the business who offer the type (two documented lists)."""
        if business_id is None and appointment_type_id is None:
            return [_practitioner(p) for p in await self._collection("/practitioners", "practitioners")]
        lists: list[list[Practitioner]] = []
        if business_id is not None:
            path = f"/businesses/{business_id}/practitioners"
            lists.append([_practitioner(p) for p in await self._collection(path, "practitioners")])
        if appointment_type_id is not None:
            path = f"/appointment_types/{appointment_type_id}/practitioners"
            lists.append([_practitioner(p) for p in await self._collection(path, "practitioners")])
        keep = set.intersection(*({p.id for p in found} for found in lists))
        return [p for p in lists[0] if p.id in keep]

    # --- available times -----------------------------------------------------------------------

    async def available_times(
        self,
        business_id: str,
        practitioner_id: str,
        appointment_type_id: str,
        from_date: date,
        to_date: date,
    ) -> list[datetime]:
        """Free start times (UTC), soonest first. `from_date` / `to_date` are days in the account's
        time zone, inclusive, at most 7 days (Cliniko answers 400 to a longer window)."""
        if to_date < from_date or (to_date - from_date).days >= MAX_WINDOW_DAYS:
            raise ValueError(f"available_times takes 1 to {MAX_WINDOW_DAYS} days, not {from_date}..{to_date}")
        path = (
            f"/businesses/{business_id}/practitioners/{practitioner_id}"
            f"/appointment_types/{appointment_type_id}/available_times"
        )
        params = [("from", from_date.isoformat()), ("to", to_date.isoformat())]
        items = await self._collection(path, "available_times", params)
        return sorted(parse_time(i.get("appointment_start")) for i in items)

    async def next_available_time(
        self, business_id: str, practitioner_id: str, appointment_type_id: str
    ) -> datetime | None:
        path = (
            f"/businesses/{business_id}/practitioners/{practitioner_id}"
            f"/appointment_types/{appointment_type_id}/next_available_time"
        )
        try:
            data = _object(await self._request("GET", path))
        except ClinikoNotFound:
            return None
        start = data.get("appointment_start")
        return parse_time(start) if start else None

    # --- patients ------------------------------------------------------------------------------

    async def find_patients(
        self,
        *,
        email: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
    ) -> list[Patient]:
        """Patients matching every given field, with Cliniko's `q[]` filters. Cliniko's patient
        filters cover names and email (not phone numbers): `email` uses "contains" and is then
        compared exactly here, ignoring case, so a differently-cased stored email still matches."""
        filters: list[tuple[str, str]] = []
        if email:
            filters.append(("q[]", f"email:~{email.strip()}"))
        if first_name:
            filters.append(("q[]", f"first_name:~{first_name.strip()}"))
        if last_name:
            filters.append(("q[]", f"last_name:~{last_name.strip()}"))
        if not filters:
            raise ValueError("find_patients needs an email or a name")
        found = [_patient(p) for p in await self._collection("/patients", "patients", filters)]
        if email:
            wanted = email.strip().lower()
            found = [p for p in found if (p.email or "").lower() == wanted]
        return found

    async def patient(self, patient_id: str) -> Patient:
        return _patient(await self._request("GET", f"/patients/{patient_id}"))

    async def create_patient(self, new: NewPatient) -> Patient:
        body: dict[str, Any] = {"first_name": new.first_name, "last_name": new.last_name}
        if new.email:
            body["email"] = new.email
        if new.phone:
            digits = re.sub(r"\D", "", new.phone)
            kind = "Mobile" if digits.startswith("614") or digits.startswith("04") else "Home"
            body["patient_phone_numbers"] = [{"phone_type": kind, "number": digits}]
        return _patient(await self._request("POST", "/patients", body=body))

    # --- individual appointments ---------------------------------------------------------------

    async def create_appointment(
        self,
        *,
        starts_at: datetime,
        business_id: str,
        practitioner_id: str,
        appointment_type_id: str,
        patient_id: str,
        notes: str | None = None,
    ) -> Appointment:
        """Never retried. `ends_at` is left out, so Cliniko takes the appointment type's length.
        Cliniko does NOT refuse a time that is already booked: check before, and conflicts after."""
        body: dict[str, Any] = {
            "starts_at": format_time(starts_at),
            "business_id": business_id,
            "practitioner_id": practitioner_id,
            "appointment_type_id": appointment_type_id,
            "patient_id": patient_id,
        }
        if notes:
            body["notes"] = notes
        return _appointment(await self._request("POST", "/individual_appointments", body=body))

    async def appointment(self, appointment_id: str) -> Appointment:
        return _appointment(await self._request("GET", f"/individual_appointments/{appointment_id}"))

    async def appointments(
        self,
        *,
        patient_id: str | None = None,
        practitioner_id: str | None = None,
        starts_from: datetime | None = None,
        starts_before: datetime | None = None,
    ) -> list[Appointment]:
        """Individual appointments (not cancelled ones) matching the filters."""
        filters: list[tuple[str, str]] = []
        if patient_id:
            filters.append(("q[]", f"patient_id:={patient_id}"))
        if practitioner_id:
            filters.append(("q[]", f"practitioner_id:={practitioner_id}"))
        if starts_from:
            filters.append(("q[]", f"starts_at:>={format_time(starts_from)}"))
        if starts_before:
            filters.append(("q[]", f"starts_at:<{format_time(starts_before)}"))
        items = await self._collection("/individual_appointments", "individual_appointments", filters)
        return [_appointment(a) for a in items]

    async def has_conflicts(self, appointment_id: str) -> bool:
        data = _object(await self._request("GET", f"/individual_appointments/{appointment_id}/conflicts"))
        conflicts = data.get("conflicts", data)
        exist = conflicts.get("exist") if isinstance(conflicts, Mapping) else None
        if not isinstance(exist, bool):
            raise self._fail(ClinikoBadResponse("GET /individual_appointments/:id/conflicts: no 'exist'"))
        return exist

    async def cancel_appointment(
        self, appointment_id: str, reason: CancellationReason = CancellationReason.OTHER, note: str = ""
    ) -> None:
        """Never retried. Cliniko requires a reason code; the note is free text for the clinic."""
        body: dict[str, Any] = {"cancellation_reason": int(reason)}
        if note:
            body["cancellation_note"] = note
        await self._request("PATCH", f"/individual_appointments/{appointment_id}/cancel", body=body)

    async def update_appointment(
        self,
        appointment_id: str,
        *,
        starts_at: datetime,
        ends_at: datetime,
        practitioner_id: str | None = None,
        business_id: str | None = None,
    ) -> Appointment:
        """Moves an appointment (never retried). Both ends are sent: Cliniko keeps `ends_at` as it
        was unless it is given."""
        body: dict[str, Any] = {"starts_at": format_time(starts_at), "ends_at": format_time(ends_at)}
        if practitioner_id:
            body["practitioner_id"] = practitioner_id
        if business_id:
            body["business_id"] = business_id
        return _appointment(
            await self._request("PATCH", f"/individual_appointments/{appointment_id}", body=body)
        )


def window_days(start: date, days: int) -> list[tuple[date, date]]:
    """`days` from `start` as consecutive windows of at most 7 days (what available_times takes)."""
    windows = []
    day = start
    end = start + timedelta(days=max(1, days))
    while day < end:
        last = min(day + timedelta(days=MAX_WINDOW_DAYS - 1), end - timedelta(days=1))
        windows.append((day, last))
        day = last + timedelta(days=1)
    return windows
