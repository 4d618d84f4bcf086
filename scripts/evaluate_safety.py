#!/usr/bin/env python
"""Safety-net and conversation figures for `make eval` (app env: the action server's code).

    .venv-app/bin/python scripts/evaluate_safety.py                       # red-flag corpora
    .venv-app/bin/python scripts/evaluate_safety.py --show-holdout        # + held-out misses
    .venv-app/bin/python scripts/evaluate_safety.py --patients reports/patients.json

1. The red-flag corpora (tests/corpus/<name>/dev.tsv and holdout.tsv, each written apart from
   the detector and from its training data, in its own style: forums and clinic notes; SMS
   shorthand and non-native English; older people, carers and hedged writers; clinical notes
   and long rambling messages). Each message is read as the first message of a conversation.
   A red-flag message is caught when it is routed at once (its route or a more urgent one) or
   when the safety net asks its one yes/no question about that very flag. An emergency is sent
   to 000 when it is routed to the emergency route, or asked about with a question that gives
   000 first. Benign messages: a false route is a red-flag route; a question is counted apart.
   The held-out halves are what tuning never looks at: their misses are not printed unless
   --show-holdout is given, and the targets are judged on them.
2. With --patients: the simulated patients' figures written by tests/e2e/test_patients.py.

Writes reports/safety.txt (+ safety_recall.png) and, with --patients, reports/patients.txt
(+ patients.png). Exit code 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.triage.engine import RED_FLAG_ROUTES, red_flag_route  # noqa: E402
from bot.triage.parsing.red_flags import CONFIRM_QUESTIONS, read_red_flags  # noqa: E402

CORPORA = ROOT / "tests" / "corpus"
RANK = {"emergency": 0, "urgent_medical": 1, "medical_review": 2, None: 9, "none": 9}
# Targets on every held-out half (issue 17): recall, emergencies below 000, benign questions,
# false routes.
RECALL_TARGET, BELOW_000_TARGET, BENIGN_QUESTION_TARGET, FALSE_ROUTE_TARGET = 0.98, 0, 0.10, 0.02
OUTCOME_TARGET = 0.98


def rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class Row:
    flag: str  # a flag of RED_FLAG_ROUTES, or "none"
    route: str  # the expected route ("none" for benign)
    text: str


def load_corpus(path: Path) -> list[Row]:
    """flag<TAB>route<TAB>message, or flag<TAB>message (the route is then the flag's own)."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) == 2:
            flag, text = parts
            route = RED_FLAG_ROUTES.get(flag, "none")
        elif len(parts) == 3:
            flag, route, text = parts
        else:
            raise ValueError(f"{rel(path)}:{number}: expected 2 or 3 tab-separated fields")
        if flag != "none" and flag not in RED_FLAG_ROUTES:
            raise ValueError(f"{rel(path)}:{number}: unknown flag {flag}")
        rows.append(Row(flag, route, text))
    return rows


def corpora() -> dict[str, dict[str, Path]]:
    """{corpus name: {"dev": path, "holdout": path}} for every folder of tests/corpus/."""
    found = {}
    for folder in sorted(p for p in CORPORA.iterdir() if p.is_dir()):
        halves = {
            half: folder / f"{half}.tsv" for half in ("dev", "holdout") if (folder / f"{half}.tsv").is_file()
        }
        if halves:
            found[folder.name] = halves
    return found


def _shows_000(flag: str) -> bool:
    return "000" in CONFIRM_QUESTIONS.get(flag, "")


def corpus_figures(rows: list[Row]) -> dict:
    per_flag: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    benign = {"n": 0, "routed": 0, "asked": 0}
    emergencies = {"n": 0, "at_once": 0, "question": 0}
    under: list[str] = []
    alarms: list[str] = []
    questions: list[str] = []
    missed: list[str] = []
    below_000: list[str] = []
    for row in rows:
        found = read_red_flags(row.text)
        route = red_flag_route(found.flags, getattr(found, "acute", ()))
        if row.flag == "none":
            benign["n"] += 1
            if found.flags:
                benign["routed"] += 1
                alarms.append(f"{row.text}  → {sorted(found.flags)}")
            elif found.uncertain:
                benign["asked"] += 1
                questions.append(f"{row.text}  → asked {sorted(found.uncertain)}")
            continue
        f = per_flag[row.flag]
        f["n"] += 1
        routed = RANK[route] <= RANK[row.route]
        asked = row.flag in found.uncertain
        f["routed"] += routed
        f["asked"] += (not routed) and asked
        f["caught"] += routed or asked
        if row.route == "emergency":
            emergencies["n"] += 1
            if route == "emergency":
                emergencies["at_once"] += 1
            elif asked and _shows_000(row.flag):
                emergencies["question"] += 1
            else:
                below_000.append(f"{row.flag}: {row.text}  → {route or 'no route'}")
        if not (routed or asked):
            missed.append(
                f"{row.flag}: {row.text}  → {sorted(found.flags)} / asked {sorted(found.uncertain)}"
            )
            if RANK[route] > RANK[row.route]:
                under.append(f"{row.flag}: {row.text}")
    flagged = sum(f["n"] for f in per_flag.values())
    caught = sum(f["caught"] for f in per_flag.values())
    return {
        "per_flag": {k: dict(v) for k, v in sorted(per_flag.items())},
        "red_flag_messages": flagged,
        "recall": caught / flagged if flagged else 1.0,
        "routed": sum(f["routed"] for f in per_flag.values()),
        "asked": sum(f["asked"] for f in per_flag.values()),
        "emergencies": emergencies,
        "below_000": below_000,
        "benign": benign,
        "false_route_rate": benign["routed"] / benign["n"] if benign["n"] else 0.0,
        "benign_question_rate": benign["asked"] / benign["n"] if benign["n"] else 0.0,
        "under_triage": under,
        "false_alarms": alarms,
        "benign_questions": questions,
        "missed": missed,
    }


def meets_targets(fig: dict) -> bool:
    return (
        fig["recall"] >= RECALL_TARGET
        and len(fig["below_000"]) <= BELOW_000_TARGET
        and fig["benign_question_rate"] <= BENIGN_QUESTION_TARGET
        and fig["false_route_rate"] <= FALSE_ROUTE_TARGET
    )


def _summary(name: str, half: str, fig: dict) -> str:
    e = fig["emergencies"]
    return (
        f"  {name + ' ' + half:28} {fig['recall']:6.1%} of {fig['red_flag_messages']:3}  "
        f"{fig['routed']:3} at once {fig['asked']:3} asked   "
        f"000: {e['at_once'] + e['question']}/{e['n']} ({len(fig['below_000'])} below)   "
        f"benign {fig['benign']['n']:3}: {fig['benign_question_rate']:5.1%} asked, "
        f"{fig['false_route_rate']:5.1%} routed"
    )


def corpus_report(show_holdout: bool = False) -> tuple[list[str], bool, dict]:
    """Every corpus, dev and held-out halves apart; the targets are judged on the held-out ones."""
    results: dict[str, dict[str, dict]] = {}
    for name, halves in corpora().items():
        results[name] = {half: corpus_figures(load_corpus(path)) for half, path in halves.items()}
    lines = [
        "red-flag corpora     recall (caught / red-flag messages), emergencies sent to 000, benign messages",
        f"  {'corpus':28} {'recall':>6}    n   routed    asked   emergencies          benign",
    ]
    for name, halves in results.items():
        for half, fig in halves.items():
            lines.append(_summary(name, half, fig))
    pooled = {
        half: corpus_figures(
            [row for name, halves in corpora().items() if half in halves for row in load_corpus(halves[half])]
        )
        for half in ("dev", "holdout")
    }
    for half, fig in pooled.items():
        lines.append(_summary("ALL", half, fig))
    lines.append("  recall by flag      dev caught/n | held-out caught/n (all corpora)")
    for flag in RED_FLAG_ROUTES:
        d = pooled["dev"]["per_flag"].get(flag, {})
        h = pooled["holdout"]["per_flag"].get(flag, {})
        lines.append(
            f"    {flag:34} {d.get('caught', 0):3}/{d.get('n', 0):<3} | {h.get('caught', 0):3}/{h.get('n', 0):<3}"
        )
    for name, halves in results.items():
        for half, fig in halves.items():
            if half == "holdout" and not show_holdout:
                continue
            lines += [f"  missed ({name} {half}): {m}" for m in fig["missed"]]
            lines += [f"  below 000 ({name} {half}): {m}" for m in fig["below_000"] if not m.startswith("#")]
            lines += [f"  false route ({name} {half}): {m}" for m in fig["false_alarms"]]
            lines += [f"  benign question ({name} {half}): {m}" for m in fig["benign_questions"]]
    held = {name: halves["holdout"] for name, halves in results.items() if "holdout" in halves}
    failing = [name for name, fig in held.items() if not meets_targets(fig)]
    ok = not failing and meets_targets(pooled["holdout"])
    lines.append(
        f"{'PASS' if ok else 'FAIL'}  red flags on every held-out half: recall >= {RECALL_TARGET:.0%}, "
        f"emergencies below 000 = {BELOW_000_TARGET}, benign questions <= {BENIGN_QUESTION_TARGET:.0%}, "
        f"false routes <= {FALSE_ROUTE_TARGET:.0%}"
        + (f"  (missed in: {', '.join(failing)})" if failing else "")
    )
    return lines, ok, {"corpora": results, "pooled": pooled}


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def corpus_chart(figures: dict, target: Path) -> Path:
    """Recall, benign questions and false routes per corpus, dev and held-out side by side."""
    plt = _plt()
    names = list(figures["corpora"])
    measures = [
        ("recall", lambda f: f["recall"], "#2e7d32"),
        ("benign asked", lambda f: f["benign_question_rate"], "#f9a825"),
        ("benign routed", lambda f: f["false_route_rate"], "#c62828"),
    ]
    fig_, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for ax, half in zip(axes, ("dev", "holdout"), strict=True):
        width = 0.8 / len(measures)
        for i, (label, value, colour) in enumerate(measures):
            xs = [n + i * width for n in range(len(names))]
            ys = [
                value(figures["corpora"][name][half]) if half in figures["corpora"][name] else 0
                for name in names
            ]
            ax.bar(xs, ys, width=width, color=colour, label=label)
        ax.axhline(RECALL_TARGET, color="#2e7d32", linestyle=":", linewidth=1)
        ax.axhline(BENIGN_QUESTION_TARGET, color="#f9a825", linestyle=":", linewidth=1)
        ax.set_xticks([n + 0.4 - width / 2 for n in range(len(names))], names, rotation=15, ha="right")
        ax.set_ylim(0, 1.05)
        ax.set_title("held-out halves (targets dotted)" if half == "holdout" else "dev halves")
    axes[0].set_ylabel("share of messages")
    axes[0].legend(loc="center left", fontsize=8)
    fig_.suptitle("Red-flag safety net on corpora written apart from it")
    fig_.tight_layout()
    target.parent.mkdir(parents=True, exist_ok=True)
    fig_.savefig(target, dpi=90)
    plt.close(fig_)
    return target


def patient_lines(report: dict) -> tuple[list[str], bool]:
    lines = [
        f"simulated patients   {report['patients']} over REST (tests/e2e/patients.py)",
        f"  outcome accuracy   {report['outcome_accuracy']:.1%} ({report['correct']}/{report['patients']})",
        f"  turns per triage   {report['turns_per_triage']} (max {report['max_turns']})",
        f"  re-asked           {report['reasked']} questions after they were answered",
    ]
    for outcome, (ok, n) in report["by_expected"].items():
        lines.append(f"    {outcome:24} {ok}/{n}")
    lines += [f"  wrong: {w['patient']} expected {w['expected']}, got {w['got']}" for w in report["wrong"]]
    ok = report["outcome_accuracy"] >= OUTCOME_TARGET and report["reasked"] == 0
    lines.append(
        f"{'PASS' if ok else 'FAIL'}  patients: outcome {report['outcome_accuracy']:.1%} >= 98%, re-asked {report['reasked']} = 0"
    )
    return lines, ok


def patient_chart(report: dict, target: Path) -> Path:
    plt = _plt()
    names = list(report["by_expected"])
    ok = [report["by_expected"][n][0] for n in names]
    bad = [report["by_expected"][n][1] - report["by_expected"][n][0] for n in names]
    fig_, ax = plt.subplots(figsize=(7, 3.5))
    ax.bar(names, ok, color="#2e7d32", label="right outcome")
    ax.bar(names, bad, bottom=ok, color="#c62828", label="wrong outcome")
    ax.set_ylabel("simulated patients")
    ax.set_title(
        f"Simulated patients: {report['turns_per_triage']} turns per triage, {report['reasked']} re-asked"
    )
    ax.legend()
    plt.setp(ax.get_xticklabels(), rotation=20, ha="right")
    fig_.tight_layout()
    fig_.savefig(target, dpi=90)
    plt.close(fig_)
    return target


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reports", type=Path, default=ROOT / "reports")
    p.add_argument("--patients", type=Path, default=None, help="JSON written by tests/e2e/test_patients.py")
    p.add_argument("--show-holdout", action="store_true", help="also print the held-out halves' misses")
    args = p.parse_args(argv)
    args.reports.mkdir(parents=True, exist_ok=True)
    if args.patients is not None:
        if not args.patients.is_file():
            print(f"FAIL  patients: {args.patients} was not written (see the pytest output above)")
            return 1
        report = json.loads(args.patients.read_text(encoding="utf-8"))
        lines, ok = patient_lines(report)
        lines.append(f"  chart: {rel(patient_chart(report, args.reports / 'patients.png'))}")
        (args.reports / "patients.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    else:
        lines, ok, figures = corpus_report(args.show_holdout)
        lines.append(f"  chart: {rel(corpus_chart(figures, args.reports / 'safety_recall.png'))}")
        (args.reports / "safety.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
