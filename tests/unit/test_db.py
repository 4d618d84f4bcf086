"""Clinic database: models, migrations, repository — on SQLite and PostgreSQL (see tests/conftest.py)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from bot.db import repository
from bot.db.migrate import current_revisions, downgrade, upgrade
from bot.db.models import Base, Handoff, HandoffStatusChange, Triage
from bot.db.repository import (
    REFERENCE_RE,
    create_handoff,
    delete_conversation_data,
    get_handoff,
    latest_triage,
    list_handoffs,
    save_triage,
    set_handoff_status,
)
from bot.db.session import SQLITE_BUSY_TIMEOUT_S, make_engine, run_in_session, session_scope

ROOT = Path(__file__).resolve().parents[2]


# Stand-ins with the shape of bot.triage.engine's dataclasses (that module is not imported here).
@dataclass(frozen=True)
class FakeResult:
    outcome: str = "book_running_assessment"
    itbs_likelihood: str = "high"
    points: int = 4
    red_flags: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ("Pain on the outside of the knee.", "Comes on at a predictable distance.")
    pointers: tuple[str, ...] = ()


@dataclass(frozen=True)
class FakeAnswers:
    pain_location: str | None = "lateral"
    onset: str | None = "gradual"
    weekly_change_pct: float | None = 50.0
    red_flags: frozenset[str] = frozenset()
    symptoms: frozenset[str] = field(default_factory=lambda: frozenset({"worse_sprinting", "mechanical"}))


def _triage(session, conversation_id="conv-a", result=None, **kw):
    return save_triage(
        session,
        conversation_id=conversation_id,
        channel=kw.pop("channel", "rest"),
        answers=kw.pop("answers", {"pain_location": "lateral"}),
        result=result or FakeResult(),
    )


def _handoff(session, conversation_id="conv-a", **kw):
    args = {
        "conversation_id": conversation_id,
        "channel": "telegram",
        "reason": "booking",
        "name": "Sam Runner",
        "contact_kind": "phone",
        "contact_value": "+61412345678",
        "site": "kenmore",
        "preferred_times": "weekday mornings",
        "consent": True,
    }
    args.update(kw)
    return create_handoff(session, **args)


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


# --- migrations ----------------------------------------------------------------------------------


def test_migrations_apply_from_empty_to_head_and_back(empty_db_url):
    first = upgrade(empty_db_url)
    assert first.before == () and first.after == first.head == ("0005",) and first.changed

    engine = make_engine(empty_db_url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert {"triages", "handoffs", "alembic_version"} <= tables

        again = upgrade(empty_db_url)
        assert not again.changed and "nothing to do" in str(again)

        down = downgrade(empty_db_url, "base")
        assert down.after == ()
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

        upgrade(empty_db_url)  # and up again after a full downgrade
        assert current_revisions(empty_db_url) == ("0005",)
        assert {"triages", "handoffs"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _diff(engine, metadata):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, metadata)


def test_autogenerate_finds_no_difference_between_models_and_migrations(db_engine):
    assert _diff(db_engine, Base.metadata) == []


def test_autogenerate_comparison_is_not_blind(db_engine):
    """The check above must be able to fail: an extra column and an extra table are noticed."""
    metadata = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.tables.values():
        table.to_metadata(metadata)
    metadata.tables["triages"].append_column(Column("extra", Integer))
    Table("surprise", metadata, Column("id", Integer, primary_key=True))
    kinds = {diff[0] if isinstance(diff, tuple) else diff[0][0] for diff in _diff(db_engine, metadata)}
    assert {"add_column", "add_table"} <= kinds


def test_check_constraints_in_database_match_models(db_engine):
    """Autogenerate ignores CHECK constraints, so compare their names here."""
    inspector = inspect(db_engine)
    for table in Base.metadata.sorted_tables:
        expected = {c.name for c in table.constraints if c.__class__.__name__ == "CheckConstraint"}
        found = {c["name"] for c in inspector.get_check_constraints(table.name)}
        assert found == expected, table.name
    assert "ck_handoffs_consent_given" in {c["name"] for c in inspector.get_check_constraints("handoffs")}


def test_migrate_command_prints_what_it_did(tmp_path):
    db_file = tmp_path / "new" / "folder" / "clinic.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db_file}", "PYTHONPATH": str(ROOT)}
    run = lambda: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "bot.db.migrate"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    first = run()
    assert first.returncode == 0, first.stderr
    assert "migrated empty -> 0005 (head)" in first.stdout
    assert db_file.exists()
    second = run()
    assert "already at 0005 (head)" in second.stdout


def test_alembic_ini_works_from_another_directory(tmp_path):
    url = f"sqlite:///{tmp_path / 'clinic.db'}"
    alembic = [sys.executable, "-m", "alembic", "-c", str(ROOT / "alembic.ini"), "-x", f"url={url}"]
    for args in (["upgrade", "head"], ["check"]):
        done = subprocess.run(alembic + args, cwd=tmp_path, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    assert current_revisions(url) == ("0005",)


# --- engine and sessions -------------------------------------------------------------------------


def test_sqlite_engine_settings(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'a' / 'b' / 'clinic.db'}")
    try:
        with engine.connect() as connection:
            pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
            assert pragma("foreign_keys") == 1
            assert pragma("busy_timeout") == int(SQLITE_BUSY_TIMEOUT_S * 1000)
            assert pragma("journal_mode") == "wal"
        assert (tmp_path / "a" / "b" / "clinic.db").exists()
    finally:
        engine.dispose()


def test_make_engine_defaults_to_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'from-env.db'}")
    engine = make_engine()
    try:
        assert engine.url.database == str(tmp_path / "from-env.db")
    finally:
        engine.dispose()


def test_session_scope_commits_or_rolls_back(db_engine):
    with session_scope(db_engine) as session:
        kept = _triage(session, "conv-kept")
    with pytest.raises(RuntimeError), session_scope(db_engine) as session:
        _triage(session, "conv-lost")
        raise RuntimeError("boom")
    assert kept.id is not None and kept.outcome == "book_running_assessment"  # usable after commit
    with session_scope(db_engine) as session:
        assert latest_triage(session, "conv-kept") is not None
        assert latest_triage(session, "conv-lost") is None


def test_session_scope_uses_database_url_by_default(monkeypatch, sqlite_db_url):
    monkeypatch.setenv("DATABASE_URL", sqlite_db_url)
    with session_scope() as session:
        _triage(session, "conv-default")
    engine = make_engine(sqlite_db_url)
    try:
        with session_scope(engine) as session:
            assert latest_triage(session, "conv-default") is not None
    finally:
        engine.dispose()


def test_run_in_session_for_async_callers(db_engine):
    handoff = asyncio.run(run_in_session(lambda s: _handoff(s, "conv-async"), db_engine))
    assert REFERENCE_RE.match(handoff.reference_code)
    with session_scope(db_engine) as session:
        assert get_handoff(session, handoff.reference_code) is not None


# --- triages -------------------------------------------------------------------------------------


def test_triage_round_trips_with_json_fields(db_engine):
    answers = {
        "pain_location": "lateral",
        "weekly_change_pct": 37.5,
        "long_run_spike": True,
        "age": None,
        "note": "sore on the outside — after 5 km",
        "nested": {"km": [30, 45.5]},
        "red_flags": frozenset({"night_rest_pain_weight_loss_lump", "nerve_symptoms"}),
    }
    result = FakeResult(
        outcome="medical_review",
        itbs_likelihood="moderate",
        points=2,
        red_flags=("nerve_symptoms", "night_rest_pain_weight_loss_lump"),
        reasons=("Numbness or pins and needles.", "Pain at night."),
        pointers=("referred_lumbar_pain",),
    )
    before = datetime.now(timezone.utc)
    with session_scope(db_engine) as session:
        saved = save_triage(
            session, conversation_id="conv-json", channel="SocketIO", answers=answers, result=result
        )
        triage_id = saved.id

    with session_scope(db_engine) as session:
        loaded = session.get(Triage, triage_id)
        assert loaded.conversation_id == "conv-json"
        assert loaded.channel == "socketio"
        assert loaded.answers == {
            **answers,
            "red_flags": ["nerve_symptoms", "night_rest_pain_weight_loss_lump"],  # set → sorted list
        }
        assert loaded.outcome == "medical_review"
        assert loaded.itbs_likelihood == "moderate"
        assert loaded.points == 2
        assert loaded.red_flags == ["nerve_symptoms", "night_rest_pain_weight_loss_lump"]
        assert loaded.reasons == ["Numbness or pins and needles.", "Pain at night."]
        assert loaded.pointers == ["referred_lumbar_pain"]
        assert loaded.created_at.tzinfo is not None and loaded.created_at.utcoffset() == timedelta(0)
        assert (
            before - timedelta(seconds=5)
            <= loaded.created_at
            <= datetime.now(timezone.utc) + timedelta(seconds=5)
        )


def test_triage_accepts_answer_dataclass_and_result_mapping(db_session):
    triage = save_triage(
        db_session,
        conversation_id="conv-dc",
        channel="shell",
        answers=FakeAnswers(),
        result={
            "outcome": "general_assessment",
            "itbs_likelihood": "low",
            "points": 0,
            "red_flags": [],
            "reasons": ["Catching or giving way points elsewhere."],
            "pointers": ["lateral_meniscus"],
        },
    )
    db_session.commit()
    db_session.expire_all()
    assert triage.answers["symptoms"] == ["mechanical", "worse_sprinting"]
    assert triage.answers["weekly_change_pct"] == 50.0
    assert triage.pointers == ["lateral_meniscus"]


def test_latest_triage_is_the_newest_of_that_conversation(db_session):
    _triage(db_session, "conv-a", FakeResult(outcome="general_assessment", itbs_likelihood="low", points=0))
    newest = _triage(db_session, "conv-a")
    _triage(db_session, "conv-b", FakeResult(outcome="emergency", red_flags=("locked_knee",)))
    db_session.commit()
    assert latest_triage(db_session, "conv-a").id == newest.id
    assert latest_triage(db_session, "conv-b").outcome == "emergency"
    assert latest_triage(db_session, "nobody") is None


@pytest.mark.parametrize(
    "result, message",
    [
        (FakeResult(outcome="itbs"), "outcome"),
        (FakeResult(itbs_likelihood="certain"), "itbs_likelihood"),
        (FakeResult(points=-1), "points"),
        (FakeResult(reasons="one string"), "reasons"),
        (object(), "outcome"),
    ],
)
def test_save_triage_refuses_values_outside_the_contract(db_session, result, message):
    with pytest.raises(ValueError, match=message):
        _triage(db_session, result=result)


def test_save_triage_refuses_values_json_cannot_hold(db_session):
    with pytest.raises(ValueError, match="answers.when"):
        _triage(db_session, answers={"when": datetime.now(timezone.utc)})
    with pytest.raises(ValueError, match="not a finite number"):
        _triage(db_session, answers={"pct": float("nan")})


def test_database_refuses_unknown_outcome(db_session):
    db_session.add(
        Triage(
            conversation_id="c",
            channel="rest",
            answers={},
            outcome="itbs",
            itbs_likelihood="low",
            points=0,
            red_flags=[],
            reasons=[],
            pointers=[],
        )
    )
    with pytest.raises(IntegrityError):
        db_session.flush()


def test_naive_datetimes_are_refused(db_session):
    db_session.add(
        Triage(
            conversation_id="c",
            channel="rest",
            answers={},
            outcome="emergency",
            itbs_likelihood="low",
            points=0,
            red_flags=[],
            reasons=[],
            pointers=[],
            created_at=datetime(2025, 1, 1, 9, 0),
        )
    )
    with pytest.raises(Exception, match="naive datetime"):
        db_session.flush()


# --- handoffs ------------------------------------------------------------------------------------


def test_handoff_gets_unique_well_formed_code_and_status_new(db_engine):
    with session_scope(db_engine) as session:
        triage = _triage(session, "conv-h")
        handoffs = [_handoff(session, "conv-h", triage_id=triage.id, summary="ITBS likely (4 points).")]
        handoffs += [
            _handoff(session, f"conv-{i}", contact_kind="email", contact_value=f"r{i}@example.com")
            for i in range(30)
        ]
    codes = [h.reference_code for h in handoffs]
    assert all(REFERENCE_RE.match(code) for code in codes), codes
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert not set(code[4:]) & set("01OIL U")
    with session_scope(db_engine) as session:
        first = get_handoff(session, codes[0])
        assert first.status == "new"
        assert first.consent is True
        assert first.triage.conversation_id == "conv-h"
        assert first.summary == "ITBS likely (4 points)."
        assert first.created_at.utcoffset() == timedelta(0) and first.updated_at.utcoffset() == timedelta(0)
        # what a person types over the phone finds the same row
        assert get_handoff(session, " " + codes[0].lower().replace("-", " ")).id == first.id
        assert get_handoff(session, codes[0][4:]).id == first.id


def test_reference_code_collision_is_retried_without_losing_earlier_work(db_session, monkeypatch):
    existing = _handoff(db_session, "conv-1")
    db_session.commit()
    triage = _triage(db_session, "conv-2")  # pending in the same transaction as the retry
    codes = iter([existing.reference_code, existing.reference_code, "KNE-22222"])
    monkeypatch.setattr(repository, "generate_reference_code", lambda: next(codes))
    handoff = _handoff(db_session, "conv-2", triage_id=triage.id)
    db_session.commit()
    assert handoff.reference_code == "KNE-22222"
    assert _count(db_session, Handoff) == 2
    assert latest_triage(db_session, "conv-2") is not None


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("KNE-7K3Q9", "KNE-7K3Q9"),
        ("kne 7k3q9", "KNE-7K3Q9"),
        ("7k3q9", "KNE-7K3Q9"),
        ("KNE23", "KNE-KNE23"),
        ("kne-kne23", "KNE-KNE23"),
    ],
)
def test_normalise_reference_code(typed, stored):
    assert repository.normalise_reference_code(typed) == stored


def test_reference_code_gives_up_after_repeated_collisions(db_session, monkeypatch):
    existing = _handoff(db_session, "conv-1")
    db_session.commit()
    monkeypatch.setattr(repository, "generate_reference_code", lambda: existing.reference_code)
    with pytest.raises(RuntimeError, match="no free reference code"):
        _handoff(db_session, "conv-2")


@pytest.mark.parametrize("consent", [False, None, "yes", 1])
def test_handoff_without_consent_is_refused(db_session, consent):
    with pytest.raises(ValueError, match="consent"):
        _handoff(db_session, consent=consent)
    assert _count(db_session, Handoff) == 0


def test_database_refuses_handoff_without_consent(db_session):
    db_session.add(
        Handoff(
            reference_code="KNE-AAAAA",
            conversation_id="c",
            channel="rest",
            reason="booking",
            name="A",
            contact_kind="phone",
            contact_value="0412345678",
            consent=False,
        )
    )
    with pytest.raises(IntegrityError):
        db_session.flush()


def test_bad_status_is_refused_by_the_database(db_session):
    code = _handoff(db_session).reference_code
    db_session.commit()
    with pytest.raises(IntegrityError):
        db_session.execute(update(Handoff).where(Handoff.reference_code == code).values(status="lost"))
    db_session.rollback()
    assert get_handoff(db_session, code).status == "new"


def test_set_handoff_status(db_session):
    handoff = _handoff(db_session)
    db_session.commit()
    created, updated = handoff.created_at, handoff.updated_at
    time.sleep(0.01)
    for status in ("contacted", "could_not_reach", "booked", "declined"):
        assert set_handoff_status(db_session, handoff.reference_code, status).status == status
    db_session.commit()
    db_session.expire_all()
    assert handoff.status == "declined"
    assert handoff.created_at == created and handoff.updated_at > updated
    with pytest.raises(ValueError, match="status"):
        set_handoff_status(db_session, handoff.reference_code, "lost")
    with pytest.raises(LookupError):
        set_handoff_status(db_session, "KNE-ZZZZZ", "declined")


def test_list_handoffs_oldest_first_and_by_status(db_session):
    a = _handoff(db_session, "conv-a")
    b = _handoff(db_session, "conv-b", reason="talk_to_person", site=None)
    c = _handoff(db_session, "conv-c", reason="red_flag_follow_up", site="Jindalee ")
    db_session.commit()
    set_handoff_status(db_session, b.reference_code, "contacted")
    db_session.commit()
    assert [h.id for h in list_handoffs(db_session)] == [a.id, b.id, c.id]
    assert [h.id for h in list_handoffs(db_session, "new")] == [a.id, c.id]
    assert [h.id for h in list_handoffs(db_session, status="contacted")] == [b.id]
    assert list_handoffs(db_session, "booked") == []
    assert c.site == "jindalee" and b.site is None
    with pytest.raises(ValueError):
        list_handoffs(db_session, "lost")


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"reason": "chat"}, "reason"),
        ({"contact_kind": "fax"}, "contact_kind"),
        ({"site": "indooroopilly"}, "site"),
        ({"contact_kind": "email", "contact_value": "not-an-email"}, "email"),
        ({"contact_value": "call me"}, "phone"),
        ({"name": "  "}, "name"),
        ({"conversation_id": ""}, "conversation_id"),
    ],
)
def test_create_handoff_validates_input(db_session, changes, message):
    with pytest.raises(ValueError, match=message):
        _handoff(db_session, **changes)


def test_handoff_never_links_another_conversations_triage(db_session):
    """A stale triage id drops the link, never the booking, and never links someone else."""
    other = _triage(db_session, "someone-else")
    assert _handoff(db_session, "conv-a", triage_id=other.id).triage_id is None
    assert _handoff(db_session, "conv-a", triage_id=999_999).triage_id is None
    db_session.commit()
    assert len(list_handoffs(db_session)) == 2


def test_channel_is_normalised_not_refused(db_session):
    assert _triage(db_session, channel=" Telegram ").channel == "telegram"
    assert _triage(db_session, channel=None).channel == "unknown"
    assert _triage(db_session, channel="x" * 40).channel == "x" * 32


def test_foreign_key_is_enforced(db_session):
    db_session.add(
        Handoff(
            reference_code="KNE-BBBBB",
            conversation_id="c",
            channel="rest",
            reason="booking",
            name="A",
            contact_kind="phone",
            contact_value="0412345678",
            consent=True,
            triage_id=999_999,
        )
    )
    with pytest.raises(IntegrityError):
        db_session.flush()


# --- the right to deletion -----------------------------------------------------------------------


def test_delete_conversation_data_removes_only_that_persons_rows(db_engine):
    with session_scope(db_engine) as session:
        mine = [_triage(session, "conv-me"), _triage(session, "conv-me")]
        _handoff(session, "conv-me", triage_id=mine[1].id)
        _handoff(session, "conv-me", reason="talk_to_person")
        # a handoff filed under another id but linked to my triage is mine too
        session.add(
            Handoff(
                reference_code="KNE-CCCCC",
                conversation_id="conv-me-telegram",
                channel="telegram",
                reason="booking",
                name="Me",
                contact_kind="phone",
                contact_value="0412345678",
                consent=True,
                triage_id=mine[0].id,
            )
        )
        theirs = _triage(session, "conv-other")
        their_handoff = _handoff(session, "conv-other", triage_id=theirs.id)

    with session_scope(db_engine) as session:
        assert delete_conversation_data(session, "conv-me") == 5
    with session_scope(db_engine) as session:
        assert session.scalars(select(Triage.conversation_id)).all() == ["conv-other"]
        assert session.scalars(select(Handoff.reference_code)).all() == [their_handoff.reference_code]
        assert get_handoff(session, their_handoff.reference_code).triage_id == theirs.id
        assert delete_conversation_data(session, "conv-me") == 0
        assert delete_conversation_data(session, "nobody") == 0


def test_deleted_ids_are_not_reused(db_engine):
    """A stale triage id (e.g. kept in a slot) must never point at someone else's new row."""
    with session_scope(db_engine) as session:
        old_id = _triage(session, "conv-gone").id
    with session_scope(db_engine) as session:
        delete_conversation_data(session, "conv-gone")
    with session_scope(db_engine) as session:
        assert _triage(session, "conv-new").id > old_id


