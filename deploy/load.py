"""Simulated patients doing whole triages over Rasa's REST channel, and the load they make.

Shared by the benchmark (scripts/bench.py) and the soak test (tests/e2e/test_faults.py). A
patient answers every question, some with the buttons' titles (a tap sends its title) and some in
free text as a runner would type, and some go on to request a booking. Everything is seeded, so
two runs send the same conversations.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from statistics import median

import aiohttp

from bot.telegram.rasa_client import CONVERSATION_HEADER

# (button title, free text) per question of the triage, in the order they are asked
TRIAGE_ANSWERS: list[tuple[str, str]] = [
    ("Outside of the knee", "the outside of my right knee"),
    ("Gradually, with running", "it crept up over a few weeks of running"),
    ("None of these", "none of these"),
    ("Yes", "yes, always at about 5 km and it settles when I stop"),
    ("Yes", "yep, downhills are the worst"),
    ("Yes", "only when I go down the stairs"),
    ("Up more than 30%", "went from 30 to 45 km a week"),
    ("None of these", "none of these"),
    ("None of these", "none of these"),
    ("Skip", "I'm 34"),
]
BOOKING = [
    "Book an assessment",
    "Sam Taylor",
    "0412 345 678",
    "Jindalee",
    "weekday mornings before 9",
    "Yes, I agree",
]
# what the assistant says when part of it failed (components/channels.py, actions/failures.py)
FAILURE_MARKERS = ("isn't working right now", "something went wrong on my side")

# Rasa's starter assistant (`rasa init`): its own stories, for the comparison run
STARTER_CONVERSATION = ["hi", "I am sad", "yes", "great, thanks", "bye"]


@dataclass
class Patient:
    sender: str
    messages: list[str]
    books: bool = False
    triage_done_after: int = 0  # number of messages after which the triage is stored


def clinic_patient(rng: random.Random, books: bool | None = None, prefix: str = "sim") -> Patient:
    buttons = rng.random() < 0.5
    messages = ["hi", "my knee hurts when I run"]
    for title, free_text in TRIAGE_ANSWERS:
        messages.append(title if buttons or rng.random() < 0.3 else free_text)
    done = len(messages)
    books = rng.random() < 0.3 if books is None else books
    if books:
        messages += BOOKING
    return Patient(f"{prefix}-{uuid.UUID(int=rng.getrandbits(128)).hex[:12]}", messages, books, done)


def starter_patient(rng: random.Random, prefix: str = "starter") -> Patient:
    return Patient(f"{prefix}-{uuid.UUID(int=rng.getrandbits(128)).hex[:12]}", list(STARTER_CONVERSATION))


@dataclass
class Sample:
    sender: str
    turn: int  # 1-based message number in its conversation
    latency_s: float
    ok: bool
    detail: str = ""


@dataclass
class LoadResult:
    samples: list[Sample] = field(default_factory=list)
    elapsed_s: float = 0.0
    finished: list[Patient] = field(default_factory=list)

    @property
    def errors(self) -> list[Sample]:
        return [s for s in self.samples if not s.ok]

    @property
    def throughput(self) -> float:
        return len(self.samples) / self.elapsed_s if self.elapsed_s else 0.0

    def percentile(self, q: float) -> float:
        values = sorted(s.latency_s for s in self.samples)
        if not values:
            return float("nan")
        return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]

    def median_at_turn(self, turn: int) -> float:
        return median(s.latency_s for s in self.samples if s.turn == turn)


def _failed(replies: list[dict]) -> str:
    if not replies:
        return "no reply"
    text = " ".join(r.get("text") or "" for r in replies)
    for marker in FAILURE_MARKERS:
        if marker in text:
            return f"failure message: {text[:120]}"
    return ""


async def _talk(
    session: aiohttp.ClientSession, url: str, patient: Patient, result: LoadResult, deadline: float
) -> bool:
    for turn, message in enumerate(patient.messages, 1):
        if time.monotonic() > deadline:
            return False
        start = time.perf_counter()
        detail = ""
        try:
            async with session.post(
                url,
                json={"sender": patient.sender, "message": message},
                headers={CONVERSATION_HEADER: patient.sender},  # as the Telegram bot does
            ) as response:
                if response.status != 200:
                    detail = f"HTTP {response.status}"
                else:
                    detail = _failed(await response.json())
        except (aiohttp.ClientError, TimeoutError) as error:
            detail = f"{type(error).__name__}: {error}"
        result.samples.append(Sample(patient.sender, turn, time.perf_counter() - start, not detail, detail))
    return True


async def run_load(
    rasa_url: str,
    patients: list[Patient],
    concurrency: int,
    max_seconds: float,
    progress: Callable[[LoadResult], None] | None = None,
) -> LoadResult:
    """Sends every patient's conversation, `concurrency` patients at a time (each one message at a
    time, as a person would), stopping at `max_seconds` whatever is left."""
    url = rasa_url.rstrip("/") + "/webhooks/rest/webhook"
    result = LoadResult()
    queue: asyncio.Queue[Patient] = asyncio.Queue()
    for patient in patients:
        queue.put_nowait(patient)
    start = time.monotonic()
    deadline = start + max_seconds
    timeout = aiohttp.ClientTimeout(total=180)
    connector = aiohttp.TCPConnector(limit=concurrency + 4)

    async def worker(session: aiohttp.ClientSession) -> None:
        while time.monotonic() < deadline:
            try:
                patient = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            if await _talk(session, url, patient, result, deadline):
                result.finished.append(patient)

    async def report() -> None:
        while progress is not None:
            await asyncio.sleep(2)
            result.elapsed_s = time.monotonic() - start
            progress(result)

    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        reporter = asyncio.create_task(report())
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        reporter.cancel()
    result.elapsed_s = time.monotonic() - start
    return result
