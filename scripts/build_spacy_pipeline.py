#!/usr/bin/env python
"""Build the spaCy pipeline that Rasa's ``SpacyNLP`` loads by path.

``spacy download`` cannot reach its servers here and no English model that spaCy 3.4
can load is on the package index, so the pipeline is built locally:

    spacy.blank("en")  ->  tokenizer (spaCy's English rules, unchanged)
    + "lemmatizer" in lookup mode, tables copied from ``spacy-lookups-data``

No NER, no vectors, no entity patterns: the rule patterns live in
``components/spacy_patterns.py`` so they are versioned with the NLU data.

The lookup tables are written into the pipeline folder, so ``spacy-lookups-data`` is only
needed to *build* it, not to load it.

Idempotent: if ``models/spacy_en/meta.json`` says it was built by this recipe with the same
spaCy version, nothing is done. ``--force`` rebuilds anyway.

Run with the Rasa environment's python from anywhere:

    /path/to/.venv-rasa/bin/python scripts/build_spacy_pipeline.py [--output DIR] [--force]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = PROJECT_ROOT / "models" / "spacy_en"

# Bump when the recipe below changes in a way that needs a rebuild.
RECIPE = "blank-en+lookup-lemmatizer/1"


def _say(msg: str) -> None:
    print(f"[build_spacy_pipeline] {msg}", flush=True)


def existing_build(output: Path) -> dict | None:
    """Returns the custom build info of an existing pipeline, or None."""
    meta_file = output / "meta.json"
    if not meta_file.is_file():
        return None
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta.get("clinic_build")


def build(output: Path) -> None:
    import spacy

    _say(f"spaCy {spacy.__version__}: spacy.blank('en') + lookup lemmatizer")
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    # initialize() pulls the "lemma_lookup" table from spacy-lookups-data
    try:
        nlp.initialize()
    except (ValueError, OSError) as exc:  # missing spacy-lookups-data
        raise SystemExit(
            "Could not load the English lookup tables. Is `spacy-lookups-data` installed "
            f"in this environment ({sys.executable})?\n  {exc}"
        ) from exc

    check = nlp("knees hurts kilometres")
    lemmas = [t.lemma_ for t in check]
    if lemmas != ["knee", "hurt", "kilometre"]:
        raise SystemExit(f"Lookup lemmatizer did not work as expected: {lemmas}")

    nlp.meta["name"] = "spacy_en"
    nlp.meta["version"] = "1.0.0"
    nlp.meta["description"] = (
        "Blank English tokenizer + lookup lemmatizer (spacy-lookups-data), built locally "
        "by scripts/build_spacy_pipeline.py for Rasa's SpacyNLP. No vectors, no NER."
    )
    nlp.meta["clinic_build"] = {"recipe": RECIPE, "spacy_version": spacy.__version__}

    # Write to a temp dir next to the target, then swap: never leaves a half-built model.
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".spacy_en.", dir=output.parent))
    try:
        nlp.to_disk(tmp)
        reloaded = spacy.load(tmp)
        if [t.lemma_ for t in reloaded("knees")] != ["knee"]:
            raise SystemExit("Saved pipeline does not lemmatise after reloading")
        if output.exists():
            _say(f"removing old build at {output}")
            shutil.rmtree(output)
        tmp.chmod(0o755)  # mkdtemp creates it private
        tmp.rename(output)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    _say(f"saved pipeline {nlp.pipe_names} to {output}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    args = parser.parse_args(argv)

    import spacy

    output: Path = args.output.resolve()
    info = existing_build(output)
    wanted = {"recipe": RECIPE, "spacy_version": spacy.__version__}
    if info == wanted and not args.force:
        _say(f"{output} is up to date (spaCy {spacy.__version__}, {RECIPE}); nothing to do")
        return 0
    if info is None:
        _say(f"no pipeline at {output}; building")
    elif info != wanted:
        _say(f"{output} was built with {info}; rebuilding for {wanted}")
    else:
        _say("--force given; rebuilding")
    build(output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