# --- concurrency ---------------------------------------------------------------------------------


def test_concurrent_writers_do_not_fail(db_url):
    """The action server and the web app write at the same time: threads with their own
    connections, each transaction reading then writing, all contending for the same tables."""
    writers, rounds = 6, 15
    engine = make_engine(db_url, pool_size=writers, max_overflow=0)
    start = threading.Barrier(writers)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(rounds):
                with session_scope(engine) as session:
                    list_handoffs(session, "new")  # read first: the classic SQLite lock upgrade
                    time.sleep(0.001)
                    triage = _triage(session, f"conv-{n}-{i}", channel="socketio")
                    code = _handoff(session, f"conv-{n}-{i}", triage_id=triage.id).reference_code
                with session_scope(engine) as session:
                    latest_triage(session, f"conv-{n}-{i}")
                    set_handoff_status(session, code, "contacted")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not any(thread.is_alive() for thread in threads)
        assert not errors, f"{len(errors)} writers failed, e.g. {errors[0]!r}" if errors else ""
        with session_scope(engine) as session:
            assert _count(session, Triage) == writers * rounds
            assert len(list_handoffs(session, "contacted")) == writers * rounds
            codes = session.scalars(select(Handoff.reference_code)).all()
            assert len(set(codes)) == writers * rounds
    finally:
        engine.dispose()


