"""The Cliniko client (bot/booking/cliniko.py) against the Cliniko stand-in over real HTTP: what
Cliniko's documentation asks of a client, and every way a call can fail.

Waiting is never real: the client's clock and sleep are a fake that moves time forward when the
client sleeps, so rate limits and Retry-After are checked in fake seconds, in milliseconds."""

from __future__ import annotations

import asyncio
import base64
import logging
import subprocess
import sys
from collections.abc import Awaitable, Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import pytest

from bot.booking.cliniko import (
    CancellationReason,
    ClinikoAuthError,
    ClinikoBadResponse,
    ClinikoClient,
    ClinikoConfigError,
    ClinikoNotFound,
    ClinikoRateLimited,
    ClinikoRejected,
    ClinikoUnavailable,
    NewPatient,
    RateLimiter,
    base_url_for,
    shard_of,
    window_days,
)
from tests.standins.cliniko import (
    ALEX,
    API_KEY,
    INITIAL,
    KENMORE,
    RUNNING,
    ClinikoStandIn,
    RemoteControl,
)

T = TypeVar("T")
CONTACT = "it@clinic.example"
NOW = datetime(2026, 12, 13, 20, 0, tzinfo=timezone.utc)  # Monday 14 Dec, 6:00 am in Brisbane
MONDAY = date(2026, 12, 14)


