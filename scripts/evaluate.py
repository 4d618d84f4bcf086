#!/usr/bin/env python
"""Evaluate the NLU: 5-fold cross-validation + summary, run with the Rasa env's python.

    .venv-rasa/bin/python scripts/evaluate.py              # from the project root (make eval)
    .venv-rasa/bin/python scripts/evaluate.py --summary-only   # re-read reports/nlu, no training

Steps:
1. makes sure the spaCy pipeline exists (scripts/build_spacy_pipeline.py, idempotent);
2. counts the examples per intent;
3. ``rasa test nlu --cross-validation --folds 5`` into ``reports/nlu/`` (progress shown);
   the domain is the project's ``domain/`` when it exists, else a minimal one generated
   from the NLU data in a temp dir;
4. reads ``reports/nlu/intent_report.json`` and
   writes ``reports/summary.txt``: intent macro-F1, worst intents,
   PASS/FAIL against the targets;
5. makes sure ``reports/intent_confusion_matrix.png`` exists (Rasa's, or drawn here from
   the predictions);
6. if a trained model is given (``--model``, default ``models/clinic.tar.gz`` when it
   exists), checks that the button payloads classify as intended and that gibberish falls
   back (``nlu_fallback`` or ``unreadable``);
7. :func:`vignette_section` — the clinical vignettes (``bot.triage.vignettes``) through the
   triage engine: "vignettes N/M correct" and a bar chart per expected outcome;
8. :func:`safety_section` — the red-flag corpus through the safety net (per-flag recall,
   under-triage, false alarms; ``reports/safety.txt``, ``safety_recall.png``) and the simulated
   patients over REST (outcome accuracy, turns, re-asked; ``reports/patients.txt``,
   ``patients.png``), both run with the app env's python.

Exit code: 0 when all targets pass, 1 when one fails, 2 when the evaluation could not run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INTENT_TARGET = 0.95

# What a tap on a button must be understood as. A button sends its title (the domain's buttons:
# their payload) as the message, so each is classified like typed text; the titles come from where the assistant shows them
# (the questions table, the actions' wording, the domain's responses), never a copy.
AFFIRM = {"Yes", "Yes, I agree"}
DENY = {"No", "No thanks"}
NOT_A_WARNING_SIGN = "None of these"


def button_intents() -> dict[str, list[str]]:
    """Every button title the assistant can show, grouped by the intent it must get."""
    import yaml

    sys.path.insert(0, str(PROJECT_ROOT))
    from actions import wording
    from actions.questions import ALL_QUESTIONS, YES_NO

    fixed = {
        wording.CHECK_MY_KNEE: "start_triage",
        wording.TALK_TO_A_PERSON: "request_human",
        wording.BOOK_AN_ASSESSMENT: "book_appointment",
        wording.TELL_ME_MORE: "ask_more",
        wording.SHOW_THE_EVIDENCE: "ask_evidence",
    }
    titles: dict[str, str] = {}

    def add(title: str, question: str = "") -> None:
        if title in fixed:
            intent = fixed[title]
        elif title in AFFIRM:
            intent = "affirm"
        elif title in DENY:
            intent = "deny"
        elif question == "red_flag_screen" and title != NOT_A_WARNING_SIGN:
            intent = "report_red_flag"
        else:
            intent = "inform"  # an answer to the question on screen
        titles.setdefault(title, intent)

    for slot, question in ALL_QUESTIONS.items():
        for title in question.buttons:
            add(title, slot)
    # the safety check's yes/no (actions/safety.py, which needs the app environment to import)
    for title in (*YES_NO, *wording.NOT_UNDERSTOOD_BUTTONS, *fixed):
        add(title)
    for path in sorted((PROJECT_ROOT / "domain").glob("*.yml")):
        responses = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("responses") or {}
        for variants in responses.values():
            for variant in variants:
                for button in variant.get("buttons") or []:
                    add(str(button.get("payload") or button["title"]))  # what a tap sends
    grouped: dict[str, list[str]] = defaultdict(list)
    for title, intent in titles.items():
        grouped[intent].append(title)
    return dict(grouped)


GIBBERISH = ("asdkjh qwe", "🙂🙂🙂", "lorem ipsum dolor", "qqqqq wwww", "ghjgjhg kjh")
GIBBERISH_OK = {"nlu_fallback", "unreadable"}


def rel(path: Path) -> str:
    """Path relative to the project root when inside it."""
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def say(msg: str) -> None:
    print(f"[evaluate] {msg}", flush=True)


# --------------------------------------------------------------------------------------
# 1. spaCy pipeline, 2. annotation agreement
# --------------------------------------------------------------------------------------


def ensure_spacy_pipeline() -> None:
    subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "scripts" / "build_spacy_pipeline.py")],
        check=True,
    )


def load_nlu(nlu_path: Path):
    from rasa.shared.nlu.training_data.loading import load_data

    return load_data(str(nlu_path))


def intent_counts(nlu_path: Path) -> dict[str, Any]:
    data = load_nlu(nlu_path)
    return {
        "examples": len(data.intent_examples),
        "per_intent": dict(Counter(ex.get("intent") for ex in data.intent_examples)),
    }


# --------------------------------------------------------------------------------------
# 3. cross-validation
# --------------------------------------------------------------------------------------


def scratch_domain(nlu_path: Path, out_dir: Path) -> Path:
    """A minimal domain (intents only) generated from the NLU data."""
    data = load_nlu(nlu_path)
    intents = sorted(data.intents)
    lines = ['version: "3.1"', "intents:"] + [f"  - {i}" for i in intents]
    path = out_dir / "domain.yml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ``rasa test nlu --cross-validation`` shuffles its folds with numpy's global random state
# and has no seed option; seeding it first makes the figure reproducible run to run.
SEEDED_RASA = (
    "import sys, numpy; numpy.random.seed(int(sys.argv.pop(1))); "
    "from rasa.__main__ import main; sys.argv[0] = 'rasa'; main()"
)


def run_cross_validation(
    config: Path,
    nlu_path: Path,
    domain: Path,
    out: Path,
    folds: int,
    log_path: Path,
    seed: int = 42,
) -> None:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    cmd = [
        sys.executable,
        "-c",
        SEEDED_RASA,
        str(seed),
        "test",
        "nlu",
        "--nlu",
        str(nlu_path),
        "--config",
        str(config),
        "--domain",
        str(domain),
        "--cross-validation",
        "--folds",
        str(folds),
        "--out",
        str(out),
        "--successes",
    ]
    say(f"running (fold seed {seed}): rasa " + " ".join(cmd[4:]))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONWARNINGS="ignore")
    started = time.monotonic()
    fold = 0
    with (
        open(log_path, "w", encoding="utf-8") as log,
        subprocess.Popen(
            cmd,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            bufsize=0,
        ) as proc,
    ):
        assert proc.stdout is not None
        buf = b""
        while True:
            chunk = proc.stdout.read(4096)
            if not chunk:
                break
            log.write(chunk.decode("utf-8", "replace"))
            buf += chunk
            *pieces, buf = re.split(rb"[\r\n]", buf)
            for raw in pieces:
                line = raw.decode("utf-8", "replace")
                elapsed = int(time.monotonic() - started)
                # the first trainable component of the pipeline: a new fold has begun
                if "Starting to train component 'RegexFeaturizer'" in line:
                    fold += 1
                    print(
                        f"\r[evaluate] fold {fold}/{folds}: training"
                        f"  ({elapsed // 60}m{elapsed % 60:02d}s)        ",
                        end="",
                        flush=True,
                    )
                if "Running model for predictions" in line:
                    print(
                        f"\r[evaluate] fold {fold}/{folds}: predicting"
                        f"  ({elapsed // 60}m{elapsed % 60:02d}s)        ",
                        end="",
                        flush=True,
                    )
                elif re.search(r"\b(ERROR|Error|Traceback)\b", line):
                    print(f"\n{line}", flush=True)
        rc = proc.wait()
    print()
    elapsed = int(time.monotonic() - started)
    if rc != 0:
        raise SystemExit(f"rasa test nlu failed (exit {rc}); see {log_path}")
    say(f"cross-validation finished in {elapsed // 60}m{elapsed % 60:02d}s (log: {log_path})")


# --------------------------------------------------------------------------------------
# 4. reports → summary
# --------------------------------------------------------------------------------------

_AGGREGATES = {"accuracy", "macro avg", "weighted avg", "micro avg"}


def read_report(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def per_label(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in report.items() if k not in _AGGREGATES and isinstance(v, dict)}


def intent_section(report: dict[str, Any], worst_n: int = 5) -> tuple[list[str], float]:
    macro = report["macro avg"]["f1-score"]
    labels = per_label(report)
    lines = [
        f"intent macro-F1      {macro:.3f}   (target >= {INTENT_TARGET:.2f})",
        f"intent accuracy      {report.get('accuracy', float('nan')):.3f}",
        f"intent weighted-F1   {report['weighted avg']['f1-score']:.3f}",
        f"intents              {len(labels)}",
        "",
        "worst intents (F1, support, confused with):",
    ]
    for name, r in sorted(labels.items(), key=lambda kv: (kv[1]["f1-score"], kv[0]))[:worst_n]:
        confused = r.get("confused_with") or {}
        conf = ", ".join(f"{k} x{v}" for k, v in confused.items()) or "-"
        lines.append(f"  {name:20} {r['f1-score']:.3f}  n={r['support']:<4} {conf}")
    return lines, macro


def ensure_confusion_matrix(nlu_out: Path, reports: Path) -> Path | None:
    """Copies Rasa's intent confusion matrix to reports/, or draws it from predictions."""
    target = reports / "intent_confusion_matrix.png"
    rasa_png = nlu_out / "intent_confusion_matrix.png"
    if rasa_png.is_file():
        shutil.copyfile(rasa_png, target)
        return target
    rows: list[dict[str, Any]] = []
    for name in ("intent_successes.json", "intent_errors.json"):
        data = read_report(nlu_out / name)
        if data:
            rows += data
    if not rows:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    gold = [r["intent"] for r in rows]
    pred = [(r.get("intent_prediction") or {}).get("name") or "None" for r in rows]
    labels = sorted(set(gold) | set(pred))
    index = {label: i for i, label in enumerate(labels)}
    m = np.zeros((len(labels), len(labels)), dtype=int)
    for g, p in zip(gold, pred, strict=False):
        m[index[g], index[p]] += 1
    fig, ax = plt.subplots(figsize=(12, 11))
    ax.imshow(m, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=90)
    ax.set_yticks(range(len(labels)), labels)
    for i in range(len(labels)):
        for j in range(len(labels)):
            if m[i, j]:
                ax.text(
                    j,
                    i,
                    m[i, j],
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if m[i, j] > m.max() / 2 else "black",
                )
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title("Intent confusion matrix (cross-validation)")
    fig.tight_layout()
    fig.savefig(target, dpi=90)
    plt.close(fig)
    return target