# --- reception: migration 0002, follow-up history, staff accounts, retention ------------------------


def test_migration_0002_keeps_handoffs_and_maps_the_old_closed_status(empty_db_url):
    upgrade(empty_db_url, "0001")
    engine = make_engine(empty_db_url)
    insert = (
        "INSERT INTO handoffs (reference_code, conversation_id, channel, reason, name, contact_kind, "
        "contact_value, consent, status, summary) VALUES (:code, 'c', 'rest', 'booking', 'Sam', 'phone', "
        "'+61412345678', :yes, :status, '')"
    )
    try:
        with engine.begin() as connection:
            for code, status in (("KNE-AAAAA", "closed"), ("KNE-BBBBB", "booked")):
                connection.execute(text(insert), {"code": code, "status": status, "yes": True})
        upgrade(empty_db_url)

        def statuses() -> dict[str, str]:
            with engine.connect() as connection:
                return dict(connection.execute(text("SELECT reference_code, status FROM handoffs")).all())

        assert statuses() == {"KNE-AAAAA": "declined", "KNE-BBBBB": "booked"}
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE handoffs SET status = 'could_not_reach' WHERE reference_code = 'KNE-BBBBB'")
            )
        downgrade(empty_db_url, "0001")
        assert statuses() == {"KNE-AAAAA": "closed", "KNE-BBBBB": "closed"}
        assert "staff_users" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_follow_up_history_keeps_who_when_from_to_and_note(db_session):
    handoff = _handoff(db_session)
    set_handoff_status(
        db_session, handoff.reference_code, "could_not_reach", changed_by="alice", note="voicemail"
    )
    set_handoff_status(
        db_session, handoff.reference_code, "could_not_reach", changed_by="bob", note="  tried again "
    )
    set_handoff_status(db_session, handoff.reference_code, "booked", changed_by="alice")
    db_session.commit()
    history = repository.handoff_history(db_session, handoff)
    assert [(h.changed_by, h.from_status, h.to_status, h.note) for h in history] == [
        ("alice", "could_not_reach", "booked", ""),
        ("bob", "could_not_reach", "could_not_reach", "tried again"),
        ("alice", "new", "could_not_reach", "voicemail"),
    ]
    assert all(h.changed_at.tzinfo is not None for h in history)
    with pytest.raises(ValueError, match="note"):
        set_handoff_status(db_session, handoff.reference_code, "booked", changed_by="alice", note="x" * 4001)
    with pytest.raises(ValueError, match="changed_by"):
        set_handoff_status(db_session, handoff.reference_code, "booked", changed_by=" ")


