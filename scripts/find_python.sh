#!/usr/bin/env bash
# Prints the path of a Python 3.10 interpreter, or explains how to get one and exits 1.
#
# Order: $PYTHON (must be 3.10 when set; never replaced silently) → pyenv 3.10.13 → any other pyenv 3.10.x → python3.10 on PATH.
# Why 3.10: Rasa Open Source 3.6 supports Python 3.8–3.10 only (TensorFlow 2.12), and both of
# the project's environments use the same interpreter.
set -uo pipefail

is_py310() {
    [ -n "${1:-}" ] && [ -x "$1" ] &&
        "$1" -c 'import sys, venv; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' >/dev/null 2>&1
}

found() {
    # Resolve to the real interpreter path (not a pyenv shim that depends on the current directory).
    "$1" -c 'import sys; print(sys.executable)'
    exit 0
}

if [ -n "${PYTHON:-}" ]; then
    # An explicit choice is never silently replaced by another interpreter.
    candidate="$(command -v -- "$PYTHON" 2>/dev/null || true)"
    if is_py310 "$candidate"; then
        found "$candidate"
    fi
    version="$("${candidate:-$PYTHON}" --version 2>&1 | head -n 1)"
    cat >&2 <<EOF
ERROR: PYTHON=$PYTHON is not a usable Python 3.10 (it reports: ${version:-nothing}).

This project needs Python 3.10: Rasa Open Source 3.6 (with TensorFlow 2.12) does not run on
Python 3.11 or newer. Point PYTHON at a 3.10 interpreter, e.g.
  PYTHON="\$(pyenv prefix 3.10.13)/bin/python3.10" make setup
or unset PYTHON to let setup find one (pyenv 3.10.x, then python3.10 on PATH).
If you have none: pyenv install 3.10.13
EOF
    exit 1
fi

if command -v pyenv >/dev/null 2>&1; then
    prefix="$(pyenv prefix 3.10.13 2>/dev/null || true)"
    if is_py310 "$prefix/bin/python3.10"; then
        found "$prefix/bin/python3.10"
    fi
    # any other installed 3.10.x, newest first
    for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.10\.[0-9]+$' | sort -t. -k3,3nr); do
        prefix="$(pyenv prefix "$v" 2>/dev/null || true)"
        if is_py310 "$prefix/bin/python3.10"; then
            found "$prefix/bin/python3.10"
        fi
    done
fi

# python3.10 on PATH, skipping pyenv's shim (it fails when no 3.10 is selected)
IFS=: read -r -a path_dirs <<<"$PATH"
for dir in "${path_dirs[@]}"; do
    case "$dir" in *"/.pyenv/shims"*) continue ;; esac
    if is_py310 "$dir/python3.10"; then
        found "$dir/python3.10"
    fi
done

cat >&2 <<'EOF'
ERROR: no Python 3.10 interpreter found.

This project needs Python 3.10: Rasa Open Source 3.6 (with TensorFlow 2.12) does not run on
Python 3.11 or newer, and both of the project's environments use the same interpreter.

Install it, then run the command again:
  - with pyenv (recommended):  pyenv install 3.10.13
  - Debian/Ubuntu:             sudo apt-get install python3.10 python3.10-venv   (where packaged)
  - macOS (Homebrew):          brew install python@3.10
or point to an existing one:   PYTHON=/path/to/python3.10 make setup
EOF
exit 1