# --------------------------------------------------------------------------------------
# 6. buttons and gibberish on a trained model
# --------------------------------------------------------------------------------------


def probe_section(model: Path) -> tuple[list[str], bool]:
    import asyncio
    import logging

    logging.getLogger("rasa").setLevel(logging.WARNING)
    from rasa.core.agent import Agent

    async def run() -> tuple[list[str], bool]:
        agent = Agent.load(str(model))
        wrong: list[str] = []
        total = 0
        for intent, texts in button_intents().items():
            for text in texts:
                total += 1
                got = (await agent.parse_message(text))["intent"]
                if got["name"] != intent:
                    wrong.append(f"  {text!r}: {got['name']} ({got['confidence']:.2f}), want {intent}")
        lines = [
            f"buttons              {total - len(wrong)}/{total} classified as intended (model {model.name})"
        ] + wrong
        gib_ok = 0
        gib_lines = []
        for text in GIBBERISH:
            got = (await agent.parse_message(text))["intent"]
            ok = got["name"] in GIBBERISH_OK
            gib_ok += ok
            gib_lines.append(f"  {'ok ' if ok else 'BAD'} {text!r}: {got['name']} ({got['confidence']:.2f})")
        lines += [f"gibberish            {gib_ok}/{len(GIBBERISH)} -> {'/'.join(sorted(GIBBERISH_OK))}"]
        lines += gib_lines
        return lines, not wrong and gib_ok == len(GIBBERISH)

    return asyncio.run(run())