def test_a_later_red_flag_raises_the_handoff_and_tells_staff_again(db_session):
    """Booked for a running assessment, then a swollen calf: reception's history says so, and the
    staff notification is sent again with the new route, headed as more urgent."""
    from bot.settings import get_settings
    from bot.web.reception import notify

    triage = _triage(db_session, "conv-a")
    handoff = _handoff(db_session, "conv-a", triage_id=triage.id)
    assert repository.claim_staff_notification(db_session, handoff.id)
    db_session.commit()
    db_session.refresh(handoff)
    assert notify.message_text(handoff, get_settings()).startswith("New handoff")

    later = FakeResult(outcome="urgent_medical", red_flags=("calf_dvt_signs",), reasons=("A swollen calf.",))
    repository.upgrade_triage(db_session, triage_id=triage.id, conversation_id="conv-a", result=later)
    db_session.commit()
    db_session.refresh(handoff)
    assert handoff.staff_notified_at is None  # the poller announces it again
    [line] = repository.handoff_history(db_session, handoff)
    assert (line.changed_by, line.from_status, line.to_status) == ("assistant", "new", "new")
    assert "book running assessment to urgent medical" in line.note
    text = notify.message_text(handoff, get_settings())
    assert text.startswith(f"More urgent now: {handoff.reference_code}") and "Sam" not in text

    # the same route again, or a less urgent one, changes nothing for reception
    assert repository.claim_staff_notification(db_session, handoff.id)
    repository.upgrade_triage(db_session, triage_id=triage.id, conversation_id="conv-a", result=later)
    repository.upgrade_triage(
        db_session, triage_id=triage.id, conversation_id="conv-a", result=FakeResult(outcome="medical_review")
    )
    db_session.commit()
    db_session.refresh(handoff)
    assert handoff.staff_notified_at is not None
    assert len(repository.handoff_history(db_session, handoff)) == 1


