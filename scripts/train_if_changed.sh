#!/usr/bin/env bash
# Trains models/clinic.tar.gz only when what it is trained from has changed.
#
# Inputs hashed: config.yml, domain/ (or domain.yml), data/, components/ (the custom NLU
# component's code), models/spacy_en/meta.json (the spaCy pipeline) and requirements/rasa.lock
# (a new Rasa/TensorFlow version). The per-file hashes are kept in models/clinic.tar.gz.inputs
# beside the model, so a skip or a retrain names the files that changed.
#
#   FORCE=1 bash scripts/train_if_changed.sh   trains anyway
#
# Exit codes: 0 trained or up to date, 1 training failed, 3 nothing to train from yet (no config.yml).
set -Eeuo pipefail

# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

MODEL="models/clinic.tar.gz"
STAMP="$MODEL.inputs"

if [ ! -x "$VENV_RASA/bin/rasa" ]; then
    echo "train: .venv-rasa is missing — run 'make setup' first." >&2
    exit 1
fi
if [ ! -f config.yml ]; then
    echo "train: no config.yml yet — nothing to train from (the Rasa data is still being written)." >&2
    exit 3
fi

if [ -d domain ]; then
    DOMAIN=domain
elif [ -f domain.yml ]; then
    DOMAIN=domain.yml
else
    echo "train: neither domain/ nor domain.yml exists — cannot train." >&2
    exit 3
fi

inputs=(config.yml "$DOMAIN")
for p in data components models/spacy_en/meta.json requirements/rasa.lock; do
    [ -e "$p" ] && inputs+=("$p")
done

# one "sha256  path" line per file, sorted by path; caches and compiled files excluded
current="$(find "${inputs[@]}" -type f \
    ! -name '*.pyc' ! -path '*/__pycache__/*' ! -name '.DS_Store' ! -name '*~' -print0 |
    LC_ALL=C sort -z | xargs -0 sha256sum)"

reason=""
if [ "${FORCE:-0}" = 1 ]; then
    reason="FORCE=1"
elif [ ! -f "$MODEL" ]; then
    reason="no trained model at $MODEL yet"
elif [ ! -f "$STAMP" ]; then
    reason="$MODEL has no record of what it was trained from"
elif [ "$current" != "$(cat "$STAMP")" ]; then
    changes="$(diff <(cut -c67- "$STAMP") <(cut -c67- <<<"$current") | sed -n 's/^< /removed: /p; s/^> /added: /p' || true)"
    modified="$(join -j 2 -o 1.1,2.1,0 <(awk '{print $1, $2}' "$STAMP" | LC_ALL=C sort -k2) \
        <(awk '{print $1, $2}' <<<"$current" | LC_ALL=C sort -k2) | awk '$1 != $2 {print "changed: " $3}' || true)"
    reason="inputs changed since the last training:"$'\n'"$(printf '%s\n%s' "$modified" "$changes" | sed '/^$/d; s/^/    /' | head -n 20)"
fi

if [ -z "$reason" ]; then
    echo "train: $MODEL is up to date (config, domain, data, components and spaCy pipeline unchanged) — skipped."
    exit 0
fi

echo "train: training $MODEL — $reason"
start=$SECONDS
"$VENV_RASA/bin/rasa" train \
    --config config.yml --domain "$DOMAIN" --data data \
    --out models --fixed-model-name clinic
if [ ! -f "$MODEL" ]; then
    echo "train: rasa train finished but $MODEL was not written." >&2
    exit 1
fi
printf '%s\n' "$current" >"$STAMP"
echo "train: trained $MODEL in $((SECONDS - start))s."
