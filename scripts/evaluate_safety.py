#!/usr/bin/env python
"""Safety-net and conversation figures for `make eval` (app env: the action server's code).

    .venv-app/bin/python scripts/evaluate_safety.py                       # red-flag corpus
    .venv-app/bin/python scripts/evaluate_safety.py --patients reports/patients.json

1. The red-flag corpus (tests/corpus/red_flags.tsv, written apart from the classifier's
   training file): each message is read as the first message of a conversation. A red-flag
   message is caught when it is routed (its flag, or a route at least as urgent) or when the
   safety net asks its one yes/no question about that flag (confirmed by the person's yes).
   Under-triage: routed less urgently than its flag and not asked about it. False alarm: a
   benign message routed as a red flag (questions on benign messages are counted apart).
   Also the rules alone and the trained net alone, to show each one's share.
2. With --patients: the simulated patients' figures written by tests/e2e/test_patients.py.

Writes reports/safety.txt (+ safety_recall.png) and, with --patients, reports/patients.txt
(+ patients.png). Exit code 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.triage.engine import RED_FLAG_ROUTES, red_flag_route  # noqa: E402
from bot.triage.parsing.red_flag_model import classifier_flags  # noqa: E402
from bot.triage.parsing.red_flags import _detect, flags_from_signs, read_red_flags  # noqa: E402
from bot.triage.parsing.text import prep  # noqa: E402

CORPUS = ROOT / "tests" / "corpus" / "red_flags.tsv"
HOLDOUT = ROOT / "tests" / "corpus" / "red_flags_holdout.tsv"
RANK = {"emergency": 0, "urgent_medical": 1, "medical_review": 2, None: 9}
RECALL_TARGET, FALSE_ALARM_TARGET, UNDER_TRIAGE_TARGET = 1.0, 0.03, 0
OUTCOME_TARGET = 0.98


def rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def load_corpus(path: Path = CORPUS) -> list[tuple[str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            label, text = line.split("\t", 1)
            rows.append((label, text))
    return rows


def corpus_figures(rows: list[tuple[str, str]]) -> dict:
    per_flag: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    benign = {"n": 0, "routed": 0, "asked": 0}
    under: list[str] = []
    alarms: list[str] = []
    missed: list[str] = []
    for label, text in rows:
        found = read_red_flags(text)
        route = red_flag_route(found.flags)
        if label == "none":
            benign["n"] += 1
            if found.flags:
                benign["routed"] += 1
                alarms.append(f"{text}  → {sorted(found.flags)}")
            elif found.uncertain:
                benign["asked"] += 1
            continue
        f = per_flag[label]
        f["n"] += 1
        expected_route = RED_FLAG_ROUTES[label]
        routed = label in found.flags or RANK[route] <= RANK[expected_route]
        asked = label in found.uncertain
        f["routed"] += routed
        f["asked"] += (not routed) and asked
        f["caught"] += routed or asked
        signs, _, _ = _detect(prep(text))
        f["rules"] += (
            label in flags_from_signs(signs)
            or RANK[red_flag_route(flags_from_signs(signs))] <= RANK[expected_route]
        )
        f["model"] += label in classifier_flags(prep(text))
        if not (routed or asked):
            missed.append(f"{label}: {text}  → {sorted(found.flags)} / asked {sorted(found.uncertain)}")
            if RANK[route] > RANK[expected_route]:
                under.append(f"{label}: {text}")
    flagged = sum(f["n"] for f in per_flag.values())
    caught = sum(f["caught"] for f in per_flag.values())
    return {
        "per_flag": {k: dict(v) for k, v in sorted(per_flag.items())},
        "red_flag_messages": flagged,
        "recall": caught / flagged if flagged else 0.0,
        "routed": sum(f["routed"] for f in per_flag.values()),
        "asked": sum(f["asked"] for f in per_flag.values()),
        "rules_recall": sum(f["rules"] for f in per_flag.values()) / flagged,
        "model_recall": sum(f["model"] for f in per_flag.values()) / flagged,
        "benign": benign,
        "false_alarm_rate": benign["routed"] / benign["n"] if benign["n"] else 0.0,
        "under_triage": under,
        "false_alarms": alarms,
        "missed": missed,
    }


def corpus_lines(fig: dict) -> tuple[list[str], bool]:
    lines = [
        f"red-flag corpus      {fig['red_flag_messages']} red-flag messages, {fig['benign']['n']} benign ({CORPUS.relative_to(ROOT)})",
        f"  recall             {fig['recall']:.1%} ({fig['routed']} routed at once, {fig['asked']} via the yes/no question)",
        f"  rules alone        {fig['rules_recall']:.1%} routed; trained net alone {fig['model_recall']:.1%} flagged",
        f"  under-triage       {len(fig['under_triage'])}",
        f"  false alarms       {fig['false_alarm_rate']:.1%} ({fig['benign']['routed']}/{fig['benign']['n']} benign routed); "
        f"{fig['benign']['asked']} benign got a yes/no question",
        "  per flag           caught / n (routed, asked; rules alone, net alone)",
    ]
    for flag, f in fig["per_flag"].items():
        lines.append(
            f"    {flag:34} {f['caught']}/{f['n']} ({f['routed']}, {f.get('asked', 0)}; {f['rules']}, {f['model']})"
        )
    lines += [f"  missed: {m}" for m in fig["missed"]]
    lines += [f"  false alarm: {m}" for m in fig["false_alarms"]]
    ok = (
        fig["recall"] >= RECALL_TARGET
        and len(fig["under_triage"]) <= UNDER_TRIAGE_TARGET
        and fig["false_alarm_rate"] <= FALSE_ALARM_TARGET
    )
    lines.append(
        f"{'PASS' if ok else 'FAIL'}  red flags: recall {fig['recall']:.1%} >= 100%, under-triage "
        f"{len(fig['under_triage'])} = 0, false alarms {fig['false_alarm_rate']:.1%} <= 3%"
    )
    return lines, ok


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def corpus_chart(fig: dict, target: Path) -> Path:
    plt = _plt()
    names = list(fig["per_flag"])
    routed = [fig["per_flag"][n]["routed"] / fig["per_flag"][n]["n"] for n in names]
    asked = [fig["per_flag"][n].get("asked", 0) / fig["per_flag"][n]["n"] for n in names]
    names.append("benign: false alarms")
    routed.append(fig["false_alarm_rate"])
    asked.append(0.0)
    fig_, ax = plt.subplots(figsize=(8, 4))
    ax.barh(names, routed, color="#2e7d32", label="routed at once")
    ax.barh(names, asked, left=routed, color="#f9a825", label="caught by the yes/no question")
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of corpus messages")
    ax.set_title("Red-flag recall per flag (and benign false alarms)")
    ax.legend(loc="lower right", fontsize=8)
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
        fig = corpus_figures(load_corpus())
        lines, ok = corpus_lines(fig)
        held = corpus_figures(load_corpus(HOLDOUT))
        lines.append(
            f"held-out check       {held['red_flag_messages']} red-flag + {held['benign']['n']} benign "
            f"({rel(HOLDOUT)}): recall {held['recall']:.1%}, under-triage {len(held['under_triage'])}, "
            f"false alarms {held['false_alarm_rate']:.1%}"
        )
        lines.append(f"  chart: {rel(corpus_chart(fig, args.reports / 'safety_recall.png'))}")
        (args.reports / "safety.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