def test_delete_my_data_removes_the_follow_up_history_too(db_engine):
    with session_scope(db_engine) as session:
        code = _handoff(session, "conv-me").reference_code
        set_handoff_status(session, code, "contacted", changed_by="alice", note="Called Sam, knee details")
    with session_scope(db_engine) as session:
        delete_conversation_data(session, "conv-me")
    with session_scope(db_engine) as session:
        assert session.scalar(select(func.count()).select_from(HandoffStatusChange)) == 0


def test_queue_query_orders_filters_and_searches_with_bound_parameters(db_session):
    emergency = _handoff(
        db_session, "c-e", triage_id=_triage(db_session, "c-e", FakeResult(outcome="emergency")).id
    )
    plain = _handoff(db_session, "c-p", name="100% Real_Name", site="jindalee")
    db_session.commit()

    def codes(**kw: str) -> list[str]:
        return [h.reference_code for h in repository.queue(db_session, repository.QueueFilter(**kw))]

    assert codes() == [emergency.reference_code, plain.reference_code]
    assert codes(search="100%") == [plain.reference_code]
    assert codes(search="%") == [plain.reference_code]  # a literal percent sign, not a wildcard
    assert codes(search="0%R") == []
    assert codes(search="' OR 1=1 --") == []
    assert codes(site="jindalee", status="new") == [plain.reference_code]
    with pytest.raises(ValueError):
        repository.QueueFilter(status="' OR 1=1 --")


