#!/usr/bin/env bash
# `make test`: every check of the project, in order, each with a banner; a summary at the end.
#
#   1 setup                  scripts/setup.sh (stops here if it fails)
#   2 train                  scripts/train_if_changed.sh
#   3 validate               rasa data validate --fail-on-warning           (Rasa env)
#   4 unit                   pytest tests/unit                               (app env)
#   5 components             pytest tests/components (NLU component, channels, tracker store) (Rasa env)
#   6 stories                rasa test core --e2e --stories tests/rasa (user text through NLU too)
#   7 e2e                    pytest tests/e2e (starts Rasa + action server)  (app env)
#
# A step whose files do not exist yet is SKIPPED with the reason; any FAILED step makes the
# exit code non-zero. Extra arguments are passed to every pytest run (e.g. `-x`, `-k name`).
# Tests talk to the real services: TEST_POSTGRES_URL and TEST_REDIS_URL (defaults below).
set -uo pipefail

# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT" || exit 1

export TEST_POSTGRES_URL="${TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}"
export TEST_REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"

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

skip() { # skip NAME REASON
    banner "$1"
    echo "SKIPPED: $2"
    record SKIPPED "$1" "$2"
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

# run_pytest NAME PYTHON DIR [pytest args…] : like run_step; "no tests collected" counts as skipped,
# and the pass/fail/skip counts are added to the closing line.
run_pytest() {
    local name="$1" py="$2" dir="$3" start=$SECONDS rc=0 log
    shift 3
    log="$LOG_DIR/$(basename "$dir").log"
    banner "$name"
    local color=()
    [ -t 1 ] && color=(--color=yes)
    echo "\$ ${py#"$ROOT"/} -m pytest $dir $* ${PYTEST_ARGS[*]:-}"
    "$py" -m pytest "$dir" "${color[@]}" "$@" "${PYTEST_ARGS[@]}" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    local last counts n
    last="$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^=+ .*(passed|failed|error|skipped|no tests ran).* =+$' | tail -n 1 |
        sed 's/^=* *//; s/ *=*$//')"
    counts="$(grep -oE '[0-9]+ (passed|failed|errors?|skipped)' <<<"$last" || true)"
    while read -r n what; do
        case "$what" in
            passed) T_PASSED=$((T_PASSED + n)) ;;
            failed | error | errors) T_FAILED=$((T_FAILED + n)) ;;
            skipped) T_SKIPPED=$((T_SKIPPED + n)) ;;
        esac
    done <<<"${counts:-}"
    case "$rc" in
        0) record PASSED "$name" "$((SECONDS - start))s  $last" ;;
        5) record SKIPPED "$name" "no tests collected in $dir" ;;
        *) record FAILED "$name" "exit $rc after $((SECONDS - start))s  $last" ;;
    esac
}

has_files() { # has_files DIR PATTERN… : true if DIR holds a file matching one of the patterns
    local dir="$1"
    shift
    [ -d "$dir" ] || return 1
    local p
    for p in "$@"; do
        [ -n "$(find "$dir" -type f -name "$p" -print -quit)" ] && return 0
    done
    return 1
}

TOTAL_START=$SECONDS

# 1 ─ setup: nothing else can run without it
if ! run_step "1 setup" bash scripts/setup.sh; then
    echo
    echo "Setup failed — no tests were run."
    exit 1
fi

# 2 ─ model
MODEL=models/clinic.tar.gz
banner "2 train model (if its inputs changed)"
start=$SECONDS
rc=0
bash scripts/train_if_changed.sh || rc=$?
case "$rc" in
    0) record PASSED "2 train model" "$((SECONDS - start))s" ;;
    3) record SKIPPED "2 train model" "no config.yml / domain yet" ;;
    *) record FAILED "2 train model" "exit $rc after $((SECONDS - start))s" ;;
esac
[ -f "$MODEL" ] && [ "$rc" = 0 ] && HAVE_MODEL=1 || HAVE_MODEL=0

# 3 ─ training data validation
if [ -f config.yml ] && { [ -d domain ] || [ -f domain.yml ]; } && [ -d data ]; then
    DOMAIN=domain
    [ -d domain ] || DOMAIN=domain.yml
    run_step "3 rasa data validate" "$VENV_RASA/bin/rasa" data validate --fail-on-warning \
        --config config.yml --domain "$DOMAIN" --data data
else
    skip "3 rasa data validate" "no config.yml / domain / data yet"
fi

# 4 ─ unit tests, app env
if has_files tests/unit 'test_*.py' '*_test.py'; then
    run_pytest "4 unit tests (app env)" "$VENV_APP/bin/python" tests/unit
else
    skip "4 unit tests (app env)" "no tests/unit yet"
fi

# 5 ─ tests of components/ (the code Rasa itself loads), Rasa env. --confcutdir: the shared
#     tests/conftest.py imports SQLAlchemy 2 / bot.db, which the Rasa env (SQLAlchemy 1.4) lacks.
if has_files tests/components 'test_*.py' '*_test.py'; then
    run_pytest "5 component tests (Rasa env)" "$VENV_RASA/bin/python" tests/components \
        --confcutdir=tests/components -p no:cacheprovider
else
    skip "5 component tests (Rasa env)" "no tests/components yet"
fi

# 6 ─ conversation stories
if ! has_files tests/rasa '*.yml' '*.yaml'; then
    skip "6 rasa test core (stories)" "no tests/rasa stories yet"
elif [ "$HAVE_MODEL" != 1 ]; then
    skip "6 rasa test core (stories)" "no up-to-date model (see step 2)"
else
    rm -rf results/core
    # --e2e: each user message goes through the trained NLU as well, so a story fails on a
    # wrong intent or entity, not only on a wrong next action.
    if ! run_step "6 rasa test core (stories)" "$VENV_RASA/bin/rasa" test core --e2e --model "$MODEL" \
        --stories tests/rasa --fail-on-prediction-errors --out results/core; then
        echo "Failed stories: results/core/failed_test_stories.yml"
    fi
fi

# 7 ─ end-to-end over REST
if ! has_files tests/e2e 'test_*.py' '*_test.py'; then
    skip "7 end-to-end tests (app env)" "no tests/e2e yet"
elif [ "$HAVE_MODEL" != 1 ]; then
    skip "7 end-to-end tests (app env)" "no up-to-date model (see step 2)"
else
    run_pytest "7 end-to-end tests (app env)" "$VENV_APP/bin/python" tests/e2e
fi

banner "Summary ($((SECONDS - TOTAL_START))s; logs in var/log/test/, results/)"
printf '%s\n' "${SUMMARY[@]}"
echo
if [ "$FAILED" = 0 ]; then
    echo "All steps passed (skipped steps are listed above)."
else
    echo "SOME STEPS FAILED."
fi
# plain closing line with the pytest counts of all runs
echo "tests: $T_PASSED passed, $T_FAILED failed, $T_SKIPPED skipped"
exit "$FAILED"