# --------------------------------------------------------------------------------------
# 7. clinical vignettes (hook)
# --------------------------------------------------------------------------------------


def vignette_section(
    path: Path = PROJECT_ROOT / "tests" / "vignettes.tsv",
    reports: Path = PROJECT_ROOT / "reports",
) -> list[str]:
    """'vignettes N/M correct' via ``bot.triage.vignettes`` + a PNG bar chart per outcome."""
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    from bot.triage.vignettes import check, load_vignettes

    try:
        vignettes = load_vignettes(path)
    except Exception as exc:  # a malformed table must not hide the NLU figures
        return [f"vignettes            could not be loaded: {exc}"]

    by_outcome: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # outcome → [ok, total]
    failures: list[str] = []
    for v in vignettes:
        expected = getattr(v, "outcome", None) or "?"
        try:
            ok, result = check(v)
        except Exception as exc:  # engine bug: count as wrong, keep going
            ok, result = False, f"{type(exc).__name__}: {exc}"
        by_outcome[expected][1] += 1
        if ok:
            by_outcome[expected][0] += 1
        else:
            got = getattr(result, "outcome", result)
            failures.append(f"  {getattr(v, 'id', '?')}: expected {expected}, got {got}")
    correct = sum(c for c, _ in by_outcome.values())
    lines = [f"vignettes            {correct}/{len(vignettes)} correct"]
    for outcome, (c, n) in sorted(by_outcome.items()):
        lines.append(f"  {outcome:24} {c}/{n}")
    lines += failures
    chart = _vignette_chart(by_outcome, reports / "vignettes_by_outcome.png")
    if chart:
        lines.append(f"  chart: {rel(chart)}")
    return lines