def test_staff_accounts_sessions_and_failed_logins(db_session):
    from bot.db import staff

    with pytest.raises(ValueError, match="Argon2"):
        staff.set_user_password(db_session, "alice", "plain text")
    with pytest.raises(ValueError, match="username"):
        staff.set_user_password(db_session, "a b", "$argon2id$v=19$m=1,t=1,p=1$x$y")
    user, created = staff.set_user_password(db_session, " Alice ", "$argon2id$v=19$m=1,t=1,p=1$x$y")
    assert created and user.username == "alice"
    now = datetime.now(timezone.utc)
    staff.create_session(
        db_session, user=user, token_hash="a" * 64, csrf_token="c", expires_at=now + timedelta(hours=1)
    )
    staff.create_session(
        db_session, user=user, token_hash="b" * 64, csrf_token="c", expires_at=now - timedelta(seconds=1)
    )
    assert staff.live_session(db_session, "a" * 64).user.username == "alice"
    assert staff.live_session(db_session, "b" * 64) is None  # expired
    assert staff.delete_expired_sessions(db_session) == 1
    same, created = staff.set_user_password(db_session, "ALICE", "$argon2id$v=19$m=1,t=1,p=1$x$z")
    assert not created and same.id == user.id
    assert staff.live_session(db_session, "a" * 64) is None  # a new password ends every session

    for _ in range(3):
        staff.record_failed_login(db_session, account_key="k1", address_key="ip1")
    staff.record_failed_login(db_session, account_key="k2", address_key="ip1")
    assert staff.failed_logins_since(
        db_session, now - timedelta(minutes=1), account_key="k1", address_key="ip1"
    ) == (3, 4)
    staff.forget_failed_logins(db_session, "k1")
    assert staff.failed_logins_since(
        db_session, now - timedelta(minutes=1), account_key="k1", address_key="ip1"
    ) == (0, 1)


