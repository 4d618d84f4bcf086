"""Each fact once: the question order lives in actions/questions.py, and the action server's
sentences live in actions/wording.py or actions/questions.py (docs/contracts.md, "Where the
assistant's wording lives"). These tests keep the copies Rasa needs from drifting."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from actions.questions import BOOKING_QUESTIONS, TRIAGE_QUESTIONS

ROOT = Path(__file__).resolve().parents[2]
CONFIRM_SLOT = "red_flag_confirm"  # the safety net's yes/no check, asked first by either form


def domain(name: str) -> dict[str, Any]:
    return YAML(typ="safe").load((ROOT / "domain" / f"{name}.yml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("file", "form", "questions"),
    [("triage", "triage_form", TRIAGE_QUESTIONS), ("booking", "booking_form", BOOKING_QUESTIONS)],
)
def test_the_domain_lists_the_questions_in_the_tables_order(
    file: str, form: str, questions: dict[str, Any]
) -> None:
    spec = domain(file)
    assert spec["forms"][form]["required_slots"] == [*questions, CONFIRM_SLOT]
    asks = [a for a in spec["actions"] if a.startswith("action_ask_") and a != f"action_ask_{CONFIRM_SLOT}"]
    assert asks == [f"action_ask_{slot}" for slot in questions]


# Modules whose job is to hold the action server's wording.
WORDING_MODULES = {"wording.py", "questions.py"}


def _is_written_out(value: ast.expr) -> bool:
    """Words in the call itself; joining other texts (f"{a}\n\n{b}") is not wording."""
    return any(
        isinstance(part, ast.Constant)
        and isinstance(part.value, str)
        and any(c.isalpha() for c in part.value)
        for part in _text_parts(value)
    )


def _text_parts(value: ast.expr) -> list[ast.expr]:
    if isinstance(value, ast.JoinedStr):
        return list(value.values)
    if isinstance(value, ast.BinOp):  # "Sorry, " + question
        return _text_parts(value.left) + _text_parts(value.right)
    return [value]


def _literal_texts(path: Path) -> list[str]:
    """`utter_message(text=...)` given a sentence written out in the call itself."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "utter_message":
            found += [
                f"{path.name}:{node.lineno}"
                for keyword in node.keywords
                if keyword.arg == "text" and _is_written_out(keyword.value)
            ]
    return found


def test_actions_say_nothing_written_in_place() -> None:
    modules = [p for p in sorted((ROOT / "actions").glob("*.py")) if p.name not in WORDING_MODULES]
    assert [hit for path in modules for hit in _literal_texts(path)] == []