def _vignette_chart(by_outcome: dict[str, list[int]], target: Path) -> Path | None:
    if not by_outcome:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = sorted(by_outcome)
    ok = [by_outcome[n][0] for n in names]
    bad = [by_outcome[n][1] - by_outcome[n][0] for n in names]
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.bar(names, ok, color="#2e7d32", label="correct")
    ax.bar(names, bad, bottom=ok, color="#c62828", label="wrong")
    ax.set_ylabel("vignettes")
    ax.set_title("Clinical vignettes by expected outcome")
    ax.legend()
    plt.setp(ax.get_xticklabels(), rotation=20, ha="right")
    fig.tight_layout()
    target.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(target, dpi=90)
    plt.close(fig)
    return target


# --------------------------------------------------------------------------------------
# 8. safety net and simulated patients (app env: the action server's own code)
# --------------------------------------------------------------------------------------


def _app_python() -> str:
    return str(Path(os.environ.get("VENV_APP", PROJECT_ROOT / ".venv-app")) / "bin" / "python")


def safety_section(reports: Path, conversations: bool) -> tuple[list[str], bool]:
    """Red-flag corpus figures (scripts/evaluate_safety.py) and, unless skipped, the simulated
    patients over REST (tests/e2e/test_patients.py starts its own servers, about 4 minutes)."""
    lines: list[str] = []
    ok = True
    say("red-flag corpus through the safety net")
    run = subprocess.run(
        [_app_python(), "scripts/evaluate_safety.py", "--reports", str(reports)],
        capture_output=True,
        text=True,
    )
    lines += run.stdout.strip().splitlines() or [f"red-flag corpus      could not run: {run.stderr[-500:]}"]
    ok = ok and run.returncode == 0
    if not conversations:
        return lines + ["simulated patients   skipped (--no-conversations)"], ok
    say("simulated patients over REST (starts Rasa + action server, about 4 minutes)")
    patients_json = reports / "patients.json"
    patients_json.unlink(missing_ok=True)
    env = {**os.environ, "PATIENTS_REPORT": str(patients_json), "PYTHONPATH": str(PROJECT_ROOT)}
    subprocess.run(
        [_app_python(), "-m", "pytest", "tests/e2e/test_patients.py", "-q", "-p", "no:cacheprovider"],
        env=env,
        capture_output=True,
        text=True,
    )
    run = subprocess.run(
        [
            _app_python(),
            "scripts/evaluate_safety.py",
            "--reports",
            str(reports),
            "--patients",
            str(patients_json),
        ],
        capture_output=True,
        text=True,
    )
    lines += [""] + (
        run.stdout.strip().splitlines() or [f"simulated patients   could not run: {run.stderr[-500:]}"]
    )
    return lines, ok and run.returncode == 0