def _tracker_events(url: str) -> MetaData:
    """A table shaped like Rasa's SQL tracker store (`events`), in the given database."""
    metadata = MetaData()
    Table(
        "events",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("sender_id", String(255), nullable=False),
        Column("type_name", String(255), nullable=False),
        Column("timestamp", Float),
        Column("data", Text),
    )
    return metadata


def test_retention_deletes_old_triages_handoffs_and_conversations(db_url, monkeypatch):
    from bot.db import retention

    monkeypatch.setenv("DATABASE_URL", db_url)
    engine = make_engine(db_url)
    now = datetime.now(timezone.utc)
    old, recent = now - timedelta(days=400), now - timedelta(days=10)
    try:
        with session_scope(engine) as session:
            for conversation, when in (("conv-old", old), ("conv-new", recent)):
                triage = _triage(session, conversation)
                handoff = _handoff(session, conversation, triage_id=triage.id)
                set_handoff_status(session, handoff.reference_code, "contacted", changed_by="alice", note="n")
                triage.created_at = handoff.created_at = when
        metadata = _tracker_events(db_url)
        metadata.create_all(engine)
        events = metadata.tables["events"]
        with engine.begin() as connection:
            for sender, stamps in (
                ("conv-old", [old, old + timedelta(days=1)]),
                ("conv-new", [recent]),
                ("conv-woke-up", [old, recent]),  # an old conversation that carried on: kept
            ):
                for stamp in stamps:
                    connection.execute(
                        events.insert().values(
                            sender_id=sender, type_name="user", timestamp=stamp.timestamp()
                        )
                    )

        dry = retention.run(365, tracker_url=db_url, dry_run=True)
        assert (dry.handoffs, dry.triages, dry.conversations) == (1, 1, 1) and "would delete" in str(dry)
        report = retention.run(365, tracker_url=db_url)
        assert (report.handoffs, report.triages, report.conversations) == (1, 1, 1)
        assert "deleted 1 handoffs, 1 triages, 1 tracker conversations" in str(report)
        with session_scope(engine) as session:
            assert [h.conversation_id for h in session.scalars(select(Handoff))] == ["conv-new"]
            assert [t.conversation_id for t in session.scalars(select(Triage))] == ["conv-new"]
            assert session.scalar(select(func.count()).select_from(HandoffStatusChange)) == 1
        with engine.connect() as connection:
            senders = {row[0] for row in connection.execute(select(events.c.sender_id).distinct())}
        assert senders == {"conv-new", "conv-woke-up"}
        # nothing of the deleted conversation is left where a file reader could find it
        if db_url.startswith("sqlite"):
            path = Path(make_url(db_url).database)
            files = [f for f in (path, path.with_name(path.name + "-wal")) if f.exists()]
            assert all(b"conv-old" not in f.read_bytes() for f in files)
            assert "WAL checkpointed" in str(report)
        else:
            assert "clinic database: vacuumed" in str(report)
        assert retention.run(365, tracker_url=db_url).conversations == 0  # nothing left to do
        with pytest.raises(ValueError):
            retention.run(0, tracker_url=db_url)
    finally:
        _tracker_events(db_url).drop_all(engine)
        engine.dispose()


