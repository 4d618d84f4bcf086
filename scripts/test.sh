#!/usr/bin/env bash
# `make test`: every check of the project, in order, each with a banner; a summary at the end.
#
#   1 setup        scripts/setup.sh (stops here if it fails)
#   2 train        scripts/train_if_changed.sh
#   3 lint         ruff check + ruff format --check                          (app env)
#   4 validate     rasa data validate --fail-on-warning                      (Rasa env)
#   5 unit         pytest tests/unit                                         (app env)
#   6 components   pytest tests/components (NLU component, channels, tracker store) (Rasa env)
#   7 stories      rasa test core --e2e --stories tests/rasa (user text through NLU too)
#   8 e2e          pytest tests/e2e: one set of servers (Rasa, actions, web app) shared by the
#                  REST, Telegram, browser and fault tests                   (app env)
#
# Every step must run: a missing suite, "no tests collected", or (under CI, or with
# TEST_NO_SKIPS=1) a skipped test FAILS the run. Counts come from pytest's own JUnit XML.
# Extra arguments are passed to every pytest run (e.g. `-x`, `-k name`).
# Tests talk to the real services: TEST_POSTGRES_URL, TEST_REDIS_URL and TEST_RABBITMQ_URL (defaults below).
set -uo pipefail

# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT" || exit 1

export TEST_POSTGRES_URL="${TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}"
export TEST_REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"
export TEST_RABBITMQ_URL="${TEST_RABBITMQ_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}"
# Under CI every service is present: a skipped test means something is wrong.
if [ "${CI:-}" = true ]; then export TEST_NO_SKIPS="${TEST_NO_SKIPS:-1}"; fi

PYTEST_ARGS=("$@")
LOG_DIR="$ROOT/var/log/test"
mkdir -p "$LOG_DIR"

declare -a SUMMARY=()
FAILED=0
T_PASSED=0 T_FAILED=0 T_SKIPPED=0

banner() {
    echo
    echo "================================================================================"
    echo "  $*"
    echo "================================================================================"
}

record() { # record STATUS NAME DETAIL
    SUMMARY+=("$(printf '%-7s %-34s %s' "$1" "$2" "$3")")
    [ "$1" = FAILED ] && FAILED=1
    return 0
}

# run_step NAME COMMAND... : runs it, records PASSED/FAILED with the time it took
run_step() {
    local name="$1" start=$SECONDS rc=0
    shift
    banner "$name"
    echo "\$ $*"
    "$@" || rc=$?
    if [ "$rc" = 0 ]; then
        record PASSED "$name" "$((SECONDS - start))s"
    else
        record FAILED "$name" "exit $rc after $((SECONDS - start))s"
    fi
    return "$rc"
}

# junit_counts FILE : "passed failed skipped" from pytest's JUnit XML
junit_counts() {
    "$VENV_APP/bin/python" - "$1" <<'PY'
import sys
import xml.etree.ElementTree as ET

try:
    root = ET.parse(sys.argv[1]).getroot()
except (OSError, ET.ParseError):
    print("0 0 0")
    raise SystemExit
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
tests = sum(int(s.get("tests", 0)) for s in suites)
failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
skipped = sum(int(s.get("skipped", 0)) for s in suites)
print(tests - failed - skipped, failed, skipped)
PY
}