# --------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="NLU cross-validation and summary")
    p.add_argument("--config", type=Path, default=PROJECT_ROOT / "config.yml")
    p.add_argument("--nlu", type=Path, default=PROJECT_ROOT / "data" / "nlu")
    p.add_argument(
        "--domain",
        type=Path,
        default=None,
        help="default: domain/ if it exists, else a generated minimal domain",
    )
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--seed", type=int, default=42, help="seed for the fold split")
    p.add_argument("--reports", type=Path, default=PROJECT_ROOT / "reports")
    p.add_argument(
        "--summary-only",
        action="store_true",
        help="do not run cross-validation; summarise the existing reports/nlu",
    )
    p.add_argument(
        "--model",
        type=Path,
        default=None,
        help="trained model for the button/gibberish check (default: models/clinic.tar.gz if it exists)",
    )
    p.add_argument("--no-probe", action="store_true", help="skip the button/gibberish check")
    p.add_argument(
        "--no-conversations", action="store_true", help="skip the simulated patients (no servers started)"
    )
    args = p.parse_args(argv)

    os.chdir(PROJECT_ROOT)  # config.yml uses relative paths (models/spacy_en, components.*)
    reports: Path = args.reports.resolve()
    nlu_out = reports / "nlu"
    reports.mkdir(parents=True, exist_ok=True)

    ensure_spacy_pipeline()
    counts = intent_counts(args.nlu)
    say(f"{counts['examples']} examples in {len(counts['per_intent'])} intents")

    if not args.summary_only:
        with tempfile.TemporaryDirectory(prefix="nlu-eval-") as tmp:
            domain = args.domain
            if domain is None:
                domain = PROJECT_ROOT / "domain"
                if not domain.exists():
                    domain = scratch_domain(args.nlu, Path(tmp))
                    say(f"no domain/ yet: using a generated minimal domain {domain}")
            run_cross_validation(
                args.config, args.nlu, domain, nlu_out, args.folds, reports / "cv.log", seed=args.seed
            )

    intent_report = read_report(nlu_out / "intent_report.json")
    if intent_report is None:
        say(f"no intent report in {nlu_out}: run without --summary-only first")
        return 2
    intent_lines, intent_f1 = intent_section(intent_report)
    cm = ensure_confusion_matrix(nlu_out, reports)

    probe_lines: list[str] = []
    probe_ok: bool | None = None
    model = args.model or (PROJECT_ROOT / "models" / "clinic.tar.gz")
    if not args.no_probe:
        if model.is_file():
            say(f"checking buttons and gibberish on {model}")
            probe_lines, probe_ok = probe_section(model)
        else:
            probe_lines = [f"buttons/gibberish    skipped (no trained model at {model})"]

    intent_pass = intent_f1 >= INTENT_TARGET
    safety_lines, safety_ok = safety_section(reports, conversations=not args.no_conversations)
    lines = [
        "NLU evaluation — " + time.strftime("%Y-%m-%d %H:%M"),
        f"{args.folds}-fold cross-validation of {args.config.name} on {args.nlu}"
        + (" (summary of existing reports)" if args.summary_only else ""),
        f"examples             {counts['examples']} in {len(counts['per_intent'])} intents",
        "",
        *intent_lines,
        "",
        f"confusion matrix     {rel(cm) if cm else 'MISSING'}",
        "",
        *probe_lines,
        "",
        *vignette_section(reports=reports),
        "",
        *safety_lines,
        "",
        f"{'PASS' if intent_pass else 'FAIL'}  intent macro-F1 {intent_f1:.3f} >= {INTENT_TARGET}",
    ]
    if probe_ok is not None:
        lines.append(f"{'PASS' if probe_ok else 'FAIL'}  buttons and gibberish")
    summary = "\n".join(lines) + "\n"
    (reports / "summary.txt").write_text(summary, encoding="utf-8")
    print(summary)
    say(f"wrote {reports / 'summary.txt'}")
    return 0 if (intent_pass and probe_ok is not False and safety_ok) else 1


if __name__ == "__main__":
    sys.exit(main())