class FakeTime:
    """A clock that only moves when the client sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


class RecordingLimiter(RateLimiter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.granted: list[float] = []

    async def acquire(self) -> None:
        await super().acquire()
        self.granted.append(self.clock())


@pytest.fixture(scope="module")
def standin() -> Iterator[ClinikoStandIn]:
    with ClinikoStandIn() as server:
        yield server


@pytest.fixture(autouse=True)
def fresh(standin: ClinikoStandIn) -> None:
    standin.reset()
    standin.set_now(NOW)


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


def make(standin: ClinikoStandIn, fake: FakeTime, **options: Any) -> ClinikoClient:
    options.setdefault("contact_email", CONTACT)
    options.setdefault("base_url", standin.base_url)
    return ClinikoClient(options.pop("api_key", API_KEY), clock=fake.clock, sleep=fake.sleep, **options)


def run(client: ClinikoClient, call: Awaitable[T]) -> T:
    async def go() -> T:
        async with client:
            return await call

    return asyncio.run(go())


# --- what every request carries ----------------------------------------------------------------


def test_base_url_comes_from_the_keys_shard() -> None:
    assert base_url_for("MS0xLWl4SzYYYYdtR3V2-au2") == "https://api.au2.cliniko.com/v1"
    assert base_url_for("MS0xLWl4SzYY-uk1") == "https://api.uk1.cliniko.com/v1"
    assert base_url_for("MS0xLWl4SzYY") == "https://api.au1.cliniko.com/v1"  # older keys: au1
    assert shard_of("abc-not-a-shard") == "au1"
    assert base_url_for("key-au2", "http://127.0.0.1:9/v1/") == "http://127.0.0.1:9/v1"  # the setting wins


def test_every_request_has_basic_auth_accept_and_a_user_agent(
    standin: ClinikoStandIn, fake: FakeTime
) -> None:
    client = make(standin, fake)
    run(client, client.businesses())
    [request] = standin.requests()
    expected = "Basic " + base64.b64encode(f"{API_KEY}:".encode()).decode()
    assert request.headers["Authorization"] == expected  # the key as user, an empty password
    assert request.headers["Accept"] == "application/json"
    assert request.headers["User-Agent"] == f"Physio triage assistant ({CONTACT})"


def test_the_key_works_with_or_without_its_shard_suffix(standin: ClinikoStandIn, fake: FakeTime) -> None:
    client = make(standin, fake, api_key=API_KEY.rsplit("-", 1)[0])
    assert len(run(client, client.businesses())) == 3


def test_no_key_or_no_contact_email_is_refused_before_any_request(standin: ClinikoStandIn) -> None:
    with pytest.raises(ClinikoConfigError):
        ClinikoClient("", contact_email=CONTACT)
    with pytest.raises(ClinikoConfigError, match="CLINIKO_CONTACT_EMAIL"):
        ClinikoClient(API_KEY, contact_email="")
    assert standin.requests() == []


def test_the_standin_refuses_what_cliniko_would(standin: ClinikoStandIn) -> None:
    async def raw(headers: dict[str, str]) -> int:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{standin.base_url}/businesses", headers=headers) as response,
        ):
            return response.status

    auth = "Basic " + base64.b64encode(f"{API_KEY}:".encode()).decode()
    ok = {"Authorization": auth, "Accept": "application/json", "User-Agent": f"Test ({CONTACT})"}
    assert asyncio.run(raw(ok)) == 200
    assert asyncio.run(raw({**ok, "User-Agent": "Python/3.10 aiohttp"})) == 403  # no contact email
    assert asyncio.run(raw({**ok, "Authorization": "Basic " + base64.b64encode(b"wrong:").decode()})) == 401


def test_from_settings(monkeypatch: pytest.MonkeyPatch, standin: ClinikoStandIn) -> None:
    monkeypatch.setenv("CLINIKO_API_KEY", API_KEY)
    monkeypatch.setenv("CLINIKO_API_URL", standin.base_url)
    monkeypatch.setenv("CLINIKO_CONTACT_EMAIL", CONTACT)
    monkeypatch.setenv("CLINIKO_TIMEOUT_S", "2.5")
    monkeypatch.setenv("CLINIKO_REQUESTS_PER_MINUTE", "50")
    client = ClinikoClient.from_settings()
    assert client.base_url == standin.base_url
    assert client.timeout_s == 2.5 and client.limiter.per_minute == 50
    assert [b.name for b in run(client, client.businesses())][0] == "Riverside Sports Physio Kenmore"


# --- lists -------------------------------------------------------------------------------------


def test_lists_follow_links_next(standin: ClinikoStandIn, fake: FakeTime) -> None:
    standin.page_size = 2
    client = make(standin, fake)
    businesses = run(client, client.businesses())
    assert [b.id for b in businesses] == ["1001", "1002", "1003"]
    first, second = standin.requests()
    assert ("page", "2") in second.query and ("page", "2") not in first.query
    assert ("per_page", "100") in first.query  # asks for Cliniko's largest page


def test_a_next_page_on_another_host_is_not_followed(standin: ClinikoStandIn, fake: FakeTime) -> None:
    standin.page_size = 2
    standin.malformed_next(kind="foreign_next")
    client = make(standin, fake)
    with pytest.raises(ClinikoBadResponse, match="another host"):
        run(client, client.businesses())
    assert len(standin.requests()) == 1


def test_business_fields(standin: ClinikoStandIn, fake: FakeTime) -> None:
    client = make(standin, fake)
    kenmore = run(client, client.business(KENMORE))
    assert kenmore.name == "Riverside Sports Physio Kenmore"
    assert kenmore.address == "2063 Moggill Road, Kenmore QLD 4069"


def test_practitioners_at_a_business_who_offer_a_type(standin: ClinikoStandIn, fake: FakeTime) -> None:
    client = make(standin, fake)
    at_kenmore = run(client, client.practitioners(business_id=KENMORE))
    assert [p.first_name for p in at_kenmore] == ["Alex", "Priya", "Jordan"]
    client = make(standin, fake)
    running_at_kenmore = run(client, client.practitioners(business_id=KENMORE, appointment_type_id=RUNNING))
    assert [p.first_name for p in running_at_kenmore] == ["Alex"]
    client = make(standin, fake)
    assert [t.name for t in run(client, client.practitioner_appointment_types(ALEX))] == [
        "Initial Consultation",
        "Running Assessment",
    ]


# --- available times ---------------------------------------------------------------------------


def test_available_times_are_utc_and_every_page_is_read(standin: ClinikoStandIn, fake: FakeTime) -> None:
    client = make(standin, fake)
    starts = run(client, client.available_times(KENMORE, ALEX, INITIAL, MONDAY, MONDAY + timedelta(days=6)))
    expected = [
        s for n in range(7) for s in standin.free_starts(KENMORE, ALEX, INITIAL, MONDAY + timedelta(n))
    ]
    assert starts == expected and len(starts) > standin.page_size  # more than one page
    assert all(s.tzinfo == timezone.utc for s in starts)
    assert len(standin.requests()) == -(-len(expected) // standin.page_size)


def test_a_window_longer_than_seven_days_is_never_sent(standin: ClinikoStandIn, fake: FakeTime) -> None:
    client = make(standin, fake)
    with pytest.raises(ValueError):
        run(client, client.available_times(KENMORE, ALEX, INITIAL, MONDAY, MONDAY + timedelta(days=7)))
    assert standin.requests() == []
    assert window_days(MONDAY, 14) == [
        (MONDAY, MONDAY + timedelta(days=6)),
        (MONDAY + timedelta(days=7), MONDAY + timedelta(days=13)),
    ]


def test_next_available_time(standin: ClinikoStandIn, fake: FakeTime) -> None:
    client = make(standin, fake)
    first = run(client, client.next_available_time(KENMORE, ALEX, RUNNING))
    assert first == standin.free_starts(KENMORE, ALEX, RUNNING, MONDAY)[0]


# --- patients and appointments -----------------------------------------------------------------


def test_patients_by_email_ignore_case(standin: ClinikoStandIn, fake: FakeTime) -> None:
    client = make(standin, fake)
    [sam] = run(client, client.find_patients(email="sam.taylor@example.com"))
    assert (sam.id, sam.first_name, sam.phone_numbers) == ("5001", "Sam", ("0412 000 111",))
    [request] = standin.requests()
    assert ("q[]", "email:~sam.taylor@example.com") in request.query


def test_create_patient_with_only_what_was_given(standin: ClinikoStandIn, fake: FakeTime) -> None:
    client = make(standin, fake)
    created = run(client, client.create_patient(NewPatient("Ana", "Lopez", phone="+61412999888")))
    assert standin.patients[created.id] == {
        "id": created.id,
        "first_name": "Ana",
        "last_name": "Lopez",
        "email": None,
        "patient_phone_numbers": [{"phone_type": "Mobile", "number": "61412999888"}],
    }


def test_a_refused_create_is_rejected_not_unavailable(standin: ClinikoStandIn, fake: FakeTime) -> None:
    client = make(standin, fake)
    with pytest.raises(ClinikoRejected) as failure:
        run(client, client.create_patient(NewPatient("Ana", "")))
    assert failure.value.status == 422


def test_appointment_round_trip(standin: ClinikoStandIn, fake: FakeTime) -> None:
    start = standin.free_starts(KENMORE, ALEX, INITIAL, MONDAY)[0]

    async def scenario(client: ClinikoClient) -> None:
        made = await client.create_appointment(
            starts_at=start,
            business_id=KENMORE,
            practitioner_id=ALEX,
            appointment_type_id=INITIAL,
            patient_id="5001",
            notes="Booked by a test",
        )
        assert made.ends_at - made.starts_at == timedelta(minutes=45)  # from the appointment type
        assert (made.practitioner_id, made.business_id, made.patient_id) == (ALEX, KENMORE, "5001")
        assert not await client.has_conflicts(made.id)
        assert [a.id for a in await client.appointments(patient_id="5001", starts_from=start)] == [made.id]
        moved = await client.update_appointment(
            made.id, starts_at=start + timedelta(hours=1), ends_at=start + timedelta(hours=1, minutes=45)
        )
        assert moved.starts_at == start + timedelta(hours=1)
        await client.cancel_appointment(made.id, CancellationReason.AWAY, "Away for work")
        assert (await client.appointment(made.id)).cancelled

    client = make(standin, fake)
    run(client, scenario(client))
    [stored] = standin.appointments.values()
    assert (stored.cancellation_reason, stored.cancellation_note) == (40, "Away for work")


def test_unknown_appointment_is_not_found(standin: ClinikoStandIn, fake: FakeTime) -> None:
    client = make(standin, fake)
    with pytest.raises(ClinikoNotFound):
        run(client, client.appointment("123456"))
    assert len(standin.requests()) == 1  # a 404 is an answer: not retried


# --- rate limits -------------------------------------------------------------------------------


def test_at_most_n_requests_in_any_minute(standin: ClinikoStandIn, fake: FakeTime) -> None:
    limiter = RecordingLimiter(3, clock=fake.clock, sleep=fake.sleep)
    client = make(standin, fake, limiter=limiter)

    async def seven() -> None:
        await asyncio.gather(*(client.business(KENMORE) for _ in range(7)))

    run(client, seven())
    assert len(standin.requests()) == 7
    granted = limiter.granted
    assert all(sum(1 for g in granted if start <= g < start + 60) <= 3 for start in granted)
    assert granted[-1] >= 120  # 7 requests at 3 a minute take two fake minutes


def test_the_default_limit_is_cliniko_s_200_a_minute(fake: FakeTime) -> None:
    client = ClinikoClient(API_KEY, contact_email=CONTACT, clock=fake.clock, sleep=fake.sleep)
    assert client.limiter.per_minute == 200

    async def count() -> None:
        for _ in range(201):
            await client.limiter.acquire()

    asyncio.run(count())
    assert fake.now == 60.0  # the 201st waited for the first to leave the window


def test_429_retry_after_is_honoured_then_the_read_succeeds(standin: ClinikoStandIn, fake: FakeTime) -> None:
    standin.rate_limit_next(retry_after=3)
    client = make(standin, fake)
    assert run(client, client.business(KENMORE)).id == KENMORE
    first, second = standin.requests()
    assert (first.status, second.status) == (429, 200)
    assert fake.sleeps == [3.0] and fake.now == 3.0  # nothing sent before Retry-After


def test_429_x_ratelimit_reset_is_honoured(standin: ClinikoStandIn, fake: FakeTime) -> None:
    standin.rate_limit_next(retry_after=None, reset_in=3)
    client = make(standin, fake)  # the real wall clock reads the UNIX time in the header
    assert run(client, client.business(KENMORE)).id == KENMORE
    assert len(standin.requests()) == 2
    assert len(fake.sleeps) == 1 and 1.5 <= fake.sleeps[0] <= 3.0


def test_a_long_429_wait_fails_fast_and_holds_back_later_requests(
    standin: ClinikoStandIn, fake: FakeTime
) -> None:
    standin.rate_limit_next(retry_after=120)
    client = make(standin, fake)

    async def scenario() -> None:
        with pytest.raises(ClinikoRateLimited) as failure:
            await client.business(KENMORE)
        assert failure.value.retry_after_s == 120
        with pytest.raises(ClinikoRateLimited):  # still inside Cliniko's wait: not even sent
            await client.business(KENMORE)
        assert len(standin.requests()) == 1
        fake.now += 121
        assert (await client.business(KENMORE)).id == KENMORE

    run(client, scenario())
    assert len(standin.requests()) == 2


# --- retries: reads only -----------------------------------------------------------------------


def test_a_read_is_retried_a_bounded_number_of_times(standin: ClinikoStandIn, fake: FakeTime) -> None:
    standin.fail_next(10, 503)
    client = make(standin, fake)
    with pytest.raises(ClinikoUnavailable, match="HTTP 503"):
        run(client, client.businesses())
    assert len(standin.requests()) == 3  # one try and two retries
    assert fake.sleeps == [0.25, 0.5]  # with a short back-off


def test_a_read_recovers_after_one_5xx(standin: ClinikoStandIn, fake: FakeTime) -> None:
    standin.fail_next(1, 502)
    client = make(standin, fake)
    assert len(run(client, client.businesses())) == 3
    assert [r.status for r in standin.requests()] == [502, 200]


def test_a_post_is_never_retried(standin: ClinikoStandIn, fake: FakeTime) -> None:
    standin.fail_next(1, 500, method="POST")
    client = make(standin, fake)
    before = dict(standin.patients)
    with pytest.raises(ClinikoUnavailable):
        run(client, client.create_patient(NewPatient("Ana", "Lopez", email="ana@example.com")))
    assert len(standin.requests(method="POST")) == 1
    assert standin.patients == before


def test_a_post_is_not_retried_after_a_429_either(standin: ClinikoStandIn, fake: FakeTime) -> None:
    standin.rate_limit_next(retry_after=1, method="POST")
    client = make(standin, fake)
    with pytest.raises(ClinikoRateLimited):
        run(client, client.create_patient(NewPatient("Ana", "Lopez")))
    assert len(standin.requests(method="POST")) == 1


def test_a_patch_is_never_retried(standin: ClinikoStandIn, fake: FakeTime) -> None:
    appointment_id = standin.take(ALEX, standin.free_starts(KENMORE, ALEX, INITIAL, MONDAY)[0])
    standin.fail_next(1, 503, method="PATCH")
    client = make(standin, fake)
    with pytest.raises(ClinikoUnavailable):
        run(client, client.cancel_appointment(appointment_id))
    assert len(standin.requests(method="PATCH")) == 1
    assert standin.appointments[appointment_id].active


def test_a_timeout_is_unavailable_and_not_waited_for_twice(standin: ClinikoStandIn, fake: FakeTime) -> None:
    standin.slow(1.0)
    client = make(standin, fake, timeout_s=0.2)
    with pytest.raises(ClinikoUnavailable, match="no answer within 0.2 s"):
        run(client, client.businesses())
    assert len(standin.requests()) == 1


def test_a_refused_connection_is_unavailable_after_retries(fake: FakeTime) -> None:
    with ClinikoStandIn() as gone:
        url = gone.base_url  # a port nothing listens on once it stops
    client = ClinikoClient(API_KEY, contact_email=CONTACT, base_url=url, clock=fake.clock, sleep=fake.sleep)
    with pytest.raises(ClinikoUnavailable, match="ClientConnectorError"):
        run(client, client.businesses())
    assert fake.sleeps == [0.25, 0.5]


# --- answers that are not usable ---------------------------------------------------------------


def test_401_is_an_auth_error_and_not_retried(standin: ClinikoStandIn, fake: FakeTime) -> None:
    client = make(standin, fake, api_key="MS0xLXdyb25n-au1")
    with pytest.raises(ClinikoAuthError, match="401"):
        run(client, client.businesses())
    assert len(standin.requests()) == 1


def test_malformed_json_is_a_bad_response(standin: ClinikoStandIn, fake: FakeTime) -> None:
    standin.malformed_next()
    client = make(standin, fake)
    with pytest.raises(ClinikoBadResponse, match="not JSON"):
        run(client, client.businesses())
    assert len(standin.requests()) == 1


def test_the_wrong_shape_is_a_bad_response(standin: ClinikoStandIn, fake: FakeTime) -> None:
    standin.malformed_next(kind="shape")
    client = make(standin, fake)
    with pytest.raises(ClinikoBadResponse, match="'businesses'"):
        run(client, client.businesses())
    standin.malformed_next(kind="shape", path="/conflicts")
    appointment_id = standin.take(ALEX, standin.free_starts(KENMORE, ALEX, INITIAL, MONDAY)[0])
    client = make(standin, fake)
    with pytest.raises(ClinikoBadResponse):
        run(client, client.has_conflicts(appointment_id))


def test_failures_are_logged_without_patient_details(
    standin: ClinikoStandIn, fake: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    standin.fail_next(5, 503, path="/patients")
    client = make(standin, fake)
    with caplog.at_level(logging.WARNING, logger="bot.booking.cliniko"), pytest.raises(ClinikoUnavailable):
        run(client, client.find_patients(email="private.person@example.com", last_name="Privateson"))
    assert "GET /v1/patients: HTTP 503" in caplog.text
    assert "private" not in caplog.text.lower() and "example.com" not in caplog.text
    caplog.clear()
    standin.fail_next(1, 500, path="/cancel")
    client = make(standin, fake)
    with caplog.at_level(logging.WARNING, logger="bot.booking.cliniko"), pytest.raises(ClinikoUnavailable):
        run(client, client.cancel_appointment("9123"))
    assert "PATCH /v1/individual_appointments/:id/cancel: HTTP 500" in caplog.text


# --- the stand-in as its own process (for end-to-end tests) -----------------------------------


def test_the_standin_runs_as_a_process_with_remote_knobs(fake: FakeTime) -> None:
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.standins.cliniko", "--port", "0"],
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # printed once it is listening
        url = line.split()[4]
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
        control = RemoteControl(url)
        control.set_now(NOW)
        control.fail_next(1, 503)
        client = ClinikoClient(
            API_KEY, contact_email=CONTACT, base_url=url, clock=fake.clock, sleep=fake.sleep
        )
        start = run(client, client.next_available_time(KENMORE, ALEX, INITIAL))
        assert start is not None and start > NOW
        control.take(ALEX, start)
        client = ClinikoClient(
            API_KEY, contact_email=CONTACT, base_url=url, clock=fake.clock, sleep=fake.sleep
        )
        assert run(client, client.next_available_time(KENMORE, ALEX, INITIAL)) > start
        assert [r["status"] for r in control.requests()] == [503, 200, 200]
        assert [a["patient_id"] for a in control.appointments()] == ["5999"]
    finally:
        process.terminate()
        process.wait(10)
