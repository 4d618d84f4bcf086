"""Written clinical vignettes (tests/vignettes.tsv) checked against the engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.triage.engine import POINTERS, RED_FLAG_ROUTES, TriageAnswers, assess
from bot.triage.vignettes import COLUMNS, Vignette, check, load_vignettes, parse_answers

TABLE = Path(__file__).resolve().parents[1] / "vignettes.tsv"
VIGNETTES = load_vignettes(TABLE)


def test_table_is_big_enough_and_ids_unique() -> None:
    assert len(VIGNETTES) >= 40
    ids = [v.id for v in VIGNETTES]
    assert len(ids) == len(set(ids))


def test_every_flag_and_pointer_appears() -> None:
    flags = set().union(*(v.red_flags for v in VIGNETTES))
    pointers = set().union(*(v.pointers for v in VIGNETTES))
    assert flags == set(RED_FLAG_ROUTES)
    assert pointers == set(POINTERS)


def test_every_outcome_and_likelihood_appears() -> None:
    assert {v.outcome for v in VIGNETTES} == {
        "emergency",
        "urgent_medical",
        "medical_review",
        "book_running_assessment",
        "general_assessment",
    }
    assert {v.likelihood for v in VIGNETTES} == {"high", "moderate", "low"}


def test_every_flag_appears_alone_and_a_combination_exists() -> None:
    alone = {next(iter(v.red_flags)) for v in VIGNETTES if len(v.red_flags) == 1}
    assert alone == set(RED_FLAG_ROUTES)
    assert any(len(v.red_flags) >= 3 for v in VIGNETTES)


def test_every_point_total_boundary_is_covered() -> None:
    totals = {assess(v.answers).points for v in VIGNETTES}
    assert {0, 1, 2, 3, 5} <= totals


@pytest.mark.parametrize("vignette", VIGNETTES, ids=lambda v: v.id)
def test_vignette(vignette: Vignette) -> None:
    ok, result = check(vignette)
    assert ok, (
        f"{vignette.id} {vignette.description}: got {result.outcome}/{result.itbs_likelihood} "
        f"flags={result.red_flags} pointers={result.pointers}"
    )


# --- the loader itself ------------------------------------------------------------------------


def test_parse_answers_types() -> None:
    answers = parse_answers(
        "pain_location=lateral;onset=gradual;predictable_onset=true;downhill_worse=none;"
        "weekly_change_pct=12.5;age=54;symptoms=mechanical|joint_line_pain;long_run_spike=false"
    )
    assert answers == TriageAnswers(
        pain_location="lateral",
        onset="gradual",
        predictable_onset=True,
        downhill_worse=None,
        weekly_change_pct=12.5,
        age=54,
        symptoms=frozenset({"mechanical", "joint_line_pain"}),
    )
    assert parse_answers("-") == TriageAnswers()


@pytest.mark.parametrize(
    "cell",
    [
        "pain=lateral",
        "age=old",
        "predictable_onset=yes",
        "pain_location",
        "age=5;age=6",
        "long_run_spike=none",
    ],
)
def test_parse_answers_rejects_bad_cells(cell: str) -> None:
    with pytest.raises(ValueError):
        parse_answers(cell)


def test_check_reports_a_mismatch() -> None:
    wrong = Vignette(
        "X",
        "deliberately wrong",
        TriageAnswers(pain_location="lateral", onset="gradual", predictable_onset=True, downhill_worse=True),
        "general_assessment",
        "high",
        frozenset(),
        frozenset(),
    )
    ok, result = check(wrong)
    assert not ok
    assert result.outcome == "book_running_assessment"


def test_load_vignettes_rejects_bad_files(tmp_path: Path) -> None:
    header = "\t".join(COLUMNS) + "\n"
    bad_header = tmp_path / "bad_header.tsv"
    bad_header.write_text("id\tanswers\n")
    short_row = tmp_path / "short_row.tsv"
    short_row.write_text(header + "A\tdesc\tonset=gradual\n")
    bad_answer = tmp_path / "bad_answer.tsv"
    bad_answer.write_text(header + "A\tdesc\tage=old\tgeneral_assessment\tlow\t-\t-\n")
    for path in (bad_header, short_row, bad_answer):
        with pytest.raises(ValueError):
            load_vignettes(path)