# run_pytest NAME PYTHON DIR [pytest args…] : like run_step; the counts come from the JUnit XML.
# Exit 5 (nothing collected) fails, and so does a skip when TEST_NO_SKIPS=1.
run_pytest() {
    local name="$1" py="$2" dir="$3" start=$SECONDS rc=0 xml
    shift 3
    xml="$LOG_DIR/$(basename "$dir").xml"
    banner "$name"
    if [ ! -d "$dir" ]; then
        record FAILED "$name" "missing test folder $dir"
        return 1
    fi
    rm -f "$xml"
    echo "\$ ${py#"$ROOT"/} -m pytest $dir $* ${PYTEST_ARGS[*]:-}"
    "$py" -m pytest "$dir" --junitxml="$xml" "$@" "${PYTEST_ARGS[@]}" 2>&1 | tee "$LOG_DIR/$(basename "$dir").log"
    rc=${PIPESTATUS[0]}
    local passed failed skipped
    read -r passed failed skipped <<<"$(junit_counts "$xml")"
    T_PASSED=$((T_PASSED + passed)) T_FAILED=$((T_FAILED + failed)) T_SKIPPED=$((T_SKIPPED + skipped))
    local counts="$passed passed, $failed failed, $skipped skipped"
    if [ "$rc" = 5 ]; then
        record FAILED "$name" "no tests collected in $dir"
    elif [ "$rc" != 0 ]; then
        record FAILED "$name" "exit $rc after $((SECONDS - start))s  $counts"
    elif [ "$skipped" != 0 ] && [ "${TEST_NO_SKIPS:-0}" = 1 ]; then
        record FAILED "$name" "$skipped skipped, not allowed here (TEST_NO_SKIPS=1): $counts"
    else
        record PASSED "$name" "$((SECONDS - start))s  $counts"
    fi
}

TOTAL_START=$SECONDS

# 1 ─ setup: nothing else can run without it
if ! run_step "1 setup" bash scripts/setup.sh; then
    echo
    echo "Setup failed — no tests were run."
    exit 1
fi
clinic_export_settings # the app environment exists now: export every setting

# 2 ─ model
MODEL=models/clinic.tar.gz
HAVE_MODEL=0
if run_step "2 train model (if its inputs changed)" bash scripts/train_if_changed.sh && [ -f "$MODEL" ]; then
    HAVE_MODEL=1
fi

# 3 ─ lint and format
run_step "3 ruff (lint, imports, format)" bash -c \
    '"$VENV_APP/bin/ruff" check . && "$VENV_APP/bin/ruff" format --check .'

# 4 ─ training data validation
run_step "4 rasa data validate" "$VENV_RASA/bin/rasa" data validate --fail-on-warning \
    --config config.yml --domain domain --data data

# 5 ─ unit tests, app env
run_pytest "5 unit tests (app env)" "$VENV_APP/bin/python" tests/unit

# 6 ─ tests of components/ (the code Rasa itself loads), Rasa env. --confcutdir: the shared
#     tests/conftest.py imports SQLAlchemy 2 / bot.db, which the Rasa env (SQLAlchemy 1.4) lacks.
run_pytest "6 component tests (Rasa env)" "$VENV_RASA/bin/python" tests/components \
    --confcutdir=tests/components -p no:cacheprovider

# 7 ─ conversation stories, 8 ─ everything that needs the running assistant
if [ "$HAVE_MODEL" != 1 ]; then
    record FAILED "7 rasa test core (stories)" "no trained model (see step 2)"
    record FAILED "8 end-to-end tests (app env)" "no trained model (see step 2)"
else
    rm -rf results/core
    # --e2e: each user message goes through the trained NLU as well, so a story fails on a
    # wrong intent or entity, not only on a wrong next action.
    if ! run_step "7 rasa test core (stories)" "$VENV_RASA/bin/rasa" test core --e2e --model "$MODEL" \
        --stories tests/rasa --fail-on-prediction-errors --out results/core; then
        echo "Failed stories: results/core/failed_test_stories.yml"
    fi
    run_pytest "8 end-to-end tests (app env)" "$VENV_APP/bin/python" tests/e2e
fi

banner "Summary ($((SECONDS - TOTAL_START))s; logs in var/log/test/, results/)"
printf '%s\n' "${SUMMARY[@]}"
echo
if [ "$FAILED" = 0 ]; then
    echo "All steps passed."
else
    echo "SOME STEPS FAILED."
fi
# plain closing line with the pytest counts of all runs
echo "tests: $T_PASSED passed, $T_FAILED failed, $T_SKIPPED skipped"
exit "$FAILED"
