"""`make bench`: how fast the assistant answers, against Rasa's own starter assistant, same run.

Writes reports/bench.md (the table, every figure a median of --runs runs) and PNG plots in
reports/. Shows progress as it goes. Loads only 127.0.0.1; every loop is bounded in time.

    phase                         what
    starter                       `rasa init --no-prompt` in a temporary folder (trains it), then
                                  `rasa run` with its defaults (in-memory tracker store)
    default                       this assistant: 1 Rasa + 1 action server, SQLite tracker store
                                  and clinic database (endpoints.yml defaults)
    scaled                        2 Rasa + 2 action servers behind nginx, PostgreSQL + Redis
                                  (deploy/cluster.py, as `make run-scaled`)
    growth                        one long conversation: p50 at turn 50 vs turn 2
    broker                        p50 with the analytics event broker on (and its consumer
                                  running) vs off (ANALYTICS_BROKER_URL=off), 1 and 10 at once
    stored conversations          p50 with 100,000 conversations in the PostgreSQL tracker
                                  store vs an empty one
    booking                       booking into Cliniko (the stand-in, tests/standins/cliniko.py):
                                  median turns from "yes" to the confirmation, and what a turn
                                  that calls Cliniko costs over one that doesn't, with the
                                  stand-in answering at once and 100 ms late
    training                      from scratch, and after changing one NLU example

Loads: simulated patients doing whole triages over REST (deploy/load.py), 1, 10 and 50 at a
time. Run from the project root with the app environment: `make bench` (or
`.venv-app/bin/python scripts/bench.py --runs 3`; only the booking phase:
`.venv-app/bin/python scripts/bench.py --only booking`).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from statistics import median

import requests
from sqlalchemy import create_engine, pool, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deploy.cluster import (  # noqa: E402
    Cluster,
    action_server_command,
    ensure_postgres_database,
    free_port,
    rasa_server_command,
    tail,
)
from deploy.load import LoadResult, clinic_patient, run_load, starter_patient  # noqa: E402

VENV_RASA = ROOT / ".venv-rasa"
VENV_APP = ROOT / ".venv-app"
MODEL = ROOT / "models" / "clinic.tar.gz"
REPORTS = ROOT / "reports"
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_DB = os.environ.get("BENCH_REDIS_DB", "15")
STORED_DB = "bench_tracker_100k"  # kept between runs: filling it takes a minute or two
STORED_CONVERSATIONS = 100_000
LEVELS = (1, 10, 50)
LONG_FAQ = [
    "should I foam roll my IT band?",
    "how long until I can run again?",
    "what exercises should I do?",
    "where are your clinics?",
    "why do you ask?",
]


def say(message: str) -> None:
    print(message, flush=True)


def progress_line(label: str) -> Callable[[LoadResult], None]:
    def show(result: LoadResult) -> None:
        done = len(result.samples)
        print(
            f"\r    {label}: {done} messages, {result.throughput:5.1f} msg/s, "
            f"{len(result.errors)} errors, {result.elapsed_s:4.0f} s",
            end="",
            flush=True,
        )

    return show


# --- processes ----------------------------------------------------------------------------------
@dataclass
class Server:
    name: str
    popen: subprocess.Popen
    log: Path
    url: str
    env: dict[str, str] = field(default_factory=dict)

    def peak_rss_mb(self) -> float:
        return peak_rss_mb(self.popen.pid)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.popen.kill()


def peak_rss_mb(pid: int | None) -> float:
    """The process's peak resident memory (VmHWM), MB."""
    if pid is None:
        return float("nan")
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def spawn(
    name: str, command: list[str], env: dict[str, str], workdir: Path, url: str, cwd: Path = ROOT
) -> Server:
    log = workdir / f"{name}.log"
    handle = log.open("a")
    popen = subprocess.Popen(command, cwd=cwd, env=env, stdout=handle, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 400
    while time.monotonic() < deadline:
        if popen.poll() is not None:
            raise RuntimeError(f"{name} exited:\n{tail(log)}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return Server(name, popen, log, url, env)
        except requests.RequestException:
            pass
        time.sleep(0.5)
    popen.kill()
    raise RuntimeError(f"{name} did not start:\n{tail(log)}")


def base_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("ACTION_SERVER_SECRET", uuid.uuid4().hex)  # Rasa → action server (endpoints.yml)
    env.update(
        PYTHONPATH=str(ROOT),
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="2",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        RASA_AUTH_TOKEN=uuid.uuid4().hex,
    )
    return env


def rasa_command(
    port: int, token: str, endpoints: str | None, model: Path, credentials: bool = True
) -> list[str]:
    # deploy/rasa_server.py reads the token from RASA_AUTH_TOKEN in the environment (== `token`)
    return rasa_server_command(port, endpoints, model, credentials)


def start_background(name: str, command: list[str], env: dict[str, str], workdir: Path) -> Server:
    """A process without a health URL (the analytics consumer)."""
    handle = (workdir / f"{name}.log").open("a")
    popen = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    return Server(name, popen, workdir / f"{name}.log", "", env)


def start_rasa_only(workdir: Path, env: dict[str, str], name: str = "rasa") -> Server:
    port = free_port()
    env = {**env, "RASA_PORT": str(port)}
    return spawn(
        name,
        rasa_command(port, env["RASA_AUTH_TOKEN"], "endpoints.yml", MODEL),
        env,
        workdir,
        f"http://127.0.0.1:{port}",
    )


def start_default(workdir: Path, env_overrides: dict[str, str] | None = None) -> list[Server]:
    """This assistant as `make run` starts it: one action server, one Rasa server, and the
    analytics consumer of its event broker (Rasa's SQL event broker table in `workdir`)."""
    from bot.db.migrate import upgrade

    rasa_port, action_port = free_port(), free_port()
    env = base_env()
    env.update(
        ACTION_PORT=str(action_port),
        ACTION_HOST="127.0.0.1",
        ACTION_SERVER_URL=f"http://127.0.0.1:{action_port}",
        DATABASE_URL=f"sqlite:///{workdir / 'clinic.db'}",
        TRACKER_DB=str(workdir / "tracker.db"),
        TRACKER_STORE="sqlite",
        LOCK_STORE="in_memory",
        RASA_PORT=str(rasa_port),
        ANALYTICS_BROKER_URL="",
        ANALYTICS_EVENTS_DB=f"sqlite:///{workdir / 'events.db'}",
    )
    env.update(env_overrides or {})
    upgrade(env["DATABASE_URL"])
    actions = spawn(
        "actions",
        action_server_command(action_port),
        env,
        workdir,
        f"http://127.0.0.1:{action_port}/health",
    )
    try:
        rasa = spawn(
            "rasa",
            rasa_command(rasa_port, env["RASA_AUTH_TOKEN"], "endpoints.yml", MODEL),
            env,
            workdir,
            f"http://127.0.0.1:{rasa_port}",
        )
    except Exception:
        actions.stop()
        raise
    servers = [rasa, actions]
    if env["ANALYTICS_BROKER_URL"] != "off":
        servers.append(
            start_background("analytics", [str(VENV_APP / "bin/python"), "-m", "bot.analytics"], env, workdir)
        )
    return servers


# --- measurements -------------------------------------------------------------------------------
@dataclass
class LevelFigures:
    p50: list[float] = field(default_factory=list)
    p95: list[float] = field(default_factory=list)
    p99: list[float] = field(default_factory=list)
    throughput: list[float] = field(default_factory=list)
    errors: int = 0
    messages: int = 0

    def add(self, result: LoadResult) -> None:
        self.p50.append(result.percentile(50))
        self.p95.append(result.percentile(95))
        self.p99.append(result.percentile(99))
        self.throughput.append(result.throughput)
        self.errors += len(result.errors)
        self.messages += len(result.samples)

    def m(self, name: str) -> float:
        values = getattr(self, name)
        return median(values) if values else float("nan")


def measure_levels(
    label: str,
    url: str,
    make_patient: Callable[[random.Random], object],
    runs: int,
    seconds: dict[int, float],
) -> dict[int, LevelFigures]:
    rng = random.Random(7)
    # warm-up: the first messages load lazily built parts
    asyncio.run(run_load(url, [make_patient(rng) for _ in range(2)], 2, 60))
    figures: dict[int, LevelFigures] = {}
    for level in LEVELS:
        figures[level] = LevelFigures()
        for run in range(1, runs + 1):
            patients = [make_patient(rng) for _ in range(max(3, level * 6))]
            result = asyncio.run(
                run_load(
                    url,
                    patients,
                    level,
                    seconds[level],
                    progress_line(f"{label} {level:>2} at once, run {run}"),
                )
            )
            figures[level].add(result)
            print(
                f"\r    {label} {level:>2} at once, run {run}: p50 {result.percentile(50) * 1000:6.0f} ms, "
                f"{result.throughput:5.1f} msg/s, {len(result.errors)} errors            ",
                flush=True,
            )
    return figures


def long_conversation(url: str, runs: int) -> tuple[list[list[float]], int]:
    """`runs` conversations of 50 messages: a whole triage, then questions about the advice."""
    rng = random.Random(50)
    latencies: list[list[float]] = []
    errors = 0
    for run in range(runs):
        patient = clinic_patient(rng, books=False, prefix="long")
        messages = list(patient.messages)
        while len(messages) < 50:
            messages.append(LONG_FAQ[(len(messages) - len(patient.messages)) % len(LONG_FAQ)])
        patient.messages = messages[:50]
        result = asyncio.run(run_load(url, [patient], 1, 600))
        errors += len(result.errors)
        latencies.append([s.latency_s for s in sorted(result.samples, key=lambda s: s.turn)])
        say(
            f"    long conversation {run + 1}/{runs}: turn 2 {latencies[-1][1] * 1000:.0f} ms, turn 50 {latencies[-1][-1] * 1000:.0f} ms"
        )
    return latencies, errors


def broker_run(url: str, rng: random.Random, figures: dict[str, list[float]], label: str, run: int) -> None:
    """One run: p50 one conversation at a time (3 patients) and 10 at once (10 s)."""
    one = asyncio.run(run_load(url, [clinic_patient(rng, books=False) for _ in range(3)], 1, 60))
    ten = asyncio.run(run_load(url, [clinic_patient(rng) for _ in range(30)], 10, 10))
    figures["p50_1"].append(one.percentile(50))
    figures["p50_10"].append(ten.percentile(50))
    figures["throughput_10"].append(ten.throughput)
    say(
        f"    event broker {label}, run {run}: p50 {one.percentile(50) * 1000:.0f} ms alone, "
        f"{ten.percentile(50) * 1000:.0f} ms at 10 at once ({ten.throughput:.1f} msg/s; "
        f"{len(one.errors) + len(ten.errors)} errors)"
    )


def broker_on_off(servers: list[Server], workdir: Path, runs: int) -> dict[str, dict[str, list[float]]]:
    """The default setup with the analytics event broker and its consumer (as `make run`)
    against a second Rasa server on the same action server with ANALYTICS_BROKER_URL=off, runs
    taking turns (which goes first alternates), so the machine's load falls on both alike."""
    env = {
        **servers[0].env,
        "ANALYTICS_BROKER_URL": "off",
        "TRACKER_DB": str(workdir / "tracker-broker-off.db"),
    }
    off = start_rasa_only(workdir, env, "rasa-broker-off")
    servers.append(off)
    urls = {"on": servers[0].url, "off": off.url}
    figures: dict[str, dict[str, list[float]]] = {
        label: {"p50_1": [], "p50_10": [], "throughput_10": []} for label in urls
    }
    rng = random.Random(11)
    for url in urls.values():  # warm-up: the first messages load lazily built parts
        asyncio.run(run_load(url, [clinic_patient(rng, books=False, prefix="warm")], 1, 60))
    for run in range(1, runs + 1):
        order = ("on", "off") if run % 2 else ("off", "on")
        for label in order:
            broker_run(urls[label], rng, figures[label], label, run)
    return figures


# --- booking into Cliniko ------------------------------------------------------------------------
BOOKING_YES = "I'd like to book an appointment"  # the "yes" (a tap on "Book an assessment" is the same)
BOOKING_DETAILS = ("Pat Bench", "pat.bench@example.com", "Kenmore", "weekday mornings", "Yes, I agree")
BOOKING_LATENCIES_MS = (0, 100)


def _say_timed(url: str, sender: str, text: str) -> tuple[list[dict], float]:
    t0 = time.perf_counter()
    response = requests.post(
        f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=120
    )
    response.raise_for_status()
    return response.json(), time.perf_counter() - t0


def _buttons(replies: list[dict]) -> list[str]:
    return [b["title"] for reply in replies for b in reply.get("buttons") or []]


def _text(replies: list[dict]) -> str:
    return "\n".join(reply.get("text") or "" for reply in replies)


def booking_conversation(url: str, standin, rng: random.Random, delay_s: float) -> dict[str, object]:
    """One person from "yes" to a confirmed appointment: the booking details (plain form turns),
    the consent (the turn that asks Cliniko for free times), then the pick (the turn that books:
    patient search, re-check, create, conflicts). One in five finds their time taken since the
    offer (someone else books it) and picks again. Returns the turn count and latencies."""
    from bot.booking.diary import Slot  # the app environment runs this script

    sender = f"bench-booking-{uuid.UUID(int=rng.getrandbits(128)).hex[:12]}"
    standin.slow(delay_s)
    form: list[float] = []
    turns = 0
    for message in (BOOKING_YES, *BOOKING_DETAILS[:-1]):
        replies, latency = _say_timed(url, sender, message)
        turns += 1
        form.append(latency)
    replies, offer_s = _say_timed(url, sender, BOOKING_DETAILS[-1])
    turns += 1
    picks: list[float] = []
    for _ in range(4):
        titles = [t for t in _buttons(replies) if t != "None of these suit"]
        if not titles:
            return {"turns": turns, "confirmed": False, "form": form, "offer": offer_s, "book": picks}
        if rng.random() < 0.2 and not picks:
            tracker = requests.get(
                f"{url}/conversations/{sender}/tracker",
                headers={"Authorization": f"Bearer {os.environ.get('BENCH_TOKEN', '')}"},
                timeout=30,
            )
            offered = (tracker.json().get("slots", {}).get("booking_offer") or {}) if tracker.ok else {}
            if offered.get("slots"):
                first = Slot.from_dict(offered["slots"][0])
                standin.take(first.practitioner_id, first.starts_at)
        replies, latency = _say_timed(url, sender, titles[0])
        turns += 1
        picks.append(latency)
        if "You're booked in" in _text(replies):
            return {"turns": turns, "confirmed": True, "form": form, "offer": offer_s, "book": picks}
    return {"turns": turns, "confirmed": False, "form": form, "offer": offer_s, "book": picks}


def booking_phase(work: Path, runs: int) -> dict[str, object]:
    """The default setup with Cliniko on, against the stand-in in this process."""
    from tests.standins.cliniko import API_KEY, ClinikoStandIn

    figures: dict[str, object] = {}
    # pages of 100 as Cliniko serves them (the tests' stand-in uses pages of 5 to make clients
    # follow links.next; here that would count the stand-in's paging, not the assistant)
    with ClinikoStandIn(page_size=100) as standin:
        folder = work / "booking"
        folder.mkdir()
        servers = start_default(
            folder,
            {
                "ANALYTICS_BROKER_URL": "off",
                "CLINIKO_API_KEY": API_KEY,
                "CLINIKO_API_URL": standin.base_url,
                "CLINIKO_CONTACT_EMAIL": "bench@clinic.example",
            },
        )
        os.environ["BENCH_TOKEN"] = servers[0].env["RASA_AUTH_TOKEN"]
        try:
            rng = random.Random(18)
            booking_conversation(servers[0].url, standin, rng, 0.0)  # warm-up (caches, lazy parts)
            for delay_ms in BOOKING_LATENCIES_MS:
                done = [
                    booking_conversation(servers[0].url, standin, rng, delay_ms / 1000)
                    for _ in range(max(5, runs * 4))
                ]
                standin.reset()
                form = [x for d in done for x in d["form"]]
                offer = [d["offer"] for d in done]
                book = [d["book"][-1] for d in done if d["book"]]
                figures[str(delay_ms)] = {
                    "turns": median(d["turns"] for d in done),
                    "confirmed": sum(1 for d in done if d["confirmed"]),
                    "conversations": len(done),
                    "form_p50": median(form),
                    "offer_p50": median(offer),
                    "book_p50": median(book) if book else float("nan"),
                }
                f = figures[str(delay_ms)]
                say(
                    f"    stand-in {delay_ms} ms: {f['confirmed']}/{f['conversations']} confirmed, median "
                    f"{f['turns']:.0f} turns from yes; p50 form turn {ms(f['form_p50'])}, offer turn "
                    f"{ms(f['offer_p50'])}, booking turn {ms(f['book_p50'])}"
                )
        finally:
            for server in servers:
                server.stop()
    return figures


def booking_report(figures: dict[str, object]) -> str:
    out = io.StringIO()
    w = out.write
    w("\n## Booking into Cliniko (stand-in)\n\n")
    w(
        'Turns: the person\'s messages from the "yes" to the booking offer to the confirmation (name, '
        "contact, site, times, consent, the pick; one in five finds the time taken and picks again). "
        "A form turn calls no Cliniko; the offer turn asks for free times (two 7-day windows per "
        "practitioner, in parallel); the booking turn finds or creates the patient, re-checks the "
        "time, books and checks conflicts (one after another). The stand-in serves pages of 100, "
        "as Cliniko does; the latency is added to every request it answers.\n\n"
    )
    w(
        "| stand-in latency | confirmed | median turns from yes | p50 form turn | p50 offer turn "
        "| extra | p50 booking turn | extra |\n|---|---|---|---|---|---|---|---|\n"
    )
    for delay, f in figures.items():
        w(
            f"| {delay} ms | {f['confirmed']} / {f['conversations']} | {f['turns']:.0f} | {ms(f['form_p50'])} | "
            f"{ms(f['offer_p50'])} | +{ms(f['offer_p50'] - f['form_p50'])} | {ms(f['book_p50'])} | "
            f"+{ms(f['book_p50'] - f['form_p50'])} |\n"
        )
    return out.getvalue()


# --- 100,000 stored conversations ----------------------------------------------------------------
def admin_engine():
    return create_engine(
        make_url(POSTGRES_URL),
        poolclass=pool.NullPool,
        isolation_level="AUTOCOMMIT",
        connect_args={"connect_timeout": 5},
    )


def stored_count(database: str) -> int:
    engine = create_engine(make_url(POSTGRES_URL).set(database=database), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT count(DISTINCT sender_id) FROM events")).scalar_one()
    except Exception:  # noqa: BLE001 - no database or no table yet: empty
        return 0
    finally:
        engine.dispose()


def fill_stored_conversations(database: str, template_sender: str) -> None:
    """Copies the events of one real (started) conversation under 100,000 new sender ids, with
    PostgreSQL's COPY (about a minute), so the table looks like a clinic's year of chats."""
    import psycopg

    url = make_url(POSTGRES_URL).set(database=database)
    with psycopg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        dbname=database,
        autocommit=True,
    ) as connection:
        rows = connection.execute(
            "SELECT type_name, timestamp, intent_name, action_name, data FROM events "
            "WHERE sender_id = %s ORDER BY id",
            (template_sender,),
        ).fetchall()
        rows = rows[:12]  # a started triage: session start, greeting, notice, first questions
        with connection.cursor() as cursor:
            with cursor.copy(
                "COPY events (sender_id, type_name, timestamp, intent_name, action_name, data) FROM STDIN"
            ) as copy:
                for i in range(STORED_CONVERSATIONS):
                    sender = f"stored-{i:06d}"
                    for type_name, timestamp, intent, action, data in rows:
                        copy.write_row((sender, type_name, timestamp + i, intent, action, data))
                    if i % 10_000 == 0:
                        print(
                            f"\r    filling the tracker store: {i:,} / {STORED_CONVERSATIONS:,} conversations",
                            end="",
                            flush=True,
                        )
            print()
        connection.execute("ANALYZE events")


def measure_single(url: str, runs: int, label: str) -> list[float]:
    """p50 per message of one conversation at a time, `runs` times."""
    rng = random.Random(3)
    # the same conversations every time, under new ids: the 100k database is kept between runs,
    # and a seeded id would continue an earlier run's conversation (longer, and another path)
    prefix = f"single{uuid.uuid4().hex[:6]}"
    asyncio.run(run_load(url, [clinic_patient(rng, books=False, prefix=prefix) for _ in range(1)], 1, 60))
    values = []
    for run in range(runs):
        patients = [clinic_patient(rng, books=False, prefix=prefix) for _ in range(3)]
        result = asyncio.run(run_load(url, patients, 1, 120))
        values.append(result.percentile(50))
        say(f"    {label}, run {run + 1}: p50 {values[-1] * 1000:.0f} ms ({len(result.errors)} errors)")
    return values


# --- training -----------------------------------------------------------------------------------
def train(workdir: Path, data: Path, cache: Path, label: str) -> float:
    env = base_env()
    env["RASA_CACHE_DIRECTORY"] = str(cache)
    start = time.monotonic()
    say(f"    training ({label}) …")
    subprocess.run(
        [
            str(VENV_RASA / "bin/rasa"),
            "train",
            "--config",
            "config.yml",
            "--domain",
            "domain",
            "--data",
            str(data),
            "--out",
            str(workdir / "models"),
            "--fixed-model-name",
            "bench",
        ],  # fmt: skip
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.monotonic() - start


def change_one_nlu_example(data: Path) -> None:
    for path in sorted((data / "nlu").glob("*.yml")):
        lines = path.read_text().splitlines(keepends=True)
        for i, line in enumerate(lines):
            if line.lstrip().startswith("- ") and "examples" not in line and len(line.strip()) > 6:
                lines[i] = line.rstrip("\n") + " please\n"
                path.write_text("".join(lines))
                return
    raise RuntimeError("no NLU example found to change")


# --- report -------------------------------------------------------------------------------------
def ms(value: float) -> str:
    return f"{value * 1000:.0f} ms"


def ratio(ours: float, theirs: float) -> str:
    return f"{ours / theirs:.2f}×" if theirs else "–"


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def plots(results: dict, long_latencies: list[list[float]]) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []
    figure, axes = plt.subplots(1, 2, figsize=(11, 4))
    for setup, figures in results.items():
        axes[0].plot(LEVELS, [figures[level].m("throughput") for level in LEVELS], marker="o", label=setup)
        axes[1].plot(LEVELS, [figures[level].m("p50") * 1000 for level in LEVELS], marker="o", label=setup)
    axes[0].set(xlabel="conversations at once", ylabel="messages / s", title="Throughput (median of runs)")
    axes[1].set(xlabel="conversations at once", ylabel="ms", title="p50 per message", yscale="log")
    for axis in axes:
        axis.legend()
        axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(REPORTS / "bench_throughput.png", dpi=110)
    names.append("bench_throughput.png")
    if long_latencies:
        figure, axis = plt.subplots(figsize=(7, 4))
        turns = range(1, 51)
        axis.plot(turns, [median(run[t - 1] for run in long_latencies) * 1000 for t in turns], marker=".")
        axis.set(
            xlabel="message number in the conversation",
            ylabel="ms (median of runs)",
            title="Cost per message as a conversation grows",
        )
        axis.grid(alpha=0.3)
        figure.tight_layout()
        figure.savefig(REPORTS / "bench_long_conversation.png", dpi=110)
        names.append("bench_long_conversation.png")
    plt.close("all")
    return names


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (the median is reported)")
    parser.add_argument("--seconds", type=float, default=20, help="length of one concurrent load run")
    parser.add_argument(
        "--only", default="", help="run one phase alone and write reports/bench_<phase>.md: booking"
    )
    parser.add_argument(
        "--skip",
        default="",
        help="comma-separated phases to skip: scaled,growth,broker,stored,training,booking",
    )
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    if not MODEL.exists():
        sys.exit(f"bench: no trained model at {MODEL}: run `make train` first")
    REPORTS.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    seconds = {1: 60.0, 10: args.seconds, 50: args.seconds * 1.5}
    started = time.monotonic()
    results: dict[str, dict[int, LevelFigures]] = {}
    memory: dict[str, float] = {}
    notes: list[str] = []
    extra: dict[str, object] = {}
    step = 0
    steps = 9 - len(skip & {"scaled", "growth", "broker", "stored", "training", "booking"})

    def phase(title: str) -> None:
        nonlocal step
        step += 1
        say(f"\n==> bench {step}/{steps}: {title}   ({time.monotonic() - started:.0f} s so far)")

    if args.only == "booking":
        try:
            say("==> bench: booking into Cliniko (stand-in), default setup")
            report = booking_report(booking_phase(work, args.runs))
            (REPORTS / "bench_booking.md").write_text("# Benchmark (`make bench`), booking phase" + report)
            print(report)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return 0
    try:
        # 1 ─ Rasa's starter assistant, trained by this command
        phase("Rasa's starter assistant (rasa init --no-prompt, trains it)")
        starter_dir = work / "starter"
        starter_dir.mkdir()
        env = base_env()
        env["RASA_CACHE_DIRECTORY"] = str(work / "starter-cache")
        t0 = time.monotonic()
        subprocess.run(
            [str(VENV_RASA / "bin/rasa"), "init", "--no-prompt", "--init-dir", str(starter_dir)],
            cwd=starter_dir, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        extra["starter_init_s"] = time.monotonic() - t0
        say(f"    trained in {extra['starter_init_s']:.0f} s")
        starter_model = next((starter_dir / "models").glob("*.tar.gz"))
        port = free_port()
        starter = spawn(
            "starter",
            rasa_command(port, env["RASA_AUTH_TOKEN"], None, starter_model, credentials=False),
            env, work, f"http://127.0.0.1:{port}", cwd=starter_dir,
        )  # fmt: skip
        try:
            results["starter"] = measure_levels("starter", starter.url, starter_patient, args.runs, seconds)
            memory["starter Rasa server"] = starter.peak_rss_mb()
        finally:
            starter.stop()

        # 2 ─ this assistant, one Rasa server + one action server (the default setup)
        phase("this assistant, 1 Rasa + 1 action server, SQLite (default)")
        default_dir = work / "default"
        default_dir.mkdir()
        servers = start_default(default_dir)
        try:
            results["default"] = measure_levels("default", servers[0].url, clinic_patient, args.runs, seconds)
            if "growth" not in skip:
                phase("growth: one conversation of 50 messages")
                long_latencies, long_errors = long_conversation(servers[0].url, max(3, args.runs))
                extra["long"] = long_latencies
                extra["long_errors"] = long_errors
            memory["default Rasa server"] = servers[0].peak_rss_mb()
            memory["default action server"] = servers[1].peak_rss_mb()
            if len(servers) > 2:
                memory["default analytics consumer"] = servers[2].peak_rss_mb()
            if "broker" not in skip:
                phase("analytics event broker on vs off (default setup)")
                extra["broker"] = broker_on_off(servers, default_dir, args.runs)
        finally:
            for server in servers:
                server.stop()

        # 3 ─ scaled: 2 + 2 behind nginx on PostgreSQL and Redis
        if "scaled" not in skip:
            try:
                phase("scaled: 2 Rasa + 2 action servers behind nginx, PostgreSQL + Redis")
                suffix = uuid.uuid4().hex[:8]
                base = make_url(POSTGRES_URL)
                env = base_env()
                env.update(
                    DATABASE_URL=base.set(database=f"bench_clinic_{suffix}").render_as_string(
                        hide_password=False
                    ),
                    TRACKER_DB_HOST=base.host or "127.0.0.1",
                    TRACKER_DB_PORT=str(base.port or 5432),
                    TRACKER_DB_NAME=f"bench_tracker_{suffix}",
                    TRACKER_DB_USER=base.username or "postgres",
                    TRACKER_DB_PASSWORD=base.password or "",
                    TRACKER_DB_LOGIN_DB=base.database or "postgres",
                    REDIS_DB=REDIS_DB,
                )
                cluster = Cluster(workdir=work / "scaled", env=env, web=False)
                try:
                    cluster.start()
                    results["scaled"] = measure_levels(
                        "scaled", cluster.rasa_url, clinic_patient, args.runs, seconds
                    )
                    for name in cluster.processes:
                        if name != "nginx":
                            memory[f"scaled {name}"] = peak_rss_mb(cluster.pid(name))
                finally:
                    cluster.stop()
                    with admin_engine().connect() as connection:
                        for name in (f"bench_clinic_{suffix}", f"bench_tracker_{suffix}"):
                            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            except Exception as error:  # noqa: BLE001 - keep what was measured, say what failed
                notes.append(f"The scaled phase failed: {error!r:.300}")
                say(f"    scaled phase FAILED: {error!r:.300}")

        # 4 ─ 100,000 stored conversations in the PostgreSQL tracker store vs an empty one
        if "stored" not in skip:
            try:
                phase(
                    f"{STORED_CONVERSATIONS:,} stored conversations in the PostgreSQL tracker store vs none"
                )
                base = make_url(POSTGRES_URL)
                empty_db = f"bench_tracker_empty_{uuid.uuid4().hex[:8]}"
                pg = {
                    "TRACKER_STORE": "postgresql",
                    "TRACKER_DB_HOST": base.host or "127.0.0.1",
                    "TRACKER_DB_PORT": str(base.port or 5432),
                    "TRACKER_DB_USER": base.username or "postgres",
                    "TRACKER_DB_PASSWORD": base.password or "",
                    "TRACKER_DB_LOGIN_DB": base.database or "postgres",
                }
                stored: dict[str, list[float]] = {}
                for label, database in (("empty", empty_db), ("100k", STORED_DB)):
                    ensure_postgres_database(
                        base.set(database=database).render_as_string(hide_password=False),
                        base.database or "postgres",
                    )
                    folder = work / f"stored-{label}"
                    folder.mkdir()
                    servers = start_default(folder, {**pg, "TRACKER_DB_NAME": database})
                    try:
                        if label == "100k" and stored_count(database) < STORED_CONVERSATIONS:
                            template = clinic_patient(random.Random(1), books=False, prefix="template")
                            asyncio.run(run_load(servers[0].url, [template], 1, 60))
                            fill_stored_conversations(database, template.sender)
                        count = stored_count(database)
                        say(f"    tracker store {label}: {count:,} conversations")
                        stored[label] = measure_single(servers[0].url, args.runs, f"tracker store {label}")
                    finally:
                        for server in servers:
                            server.stop()
                with admin_engine().connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{empty_db}" WITH (FORCE)'))
                extra["stored"] = stored
            except Exception as error:  # noqa: BLE001 - keep what was measured, say what failed
                notes.append(f"The stored phase failed: {error!r:.300}")
                say(f"    stored phase FAILED: {error!r:.300}")

        # 5 ─ booking into Cliniko (the stand-in)
        if "booking" not in skip:
            try:
                phase("booking into Cliniko (stand-in at 0 and 100 ms), default setup")
                extra["booking"] = booking_phase(work, args.runs)
            except Exception as error:  # noqa: BLE001 - keep what was measured, say what failed
                notes.append(f"The booking phase failed: {error!r:.300}")
                say(f"    booking phase FAILED: {error!r:.300}")

        # 6 ─ training
        if "training" not in skip:
            try:
                phase("training this assistant: from scratch, then after changing one NLU example")
                data = work / "data"
                shutil.copytree(ROOT / "data", data)
                cache = work / "train-cache"
                extra["train_scratch_s"] = train(work, data, cache, "from scratch, empty cache")
                change_one_nlu_example(data)
                extra["train_one_example_s"] = train(work, data, cache, "one NLU example changed")
                say(
                    f"    from scratch {extra['train_scratch_s']:.0f} s, after one change {extra['train_one_example_s']:.0f} s"
                )
            except Exception as error:  # noqa: BLE001 - keep what was measured, say what failed
                notes.append(f"The training phase failed: {error!r:.300}")
                say(f"    training phase FAILED: {error!r:.300}")

        phase("report")
        write_report(results, memory, extra, args, time.monotonic() - started, notes)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def write_report(results, memory, extra, args, elapsed: float, notes: list[str]) -> None:
    out = io.StringIO()
    w = out.write
    starter = results["starter"]
    w("# Benchmark (`make bench`)\n\n")
    w(
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPU cores, load average over the "
        f"last 15 min {os.getloadavg()[2]:.1f} (other work on the machine counts); every figure is the median "
        f"of {args.runs} runs; {elapsed / 60:.0f} min in all.\n"
        "Simulated patients do whole triages over REST (free text and buttons; 30 % go on to book); the starter "
        "assistant (`rasa init`, default config, in-memory tracker store) runs its own moodbot conversation.\n\n"
    )
    w(
        "| setup | at once | p50 | p95 | p99 | throughput | errors | vs starter: p50 | vs starter: throughput |\n"
    )
    w("|---|---|---|---|---|---|---|---|---|\n")
    for setup, figures in results.items():
        for level in LEVELS:
            f = figures[level]
            s = starter[level]
            w(
                f"| {setup} | {level} | {ms(f.m('p50'))} | {ms(f.m('p95'))} | {ms(f.m('p99'))} | "
                f"{f.m('throughput'):.1f} msg/s | {f.errors} / {f.messages} | "
                f"{'' if setup == 'starter' else ratio(f.m('p50'), s.m('p50'))} | "
                f"{'' if setup == 'starter' else ratio(f.m('throughput'), s.m('throughput'))} |\n"
            )
    w("\n## Targets\n\n| target | measured | |\n|---|---|---|\n")
    default = results["default"]
    r = default[1].m("p50") / starter[1].m("p50")
    w(f"| single conversation p50 ≤ 1.5× starter | {r:.2f}× | {verdict(r <= 1.5)} |\n")
    for level in (10, 50):
        r = default[level].m("throughput") / starter[level].m("throughput")
        w(f"| throughput at {level}, 1 Rasa + 1 action server ≥ 1.0× | {r:.2f}× | {verdict(r >= 1.0)} |\n")
    if "scaled" in results:
        for level in (10, 50):
            r = results["scaled"][level].m("throughput") / starter[level].m("throughput")
            w(f"| throughput at {level}, scaled ≥ 1.5× | {r:.2f}× | {verdict(r >= 1.5)} |\n")
    if "long" in extra:
        runs = extra["long"]
        t2, t50 = median(run[1] for run in runs), median(run[49] for run in runs)
        w(
            f"| p50 at turn 50 vs turn 2 ≤ 1.2× | {ms(t50)} vs {ms(t2)} = {t50 / t2:.2f}× | {verdict(t50 / t2 <= 1.2)} |\n"
        )
        late = median(x for run in runs for x in run[40:50])
        early = median(x for run in runs for x in run[1:11])
        w(
            f"| (context) p50 of turns 41–50 vs turns 2–11 | {ms(late)} vs {ms(early)} = {late / early:.2f}× | |\n"
        )
    if "broker" in extra:
        on, off = extra["broker"]["on"], extra["broker"]["off"]
        for key, label in (("p50_1", "one conversation"), ("p50_10", "10 at once")):
            a, b = median(on[key]), median(off[key])
            w(
                f"| p50 with the analytics event broker on (+ consumer) vs off, {label} | "
                f"{ms(a)} vs {ms(b)} = {a / b:.2f}× | |\n"
            )
        a, b = median(on["throughput_10"]), median(off["throughput_10"])
        w(
            f"| throughput at 10 at once, event broker on vs off | {a:.1f} vs {b:.1f} msg/s = {a / b:.2f}× | |\n"
        )
    if "stored" in extra:
        stored = extra["stored"]
        full, empty = median(stored["100k"]), median(stored["empty"])
        w(
            f"| p50 with {STORED_CONVERSATIONS:,} stored conversations vs empty (PostgreSQL) ≤ 1.1× | "
            f"{ms(full)} vs {ms(empty)} = {full / empty:.2f}× | {verdict(full / empty <= 1.1)} |\n"
        )
    w("\n## Training and memory\n\n| figure | value |\n|---|---|\n")
    w(f"| starter: `rasa init` (creates and trains) | {extra['starter_init_s']:.0f} s |\n")
    if "train_scratch_s" in extra:
        w(f"| this assistant: training from scratch (empty cache) | {extra['train_scratch_s']:.0f} s |\n")
        w(
            f"| this assistant: training after changing one NLU example | {extra['train_one_example_s']:.0f} s |\n"
        )
    for name, value in memory.items():
        w(f"| peak memory (VmHWM), {name} | {value:.0f} MB |\n")
    if "booking" in extra:
        w(booking_report(extra["booking"]))
    for note in notes:
        w(f"\n{note}\n")
    images = plots(results, extra.get("long", []))
    w("\n" + "\n".join(f"![{name}]({name})" for name in images) + "\n")
    (REPORTS / "bench.md").write_text(out.getvalue())
    (REPORTS / "bench.json").write_text(
        json.dumps(
            {
                "results": {k: {lv: vars(f) for lv, f in v.items()} for k, v in results.items()},
                "memory_mb": memory,
                "extra": extra,
            },
            indent=1,
        )
    )
    print(out.getvalue())
    say(f"bench: wrote {REPORTS / 'bench.md'} and {', '.join(images)}")


if __name__ == "__main__":
    raise SystemExit(main())
