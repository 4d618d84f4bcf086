"""A local stand-in for Cliniko's REST API (https://docs.api.cliniko.com), for the booking tests.

A real HTTP server (aiohttp) under `/v1` that answers the way Cliniko documents: HTTP Basic auth
with the API key and an empty password, a `User-Agent` with an app name and a contact email
(else 403), `Accept: application/json`, JSON lists under their collection key with
`total_entries` and `links` (`self`, `next`, `previous`), small pages (so clients must follow
`links.next`), `q[]` filters, available times at most 7 days at a time and not in the past, and
individual appointments that are NOT refused when they clash (Cliniko doesn't), with `conflicts`
and `cancel`.

It holds two clinic businesses (Kenmore, Jindalee) and a head office, four practitioners with
weekly hours in Brisbane time, three appointment types, a few patients; free times are generated
from the hours minus booked appointments, from an hour after "now" (settable) for 84 days.

Knobs a test turns while it runs (from Python, or over `/_control/…` for a subprocess):
`take(...)` (someone else books a time), `take_on_create()` / `take_on_move()` (someone books
the same time just before our create or move lands), `fail_next()` (5xx), `rate_limit_next()` (429 with Retry-After /
X-RateLimit-Reset), `malformed_next()` (broken JSON or a wrong shape), `slow()` (every answer
late), `slow_response_next()` (handled, then answered late: a lost answer), and a request log
(`requests()`) to check headers, rates, retries and that writes were sent once.

In-process: `with ClinikoStandIn() as cliniko:` (its own thread and event loop, free port).
As a process: `python -m tests.standins.cliniko --port 8765` prints its base URL when ready;
point the action server at it with CLINIKO_API_URL and CLINIKO_API_KEY (`API_KEY`).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import itertools
import json
import re
import signal
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from datetime import time as clock_time
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

BRISBANE = ZoneInfo("Australia/Brisbane")
UTC = timezone.utc
API_KEY = "MS0xLXN0YW5kaW4tY2xpbmlrby1rZXk-au1"
USER_AGENT_RE = re.compile(r"^\S.*\s\([^()\s@]+@[^()\s@]+\.[^()\s@]+\)$")  # "App name (dev@example.com)"
CANCELLATION_REASONS = frozenset({10, 20, 30, 31, 40, 50, 60})
PHONE_TYPES = frozenset({"Mobile", "Home", "Work", "Fax", "Other"})
SHUTDOWN_S = 0.2  # a test's slow request still in flight need not hold up stopping
TIME_FRAME_ERROR = "Invalid time frame definition. Please check from/to param limitations."

KENMORE, JINDALEE, HEAD_OFFICE = "1001", "1002", "1003"
ALEX, PRIYA, SAM, JORDAN = "2001", "2002", "2003", "2004"
INITIAL, RUNNING, FOLLOW_UP = "3001", "3002", "3003"

BUSINESSES: tuple[dict[str, Any], ...] = (
    {
        "id": KENMORE,
        "business_name": "Riverside Sports Physio Kenmore",
        "address_1": "2063 Moggill Road",
        "address_2": None,
        "city": "Kenmore",
        "state": "QLD",
        "post_code": "4069",
    },
    {
        "id": JINDALEE,
        "business_name": "Riverside Sports Physio Jindalee",
        "address_1": "Shop 7, 11 Goggs Road",
        "address_2": None,
        "city": "Jindalee",
        "state": "QLD",
        "post_code": "4074",
    },
    {
        "id": HEAD_OFFICE,
        "business_name": "Riverside Sports Physio Head Office",
        "address_1": "PO Box 123",
        "address_2": None,
        "city": "Indooroopilly",
        "state": "QLD",
        "post_code": "4068",
    },
)
APPOINTMENT_TYPES: tuple[dict[str, Any], ...] = (
    {"id": INITIAL, "name": "Initial Consultation", "duration_in_minutes": 45},
    {"id": RUNNING, "name": "Running Assessment", "duration_in_minutes": 60},
    {"id": FOLLOW_UP, "name": "Follow-up Consultation", "duration_in_minutes": 30},
)
PRACTITIONERS: tuple[dict[str, Any], ...] = (
    {"id": ALEX, "first_name": "Alex", "last_name": "Chen", "types": (INITIAL, RUNNING)},
    {"id": PRIYA, "first_name": "Priya", "last_name": "Nair", "types": (INITIAL,)},
    {"id": SAM, "first_name": "Sam", "last_name": "Walker", "types": (INITIAL, RUNNING)},
    {"id": JORDAN, "first_name": "Jordan", "last_name": "Lee", "types": (FOLLOW_UP,)},
)
# practitioner → business → weekday (0 = Monday) → working hours, Brisbane time
HOURS: dict[str, dict[str, dict[int, tuple[tuple[int, int], ...]]]] = {
    ALEX: {
        KENMORE: {0: ((7, 12),), 1: ((13, 19),), 2: ((7, 12),), 3: ((13, 19),), 4: ((7, 12),), 5: ((7, 12),)}
    },
    PRIYA: {
        KENMORE: {0: ((12, 18),), 2: ((12, 18),)},
        JINDALEE: {1: ((7, 13),), 3: ((7, 13),), 4: ((13, 19),)},
    },
    SAM: {JINDALEE: {0: ((7, 13),), 1: ((14, 19),), 2: ((7, 13),), 3: ((14, 19),), 5: ((7, 12),)}},
    JORDAN: {KENMORE: dict.fromkeys(range(5), ((7, 19),))},
}
PATIENTS: tuple[dict[str, Any], ...] = (
    {
        "id": "5001",
        "first_name": "Sam",
        "last_name": "Taylor",
        "email": "Sam.Taylor@example.com",
        "patient_phone_numbers": [{"phone_type": "Mobile", "number": "0412 000 111"}],
    },
    {
        "id": "5002",
        "first_name": "Jo",
        "last_name": "Citizen",
        "email": None,
        "patient_phone_numbers": [{"phone_type": "Mobile", "number": "61 412 345 678"}],
    },
    {
        "id": "5003",
        "first_name": "Jo",
        "last_name": "Citizen",
        "email": None,
        "patient_phone_numbers": [{"phone_type": "Home", "number": "(07) 3378 0000"}],
    },
)
PATIENT_FILTERS = frozenset(
    {
        "created_at",
        "date_of_birth",
        "email",
        "first_name",
        "id",
        "last_name",
        "old_reference_id",
        "updated_at",
    }
)
APPOINTMENT_FILTERS = frozenset(
    {
        "appointment_type_id",
        "business_id",
        "cancelled_at",
        "created_at",
        "ends_at",
        "id",
        "patient_id",
        "practitioner_id",
        "starts_at",
        "updated_at",
    }
)
DATETIME_FIELDS = frozenset({"created_at", "updated_at", "starts_at", "ends_at", "cancelled_at"})
BODY = web.RequestKey("json", object)  # the request's JSON body, read once by the middleware
_FILTER_RE = re.compile(r"^(\w+):(>=|<=|!=|~~|=|~|>|<)(.*)$", re.DOTALL)


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: Any) -> datetime:
    value = str(text).strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    moment = datetime.fromisoformat(value)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


@dataclass
class RequestRecord:
    """One request as the stand-in saw it (the control endpoints are not logged)."""

    method: str
    path: str  # "/v1/businesses"
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: Any
    at: float  # time.monotonic()
    status: int = 0


@dataclass
class Fault:
    kind: str  # "status" | "rate_limit" | "malformed" | "shape" | "slow_response" | "foreign_next"
    count: int = 1
    status: int = 500
    retry_after: float | None = None
    reset_in: float | None = None  # X-RateLimit-Reset = now + reset_in (a UNIX time)
    seconds: float = 0.0
    method: str | None = None
    path: str | None = None  # a part of the path the request must contain

    def applies(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (self.path is None or self.path in path)


@dataclass
class Appointment:
    id: str
    starts_at: datetime
    ends_at: datetime
    business_id: str
    practitioner_id: str
    appointment_type_id: str
    patient_id: str
    notes: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    updated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    cancelled_at: datetime | None = None
    cancellation_reason: int | None = None
    cancellation_note: str | None = None

    @property
    def active(self) -> bool:
        return self.cancelled_at is None

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.starts_at < end and start < self.ends_at


class ApiError(Exception):
    def __init__(self, status: int, message: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.errors = status, message, errors or {}


class ClinikoStandIn:
    """The stand-in server and its state. Knob and inspection methods are safe to call from the
    test's thread while requests are served."""

    def __init__(
        self,
        *,
        api_key: str = API_KEY,
        page_size: int = 5,
        lead_minutes: int = 60,
        horizon_days: int = 84,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.api_key = api_key
        self.default_page_size = page_size
        self.lead = timedelta(minutes=lead_minutes)
        self.horizon = timedelta(days=horizon_days)
        self.host = host
        self.port = port
        self._lock = threading.RLock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self.reset()

    # --- state ---------------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to the seeded diary, no knobs turned, an empty request log, real time."""
        with self._lock:
            self.businesses = {b["id"]: dict(b) for b in BUSINESSES}
            self.types = {t["id"]: dict(t) for t in APPOINTMENT_TYPES}
            self.practitioners = {p["id"]: dict(p) for p in PRACTITIONERS}
            self.patients = {p["id"]: json.loads(json.dumps(p)) for p in PATIENTS}
            self.appointments: dict[str, Appointment] = {}
            self.page_size = self.default_page_size
            self.log: list[RequestRecord] = []
            self.faults: list[Fault] = []
            self.delay_s = 0.0
            self.takes_on_create = 0
            self.takes_on_move = 0
            self._fixed_now: datetime | None = None
            self._ids = itertools.count(9001)
            self._patient_ids = itertools.count(6001)

    def now(self) -> datetime:
        with self._lock:
            return self._fixed_now or datetime.now(UTC)

    def set_now(self, moment: datetime | None) -> None:
        """Freeze the stand-in's clock (what "today" and "an hour from now" mean), or unfreeze."""
        with self._lock:
            self._fixed_now = moment.astimezone(UTC) if moment else None

    # --- knobs ---------------------------------------------------------------------------------

    def fail_next(
        self, count: int = 1, status: int = 500, *, method: str | None = None, path: str | None = None
    ) -> None:
        """The next `count` matching requests answer `status` (without being handled)."""
        self._add(Fault("status", count, status=status, method=method, path=path))

    def rate_limit_next(
        self,
        count: int = 1,
        *,
        retry_after: float | None = 1.0,
        reset_in: float | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """The next `count` matching requests answer 429 with Retry-After and/or X-RateLimit-Reset."""
        self._add(
            Fault("rate_limit", count, retry_after=retry_after, reset_in=reset_in, method=method, path=path)
        )

    def malformed_next(
        self, count: int = 1, *, kind: str = "malformed", method: str | None = None, path: str | None = None
    ) -> None:
        """The next `count` matching answers are 200 with broken JSON ("malformed") or JSON of the
        wrong shape ("shape"), or a list whose next page is on another host ("foreign_next")."""
        if kind not in ("malformed", "shape", "foreign_next"):
            raise ValueError(kind)
        self._add(Fault(kind, count, method=method, path=path))

    def slow(self, seconds: float) -> None:
        """Every request waits this long before it is handled (0: off)."""
        with self._lock:
            self.delay_s = seconds

    def slow_response_next(
        self, seconds: float, count: int = 1, *, method: str | None = None, path: str | None = None
    ) -> None:
        """The next `count` matching requests are handled (a POST does create), then answered
        `seconds` late: a client that gave up never hears that it worked."""
        self._add(Fault("slow_response", count, seconds=seconds, method=method, path=path))

    def take_on_create(self, count: int = 1) -> None:
        """The next `count` appointment creations find someone else booked into the same time a
        moment before (between the client's last check and its create)."""
        with self._lock:
            self.takes_on_create += count

    def take_on_move(self, count: int = 1) -> None:
        """The same for the next `count` moves: the new time is booked by someone a moment before."""
        with self._lock:
            self.takes_on_move += count

    def take(
        self,
        practitioner_id: str,
        starts_at: datetime,
        *,
        business_id: str | None = None,
        appointment_type_id: str = INITIAL,
    ) -> str:
        """Someone else (reception, online bookings) books this time now; returns its id."""
        with self._lock:
            business = business_id or next(iter(HOURS[practitioner_id]))
            return self._book_other(
                practitioner_id, starts_at.astimezone(UTC), business, appointment_type_id
            ).id

    def _add(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def _book_other(
        self, practitioner_id: str, starts_at: datetime, business_id: str, type_id: str
    ) -> Appointment:
        duration = timedelta(minutes=self.types[type_id]["duration_in_minutes"])
        other = Appointment(
            id=str(next(self._ids)),
            starts_at=starts_at,
            ends_at=starts_at + duration,
            business_id=business_id,
            practitioner_id=practitioner_id,
            appointment_type_id=type_id,
            patient_id="5999",
            notes="Booked by reception",
        )
        self.appointments[other.id] = other
        return other

    # --- inspection ----------------------------------------------------------------------------

    def requests(self, method: str | None = None, path: str | None = None) -> list[RequestRecord]:
        with self._lock:
            return [
                r
                for r in self.log
                if (method is None or r.method == method) and (path is None or path in r.path)
            ]

    def appointments_at(
        self, practitioner_id: str, starts_at: datetime, *, active: bool = True
    ) -> list[Appointment]:
        """Appointments of a practitioner overlapping the given start (active ones by default)."""
        with self._lock:
            start = starts_at.astimezone(UTC)
            return [
                a
                for a in self.appointments.values()
                if a.practitioner_id == practitioner_id
                and a.overlaps(start, start + timedelta(minutes=1))
                and (a.active or not active)
            ]

    def free_starts(self, business_id: str, practitioner_id: str, type_id: str, day: date) -> list[datetime]:
        """What available_times would answer for one local day (for building expectations)."""
        with self._lock:
            return self._free_starts(business_id, practitioner_id, type_id, day)

    # --- lifecycle -----------------------------------------------------------------------------

    def __enter__(self) -> ClinikoStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> ClinikoStandIn:
        """Serve in a background thread on a free port (or `port`)."""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="cliniko-standin", daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(30)
        return self

    async def _start(self) -> None:
        self._runner = web.AppRunner(self.build_app(), access_log=None, shutdown_timeout=SHUTDOWN_S)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = self._runner.addresses[0][1]

    def stop(self) -> None:
        if self._loop is None:
            return
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        self._loop.close()
        self._loop = None

    async def _stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        # requests a test left waiting (a slow answer) end here, not in a closed loop
        others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    @property
    def base_url(self) -> str:
        """CLINIKO_API_URL for the client."""
        return f"http://{self.host}:{self.port}/v1"

    # --- the HTTP app --------------------------------------------------------------------------

    def build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        get, post, patch, put = (
            app.router.add_get,
            app.router.add_post,
            app.router.add_patch,
            app.router.add_put,
        )
        get("/v1/businesses", self._businesses)
        get("/v1/businesses/{id}", self._business)
        get("/v1/businesses/{id}/practitioners", self._business_practitioners)
        get("/v1/appointment_types", self._appointment_types)
        get("/v1/appointment_types/{id}", self._appointment_type)
        get("/v1/appointment_types/{id}/practitioners", self._type_practitioners)
        get("/v1/practitioners", self._all_practitioners)
        get("/v1/practitioners/{id}", self._practitioner)
        get("/v1/practitioners/{id}/appointment_types", self._practitioner_types)
        get(
            "/v1/businesses/{b}/practitioners/{p}/appointment_types/{t}/available_times",
            self._available_times,
        )
        get(
            "/v1/businesses/{b}/practitioners/{p}/appointment_types/{t}/next_available_time",
            self._next_available,
        )
        get("/v1/patients", self._list_patients)
        get("/v1/patients/{id}", self._patient)
        post("/v1/patients", self._create_patient)
        get("/v1/individual_appointments", self._list_appointments)
        post("/v1/individual_appointments", self._create_appointment)
        get("/v1/individual_appointments/{id}", self._appointment)
        patch("/v1/individual_appointments/{id}", self._update_appointment)
        put("/v1/individual_appointments/{id}", self._update_appointment)
        patch("/v1/individual_appointments/{id}/cancel", self._cancel_appointment)
        get("/v1/individual_appointments/{id}/conflicts", self._conflicts)
        post("/_control/{knob}", self._control)
        get("/_control/{what}", self._control_read)
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Callable[..., Any]) -> web.StreamResponse:
        if request.path.startswith("/_control/"):
            return await handler(request)
        raw = await request.read() if request.can_read_body else b""
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        request[BODY] = body
        record = RequestRecord(
            method=request.method,
            path=request.path,
            query=list(request.query.items()),
            headers=dict(request.headers),
            body=body,
            at=time.monotonic(),
        )
        with self._lock:
            self.log.append(record)
            delay = self.delay_s
        if delay:
            await asyncio.sleep(delay)
        fault = self._take_fault(request.method, request.path)
        response = self._fault_response(fault) if fault else None
        if response is None:
            response = self._refuse(request)
        if response is None:
            try:
                response = await handler(request)
            except ApiError as error:
                response = web.json_response(
                    {"message": error.message, "errors": error.errors}, status=error.status
                )
        if fault and fault.kind == "malformed" and response.status < 300:
            response = web.Response(
                status=200, text='{"practitioners": [{"id": "1", ', content_type="application/json"
            )
        elif fault and fault.kind == "shape" and response.status < 300:
            response = web.json_response({"unexpected": [1, 2, 3]})
        elif fault and fault.kind == "slow_response":
            await asyncio.sleep(fault.seconds)
        record.status = response.status
        return response

    def _take_fault(self, method: str, path: str, *, links: bool = False) -> Fault | None:
        """The first matching fault, used up by one; `links`: only the next-page fault."""
        with self._lock:
            for fault in self.faults:
                if (
                    (fault.kind == "foreign_next") == links
                    and fault.count > 0
                    and fault.applies(method, path)
                ):
                    fault.count -= 1
                    if fault.count == 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def _fault_response(self, fault: Fault) -> web.Response | None:
        if fault.kind == "status":
            return web.json_response({"message": "Something went wrong on the stand-in"}, status=fault.status)
        if fault.kind == "rate_limit":
            headers = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = f"{fault.retry_after:g}"
            if fault.reset_in is not None:
                headers["X-RateLimit-Reset"] = str(int(time.time() + fault.reset_in))
            return web.json_response({"message": "Too many requests"}, status=429, headers=headers)
        return None

    def _refuse(self, request: web.Request) -> web.Response | None:
        """Auth, User-Agent and Accept, as Cliniko asks of every request."""
        header = request.headers.get("Authorization", "")
        user = password = None
        if header.startswith("Basic "):
            try:
                user, _, password = base64.b64decode(header[6:], validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                user = None
        keys = {self.api_key, self.api_key.rsplit("-", 1)[0]}  # with or without the shard suffix
        if user not in keys or password != "":
            return web.json_response({"message": "The API key is missing or not valid"}, status=401)
        if not USER_AGENT_RE.match(request.headers.get("User-Agent", "")):
            return web.json_response(
                {
                    "message": "Send a User-Agent with your app's name and a contact email: 'App (dev@example.com)'"
                },
                status=403,
            )
        if "application/json" not in request.headers.get("Accept", ""):
            return web.json_response({"message": "Only application/json is served"}, status=406)
        return None

    # --- helpers -------------------------------------------------------------------------------

    def _origin(self, request: web.Request) -> str:
        return f"{request.url.origin()}/v1"

    def _page(self, request: web.Request, key: str, items: list[dict[str, Any]]) -> web.Response:
        try:
            per_page = min(100, max(1, int(request.query.get("per_page", "50"))))
            page = max(1, int(request.query.get("page", "1")))
        except ValueError:
            raise ApiError(400, "page and per_page must be numbers") from None
        size = min(per_page, self.page_size)
        chunk = items[(page - 1) * size : page * size]
        rest = [(k, v) for k, v in request.query.items() if k != "page"]

        def link(number: int) -> str:
            return str(request.url.with_query([*rest, ("page", str(number))]))

        links = {"self": link(page)}
        if page * size < len(items):
            links["next"] = link(page + 1)
            if self._take_fault(request.method, request.path, links=True):
                links["next"] = links["next"].replace(str(request.url.origin()), "http://elsewhere.example")
        if page > 1:
            links["previous"] = link(page - 1)
        return web.json_response({key: chunk, "total_entries": len(items), "links": links})

    def _filters(self, request: web.Request, allowed: frozenset[str]) -> list[tuple[str, str, str]]:
        filters = []
        for text in [*request.query.getall("q[]", []), *request.query.getall("q", [])]:
            m = _FILTER_RE.match(text)
            if not m or m.group(1) not in allowed:
                raise ApiError(400, f"Invalid filter: {text.split(':', 1)[0]}")
            name, op, value = m.groups()
            if name in DATETIME_FIELDS and op not in (">=", ">", "<=", "<"):
                raise ApiError(400, f"Invalid operator for {name}")
            filters.append((name, op, value))
        return filters

    @staticmethod
    def _matches(value: Any, op: str, wanted: str) -> bool:
        if isinstance(value, datetime) or value is None and op in (">=", ">", "<=", "<"):
            if value is None:
                return False
            target = parse_iso(wanted)
            return {">=": value >= target, ">": value > target, "<=": value <= target, "<": value < target}[
                op
            ]
        text = "" if value is None else str(value)
        if op == "=":
            return text in wanted.split(",")
        if op == "!=":
            return text != wanted
        if op == "~":
            return wanted.lower() in text.lower()
        if op == "~~":
            pattern = "^" + ".*".join(re.escape(p) for p in wanted.lower().split("%")) + "$"
            return re.match(pattern, text.lower()) is not None
        try:
            number, target_number = float(text), float(wanted)
        except ValueError:
            return False
        return {">=": number >= target_number, ">": number > target_number}.get(
            op, number <= target_number if op == "<=" else number < target_number
        )

    def _filtered(
        self, records: list[dict[str, Any]], filters: list[tuple[str, str, str]]
    ) -> list[dict[str, Any]]:
        return [
            r for r in records if all(self._matches(r.get(name), op, value) for name, op, value in filters)
        ]

    def _get(self, table: dict[str, Any], key: str, what: str) -> Any:
        if key not in table:
            raise ApiError(404, f"{what} not found")
        return table[key]

    # --- businesses, types, practitioners -----------------------------------------------------

    def _business_json(self, request: web.Request, b: dict[str, Any]) -> dict[str, Any]:
        base = self._origin(request)
        return {
            **b,
            "country": "Australia",
            "country_code": "AU",
            "display_name": None,
            "show_in_online_bookings": b["id"] != HEAD_OFFICE,
            "archived_at": None,
            "practitioners": {"links": {"self": f"{base}/businesses/{b['id']}/practitioners"}},
            "links": {"self": f"{base}/businesses/{b['id']}"},
        }

    def _type_json(self, request: web.Request, t: dict[str, Any]) -> dict[str, Any]:
        base = self._origin(request)
        return {
            **t,
            "archived_at": None,
            "show_in_online_bookings": True,
            "practitioners": {"links": {"self": f"{base}/appointment_types/{t['id']}/practitioners"}},
            "links": {"self": f"{base}/appointment_types/{t['id']}"},
        }

    def _practitioner_json(self, request: web.Request, p: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": p["id"],
            "first_name": p["first_name"],
            "last_name": p["last_name"],
            "label": f"{p['first_name']} {p['last_name']}",
            "display_name": f"{p['first_name']} {p['last_name']}",
            "designation": "Physiotherapist",
            "active": True,
            "show_in_online_bookings": True,
            "links": {"self": f"{self._origin(request)}/practitioners/{p['id']}"},
        }

    async def _businesses(self, request: web.Request) -> web.Response:
        with self._lock:
            items = [self._business_json(request, b) for b in self.businesses.values()]
        return self._page(request, "businesses", items)

    async def _business(self, request: web.Request) -> web.Response:
        with self._lock:
            return web.json_response(
                self._business_json(request, self._get(self.businesses, request.match_info["id"], "Business"))
            )

    async def _business_practitioners(self, request: web.Request) -> web.Response:
        with self._lock:
            business = self._get(self.businesses, request.match_info["id"], "Business")["id"]
            items = [
                self._practitioner_json(request, p)
                for p in self.practitioners.values()
                if business in HOURS[p["id"]]
            ]
        return self._page(request, "practitioners", items)

    async def _appointment_types(self, request: web.Request) -> web.Response:
        with self._lock:
            items = [self._type_json(request, t) for t in self.types.values()]
        return self._page(request, "appointment_types", items)

    async def _appointment_type(self, request: web.Request) -> web.Response:
        with self._lock:
            kind = self._get(self.types, request.match_info["id"], "Appointment type")
            return web.json_response(self._type_json(request, kind))

    async def _type_practitioners(self, request: web.Request) -> web.Response:
        with self._lock:
            kind = self._get(self.types, request.match_info["id"], "Appointment type")["id"]
            items = [
                self._practitioner_json(request, p) for p in self.practitioners.values() if kind in p["types"]
            ]
        return self._page(request, "practitioners", items)

    async def _all_practitioners(self, request: web.Request) -> web.Response:
        with self._lock:
            items = [self._practitioner_json(request, p) for p in self.practitioners.values()]
        return self._page(request, "practitioners", items)

    async def _practitioner(self, request: web.Request) -> web.Response:
        with self._lock:
            practitioner = self._get(self.practitioners, request.match_info["id"], "Practitioner")
            return web.json_response(self._practitioner_json(request, practitioner))

    async def _practitioner_types(self, request: web.Request) -> web.Response:
        with self._lock:
            practitioner = self._get(self.practitioners, request.match_info["id"], "Practitioner")
            items = [self._type_json(request, self.types[t]) for t in practitioner["types"]]
        return self._page(request, "appointment_types", items)

    # --- available times -----------------------------------------------------------------------

    def _bookable(self, business_id: str, practitioner_id: str, type_id: str) -> None:
        self._get(self.businesses, business_id, "Business")
        practitioner = self._get(self.practitioners, practitioner_id, "Practitioner")
        self._get(self.types, type_id, "Appointment type")
        if business_id not in HOURS[practitioner_id] or type_id not in practitioner["types"]:
            raise ApiError(404, "That practitioner does not offer this appointment type at this business")

    def _free_starts(self, business_id: str, practitioner_id: str, type_id: str, day: date) -> list[datetime]:
        duration = timedelta(minutes=self.types[type_id]["duration_in_minutes"])
        now = self._fixed_now or datetime.now(UTC)
        earliest, latest = now + self.lead, now + self.horizon
        busy = [a for a in self.appointments.values() if a.practitioner_id == practitioner_id and a.active]
        starts = []
        for first_hour, last_hour in HOURS[practitioner_id].get(business_id, {}).get(day.weekday(), ()):
            moment = datetime.combine(day, clock_time(first_hour), BRISBANE)
            closing = datetime.combine(day, clock_time(last_hour), BRISBANE)
            while moment + duration <= closing:
                start = moment.astimezone(UTC)
                if earliest <= start <= latest and not any(a.overlaps(start, start + duration) for a in busy):
                    starts.append(start)
                moment += duration
        return starts

    async def _available_times(self, request: web.Request) -> web.Response:
        b, p, t = request.match_info["b"], request.match_info["p"], request.match_info["t"]
        try:
            first = date.fromisoformat(request.query["from"])
            last = date.fromisoformat(request.query["to"])
        except (KeyError, ValueError):
            raise ApiError(400, TIME_FRAME_ERROR) from None
        with self._lock:
            self._bookable(b, p, t)
            today = (self._fixed_now or datetime.now(UTC)).astimezone(BRISBANE).date()
            # "from and to cannot be more than 7 days apart", read strictly: 7 days, both included
            if last < first or (last - first).days > 6 or first < today:
                raise ApiError(400, TIME_FRAME_ERROR)
            starts = [
                s
                for n in range((last - first).days + 1)
                for s in self._free_starts(b, p, t, first + timedelta(n))
            ]
        return self._page(request, "available_times", [{"appointment_start": iso(s)} for s in starts])

    async def _next_available(self, request: web.Request) -> web.Response:
        b, p, t = request.match_info["b"], request.match_info["p"], request.match_info["t"]
        with self._lock:
            self._bookable(b, p, t)
            today = (self._fixed_now or datetime.now(UTC)).astimezone(BRISBANE).date()
            for n in range(self.horizon.days + 1):
                starts = self._free_starts(b, p, t, today + timedelta(n))
                if starts:
                    return web.json_response({"total_entries": 1, "appointment_start": iso(starts[0])})
        return web.json_response({"total_entries": 0, "appointment_start": None})

    # --- patients ------------------------------------------------------------------------------

    def _patient_json(self, request: web.Request, p: dict[str, Any]) -> dict[str, Any]:
        return {
            **p,
            "archived_at": None,
            "label": f"{p['first_name']} {p['last_name']}",
            "links": {"self": f"{self._origin(request)}/patients/{p['id']}"},
        }

    async def _list_patients(self, request: web.Request) -> web.Response:
        filters = self._filters(request, PATIENT_FILTERS)
        with self._lock:
            items = [
                self._patient_json(request, p) for p in self._filtered(list(self.patients.values()), filters)
            ]
        return self._page(request, "patients", items)

    async def _patient(self, request: web.Request) -> web.Response:
        with self._lock:
            return web.json_response(
                self._patient_json(request, self._get(self.patients, request.match_info["id"], "Patient"))
            )

    async def _create_patient(self, request: web.Request) -> web.Response:
        body = request[BODY]
        if not isinstance(body, dict):
            raise ApiError(400, "The body must be a JSON object")
        errors = {
            name: ["can't be blank"]
            for name in ("first_name", "last_name")
            if not isinstance(body.get(name), str) or not body[name].strip()
        }
        email = body.get("email")
        if email not in (None, "") and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", str(email)):
            errors["email"] = ["is invalid"]
        phones = body.get("patient_phone_numbers") or []
        if not isinstance(phones, list) or any(
            not isinstance(n, dict)
            or n.get("phone_type") not in PHONE_TYPES
            or not str(n.get("number", "")).strip()
            for n in phones
        ):
            errors["patient_phone_numbers"] = ["are invalid"]
        if errors:
            raise ApiError(422, "Validation failed", errors)
        with self._lock:
            patient = {
                "id": str(next(self._patient_ids)),
                "first_name": body["first_name"].strip(),
                "last_name": body["last_name"].strip(),
                "email": email or None,
                "patient_phone_numbers": [
                    {"phone_type": n["phone_type"], "number": str(n["number"])} for n in phones
                ],
            }
            self.patients[patient["id"]] = patient
            answer = self._patient_json(request, patient)
        return web.json_response(answer, status=201, headers={"Location": answer["links"]["self"]})

    # --- individual appointments ---------------------------------------------------------------

    def _appointment_json(self, request: web.Request, a: Appointment) -> dict[str, Any]:
        base = self._origin(request)
        patient = self.patients.get(a.patient_id)
        return {
            "id": a.id,
            "starts_at": iso(a.starts_at),
            "ends_at": iso(a.ends_at),
            "created_at": iso(a.created_at),
            "updated_at": iso(a.updated_at),
            "cancelled_at": iso(a.cancelled_at),
            "cancellation_reason": a.cancellation_reason,
            "cancellation_note": a.cancellation_note,
            "deleted_at": None,
            "archived_at": None,
            "notes": a.notes,
            "did_not_arrive": False,
            "patient_arrived": False,
            "patient_name": f"{patient['first_name']} {patient['last_name']}" if patient else "Someone Else",
            "appointment_type": {"links": {"self": f"{base}/appointment_types/{a.appointment_type_id}"}},
            "business": {"links": {"self": f"{base}/businesses/{a.business_id}"}},
            "practitioner": {"links": {"self": f"{base}/practitioners/{a.practitioner_id}"}},
            "patient": {"links": {"self": f"{base}/patients/{a.patient_id}"}},
            "conflicts": {"links": {"self": f"{base}/individual_appointments/{a.id}/conflicts"}},
            "links": {"self": f"{base}/individual_appointments/{a.id}"},
        }

    async def _list_appointments(self, request: web.Request) -> web.Response:
        filters = self._filters(request, APPOINTMENT_FILTERS)
        with self._lock:
            active = [asdict(a) | {"_a": a} for a in self.appointments.values() if a.active]
            items = [self._appointment_json(request, r["_a"]) for r in self._filtered(active, filters)]
        return self._page(request, "individual_appointments", items)

    async def _appointment(self, request: web.Request) -> web.Response:
        with self._lock:
            found = self._get(self.appointments, request.match_info["id"], "Individual appointment")
            return web.json_response(self._appointment_json(request, found))

    async def _create_appointment(self, request: web.Request) -> web.Response:
        body = request[BODY]
        if not isinstance(body, dict):
            raise ApiError(400, "The body must be a JSON object")
        required = ("starts_at", "patient_id", "practitioner_id", "appointment_type_id", "business_id")
        errors = {name: ["can't be blank"] for name in required if not body.get(name)}
        if errors:
            raise ApiError(422, "Validation failed", errors)
        with self._lock:
            for name, table in (
                ("patient_id", self.patients),
                ("practitioner_id", self.practitioners),
                ("appointment_type_id", self.types),
                ("business_id", self.businesses),
            ):
                if str(body[name]) not in table:
                    raise ApiError(422, "Validation failed", {name: ["does not exist"]})
            try:
                starts = parse_iso(body["starts_at"])
                ends = parse_iso(body["ends_at"]) if body.get("ends_at") else None
            except ValueError:
                raise ApiError(422, "Validation failed", {"starts_at": ["is not a time"]}) from None
            type_id = str(body["appointment_type_id"])
            if self.takes_on_create > 0:
                self.takes_on_create -= 1
                self._book_other(str(body["practitioner_id"]), starts, str(body["business_id"]), type_id)
            appointment = Appointment(
                id=str(next(self._ids)),
                starts_at=starts,
                ends_at=ends or starts + timedelta(minutes=self.types[type_id]["duration_in_minutes"]),
                business_id=str(body["business_id"]),
                practitioner_id=str(body["practitioner_id"]),
                appointment_type_id=type_id,
                patient_id=str(body["patient_id"]),
                notes=body.get("notes"),
            )
            # Like Cliniko: a clash is not refused; GET …/conflicts reports it.
            self.appointments[appointment.id] = appointment
            answer = self._appointment_json(request, appointment)
        return web.json_response(answer, status=201, headers={"Location": answer["links"]["self"]})

    async def _update_appointment(self, request: web.Request) -> web.Response:
        body = request[BODY]
        if not isinstance(body, dict):
            raise ApiError(400, "The body must be a JSON object")
        with self._lock:
            found: Appointment = self._get(
                self.appointments, request.match_info["id"], "Individual appointment"
            )
            for name, table in (
                ("practitioner_id", self.practitioners),
                ("business_id", self.businesses),
                ("appointment_type_id", self.types),
            ):
                if name in body and str(body[name]) not in table:
                    raise ApiError(422, "Validation failed", {name: ["does not exist"]})
                if name in body:
                    setattr(found, name, str(body[name]))
            if "starts_at" in body:
                found.starts_at = parse_iso(body["starts_at"])
                if self.takes_on_move > 0:
                    self.takes_on_move -= 1
                    self._book_other(
                        found.practitioner_id, found.starts_at, found.business_id, found.appointment_type_id
                    )
            if "ends_at" in body:
                duration = timedelta(minutes=self.types[found.appointment_type_id]["duration_in_minutes"])
                found.ends_at = parse_iso(body["ends_at"]) if body["ends_at"] else found.starts_at + duration
            if "notes" in body:
                found.notes = body["notes"]
            if found.ends_at <= found.starts_at:
                raise ApiError(422, "Validation failed", {"ends_at": ["must be after starts_at"]})
            found.updated_at = datetime.now(UTC)
            return web.json_response(self._appointment_json(request, found))

    async def _cancel_appointment(self, request: web.Request) -> web.Response:
        body = request[BODY] if isinstance(request[BODY], dict) else {}
        if body.get("cancellation_reason") not in CANCELLATION_REASONS:
            raise ApiError(422, "Validation failed", {"cancellation_reason": ["is not included in the list"]})
        with self._lock:
            found: Appointment = self._get(
                self.appointments, request.match_info["id"], "Individual appointment"
            )
            if found.active:
                found.cancelled_at = self._fixed_now or datetime.now(UTC)
                found.cancellation_reason = body["cancellation_reason"]
                found.cancellation_note = body.get("cancellation_note")
        return web.Response(status=204)

    async def _conflicts(self, request: web.Request) -> web.Response:
        with self._lock:
            found: Appointment = self._get(
                self.appointments, request.match_info["id"], "Individual appointment"
            )
            exist = found.active and any(
                other.id != found.id
                and other.active
                and other.practitioner_id == found.practitioner_id
                and other.overlaps(found.starts_at, found.ends_at)
                for other in self.appointments.values()
            )
        return web.json_response({"conflicts": {"exist": exist}})

    # --- control endpoints (for a stand-in running as its own process) -------------------------

    async def _control(self, request: web.Request) -> web.Response:
        knob = request.match_info["knob"]
        body = await request.json() if request.can_read_body else {}
        extra = {k: body[k] for k in ("method", "path") if k in body}
        if knob == "reset":
            self.reset()
        elif knob == "fail":
            self.fail_next(int(body.get("count", 1)), int(body.get("status", 500)), **extra)
        elif knob == "rate_limit":
            self.rate_limit_next(
                int(body.get("count", 1)),
                retry_after=body.get("retry_after", 1.0),
                reset_in=body.get("reset_in"),
                **extra,
            )
        elif knob == "malformed":
            self.malformed_next(int(body.get("count", 1)), kind=body.get("kind", "malformed"), **extra)
        elif knob == "slow":
            self.slow(float(body.get("seconds", 0)))
        elif knob == "slow_response":
            self.slow_response_next(float(body["seconds"]), int(body.get("count", 1)), **extra)
        elif knob == "take_on_create":
            self.take_on_create(int(body.get("count", 1)))
        elif knob == "take_on_move":
            self.take_on_move(int(body.get("count", 1)))
        elif knob == "take":
            taken = self.take(
                str(body["practitioner_id"]),
                parse_iso(body["starts_at"]),
                business_id=body.get("business_id"),
                appointment_type_id=str(body.get("appointment_type_id", INITIAL)),
            )
            return web.json_response({"id": taken})
        elif knob == "now":
            self.set_now(parse_iso(body["now"]) if body.get("now") else None)
        else:
            return web.json_response({"message": f"no knob {knob}"}, status=404)
        return web.json_response({"ok": True})

    async def _control_read(self, request: web.Request) -> web.Response:
        what = request.match_info["what"]
        with self._lock:
            if what == "requests":
                return web.json_response([asdict(r) for r in self.log])
            if what == "appointments":
                return web.json_response(
                    [
                        asdict(a) | {k: iso(getattr(a, k)) for k in DATETIME_FIELDS}
                        for a in self.appointments.values()
                    ]
                )
        return web.json_response({"message": f"nothing called {what}"}, status=404)


class RemoteControl:
    """The knobs of a stand-in running as a subprocess (`python -m tests.standins.cliniko`)."""

    def __init__(self, base_url: str) -> None:
        self.root = base_url.rstrip("/").removesuffix("/v1")

    def _send(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body or {}).encode() if method == "POST" else None
        request = urllib.request.Request(
            f"{self.root}/_control/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"null")

    def reset(self) -> None:
        self._send("POST", "reset")

    def fail_next(self, count: int = 1, status: int = 500, **match: str) -> None:
        self._send("POST", "fail", {"count": count, "status": status, **match})

    def rate_limit_next(self, count: int = 1, retry_after: float | None = 1.0, **match: str) -> None:
        self._send("POST", "rate_limit", {"count": count, "retry_after": retry_after, **match})

    def malformed_next(self, count: int = 1, kind: str = "malformed", **match: str) -> None:
        self._send("POST", "malformed", {"count": count, "kind": kind, **match})

    def slow(self, seconds: float) -> None:
        self._send("POST", "slow", {"seconds": seconds})

    def take_on_create(self, count: int = 1) -> None:
        self._send("POST", "take_on_create", {"count": count})

    def take_on_move(self, count: int = 1) -> None:
        self._send("POST", "take_on_move", {"count": count})

    def take(self, practitioner_id: str, starts_at: datetime, **extra: str) -> str:
        return self._send(
            "POST", "take", {"practitioner_id": practitioner_id, "starts_at": iso(starts_at), **extra}
        )["id"]

    def set_now(self, moment: datetime | None) -> None:
        self._send("POST", "now", {"now": iso(moment)})

    def requests(self) -> list[dict[str, Any]]:
        return self._send("GET", "requests")

    def appointments(self) -> list[dict[str, Any]]:
        return self._send("GET", "appointments")


async def _serve(standin: ClinikoStandIn, host: str, port: int) -> None:
    runner = web.AppRunner(standin.build_app(), access_log=None, shutdown_timeout=SHUTDOWN_S)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    bound = runner.addresses[0][1]
    print(f"cliniko stand-in listening on http://{host}:{bound}/v1 (API key {standin.api_key})", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: a free port (printed)")
    parser.add_argument("--api-key", default=API_KEY)
    parser.add_argument("--page-size", type=int, default=5)
    parser.add_argument("--lead-minutes", type=int, default=60)
    args = parser.parse_args(argv)
    standin = ClinikoStandIn(api_key=args.api_key, page_size=args.page_size, lead_minutes=args.lead_minutes)
    asyncio.run(_serve(standin, args.host, args.port))


if __name__ == "__main__":
    main()