def test_retention_finds_the_tracker_store_rasa_uses(monkeypatch, tmp_path):
    from bot.db.retention import tracker_store_url
    from bot.settings import get_settings

    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "tracker.db"))
    monkeypatch.setenv("RASA_ENDPOINTS", "endpoints.yml")
    get_settings.cache_clear()
    assert tracker_store_url(get_settings()) == f"sqlite:///{tmp_path / 'tracker.db'}"
    monkeypatch.setenv("TRACKER_STORE", "postgresql")  # endpoints.yml follows TRACKER_STORE
    get_settings.cache_clear()
    assert tracker_store_url(get_settings()).startswith("postgresql+psycopg://")
    monkeypatch.setenv("TRACKER_STORE", "sqlite")
    monkeypatch.setenv("RASA_ENDPOINTS", "endpoints.production.yml")
    monkeypatch.setenv("TRACKER_DB_HOST", "db.internal")
    monkeypatch.setenv("TRACKER_DB_NAME", "rasa_tracker")
    monkeypatch.setenv("TRACKER_DB_USER", "rasa")
    monkeypatch.setenv("TRACKER_DB_PASSWORD", "s3cret")
    get_settings.cache_clear()
    assert (
        tracker_store_url(get_settings()) == "postgresql+psycopg://rasa:s3cret@db.internal:5432/rasa_tracker"
    )


def test_retention_command_line(tmp_path):
    db_file = tmp_path / "clinic.db"
    upgrade(f"sqlite:///{db_file}")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db_file}",
        "TRACKER_DB": str(tmp_path / "tracker.db"),  # Rasa never ran: nothing to delete there
        "RASA_ENDPOINTS": "endpoints.yml",
        "PYTHONPATH": str(ROOT),
    }
    run = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "bot.db.retention", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    done = run("--days", "30")
    assert done.returncode == 0, done.stderr
    assert "deleted 0 handoffs, 0 triages, 0 tracker conversations" in done.stdout
    refused = run("--days", "0")
    assert refused.returncode == 2 and "at least one day" in refused.stderr


def test_delete_my_data_leaves_no_words_in_the_sqlite_files(sqlite_db_url, tmp_path):
    """The deleted free text, staff note and reference code are gone from the database file and
    its WAL, not just unlinked from the tables (issue 21)."""
    from bot.db.session import scrub_deleted

    engine = make_engine(sqlite_db_url)
    reader = make_engine(sqlite_db_url)  # another process's connection, as the web app has
    try:
        with session_scope(engine) as session:
            handoff = _handoff(session, "conv-private", preferred_times="QUOKKA-MORNINGS-7731")
            code = handoff.reference_code
            set_handoff_status(session, code, "contacted", changed_by="alice", note="NUMBAT-NOTE-4410")
        with session_scope(reader) as session:
            assert get_handoff(session, code) is not None
        files = [tmp_path / "clinic.db", tmp_path / "clinic.db-wal"]
        assert any(b"QUOKKA-MORNINGS-7731" in f.read_bytes() for f in files if f.exists())

        with session_scope(engine) as session:
            assert delete_conversation_data(session, "conv-private") >= 1
        assert scrub_deleted(engine)
        for secret in (b"QUOKKA-MORNINGS-7731", b"NUMBAT-NOTE-4410", code.encode()):
            assert not any(secret in f.read_bytes() for f in files if f.exists()), secret
    finally:
        engine.dispose()
        reader.dispose()
