"""Written clinical vignettes (tests/vignettes.tsv) and a checker, reusable by evaluation scripts.

File format: tab-separated, one header line with the columns
`id, description, answers, outcome, likelihood, red_flags, pointers`.
`answers` is a compact `key=value;key=value` list of `TriageAnswers` fields (sets as `a|b`,
booleans `true`/`false`, `none` for unknown, `-` for no answers at all). `red_flags` and
`pointers` are `|`-joined names, or `-` for none.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, fields
from pathlib import Path

from bot.triage.engine import TriageAnswers, TriageResult, assess

COLUMNS: tuple[str, ...] = (
    "id",
    "description",
    "answers",
    "outcome",
    "likelihood",
    "red_flags",
    "pointers",
)

_BOOL_FIELDS = {
    "predictable_onset",
    "downhill_worse",
    "stairs_descent_pain",
    "long_run_spike",
    "more_hills",
    "new_shoes_or_surface",
    "injury_within_7_days",
    "can_walk_four_steps",
    "can_bend_90",
}
_SET_FIELDS = {"red_flags", "symptoms", "acute_flags"}
_FLOAT_FIELDS = {"weekly_change_pct"}
_INT_FIELDS = {"age"}
_KNOWN = {f.name for f in fields(TriageAnswers)}


@dataclass(frozen=True)
class Vignette:
    id: str
    description: str
    answers: TriageAnswers
    outcome: str
    likelihood: str
    red_flags: frozenset[str]
    pointers: frozenset[str]


def _names(cell: str) -> frozenset[str]:
    cell = cell.strip()
    if cell in ("", "-"):
        return frozenset()
    return frozenset(part.strip() for part in cell.split("|") if part.strip())


def _value(key: str, raw: str) -> object:
    raw = raw.strip()
    if key in _SET_FIELDS:
        return _names(raw)
    if raw.lower() == "none":
        if key in ("long_run_spike", "more_hills", "new_shoes_or_surface"):
            raise ValueError(f"{key} cannot be none")
        return None
    if key in _BOOL_FIELDS:
        if raw.lower() not in ("true", "false"):
            raise ValueError(f"{key} must be true/false/none, got {raw!r}")
        return raw.lower() == "true"
    if key in _FLOAT_FIELDS:
        return float(raw)
    if key in _INT_FIELDS:
        return int(raw)
    return raw


def parse_answers(cell: str) -> TriageAnswers:
    """`pain_location=lateral;onset=gradual;symptoms=a|b` → TriageAnswers."""
    cell = cell.strip()
    if cell in ("", "-"):
        return TriageAnswers()
    values: dict[str, object] = {}
    for pair in cell.split(";"):
        if not pair.strip():
            continue
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or key not in _KNOWN:
            raise ValueError(f"bad answer item: {pair!r}")
        if key in values:
            raise ValueError(f"answer given twice: {key}")
        values[key] = _value(key, raw)
    return TriageAnswers(**values)  # type: ignore[arg-type]


def load_vignettes(path: str | Path) -> list[Vignette]:
    """Read the table; raises ValueError with the line number on any malformed row."""
    rows: list[Vignette] = []
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise ValueError(f"{path}: header must be {' '.join(COLUMNS)}")
        for line_no, row in enumerate(reader, start=2):
            if None in row or any(row[c] is None for c in COLUMNS):
                raise ValueError(f"{path}:{line_no}: wrong number of columns")
            try:
                rows.append(
                    Vignette(
                        id=row["id"].strip(),
                        description=row["description"].strip(),
                        answers=parse_answers(row["answers"]),
                        outcome=row["outcome"].strip(),
                        likelihood=row["likelihood"].strip(),
                        red_flags=_names(row["red_flags"]),
                        pointers=_names(row["pointers"]),
                    )
                )
            except (ValueError, TypeError) as exc:
                raise ValueError(f"{path}:{line_no}: {exc}") from exc
    return rows


def check(vignette: Vignette) -> tuple[bool, TriageResult]:
    """Does the engine agree with the vignette's expected outcome, likelihood, flags, pointers?"""
    result = assess(vignette.answers)
    ok = (
        result.outcome == vignette.outcome
        and result.itbs_likelihood == vignette.likelihood
        and frozenset(result.red_flags) == vignette.red_flags
        and frozenset(result.pointers) == vignette.pointers
    )
    return ok, result
