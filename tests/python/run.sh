#!/usr/bin/env bash
# run.sh runs the Python SDK suite (tests/python) against a Meridian dev server
# built from this checkout:
#
#   tests/python/run.sh                       # the whole suite
#   tests/python/run.sh test_follow_up.py -v  # arguments go to pytest
#
# 1. checks for python3 >= 3.10 (or $PYTHON);
# 2. creates a virtualenv under ${MERIDIAN_CACHE:-~/.cache/meridian}/python
#    and installs requirements.txt (pinned) into it, once: later runs reuse it
#    until requirements.txt or the interpreter changes;
# 3. runs pytest from tests/python; the suite builds bin/meridian with
#    `go build` (or uses $MERIDIAN_BIN) and starts its own dev server.
#
# Exits with pytest's status. Every non-zero status is a failure, including 5
# ("no tests collected"): a run that tested nothing has not passed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-python3}"

if ! command -v "$python" >/dev/null 2>&1; then
	echo "error: '$python' was not found in PATH." >&2
	echo "The Python SDK suite (tests/python) needs Python 3.10 or newer with the venv module:" >&2
	echo "install it (e.g. apt-get install python3 python3-venv) or point PYTHON at one, and retry." >&2
	exit 1
fi
if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)'; then
	echo "error: $("$python" --version 2>&1) ($(command -v "$python")) is too old." >&2
	echo "The Python SDK suite (tests/python) needs Python 3.10 or newer: install one or set PYTHON=/path/to/python3.1x." >&2
	exit 1
fi

cache="${MERIDIAN_CACHE:-$HOME/.cache/meridian}/python"
venv="${MERIDIAN_PY_VENV:-$cache/venv}"
mkdir -p "$cache"
# The venv is current when it was built by this interpreter from this
# requirements.txt.
want="$({ "$python" -c 'import sys; print(sys.executable, sys.version)'; cat "$here/requirements.txt"; } | sha256sum | cut -d' ' -f1)"

# One run at a time sets the venv up (concurrent `make test`s share it).
exec 9>"$cache/venv.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if [[ "$(cat "$venv/.meridian-requirements" 2>/dev/null || true)" != "$want" ]]; then
	echo "run.sh: setting up $venv (first run, or requirements.txt changed)" >&2
	rm -rf "$venv"
	if ! "$python" -m venv "$venv"; then
		rm -rf "$venv"
		echo "error: '$python -m venv' failed: install the venv module (e.g. apt-get install python3-venv) and retry." >&2
		exit 1
	fi
	if ! "$venv/bin/python" -m pip install --disable-pip-version-check --no-input -q -r "$here/requirements.txt"; then
		rm -rf "$venv"
		echo "error: pip could not install tests/python/requirements.txt (is PyPI reachable?)" >&2
		exit 1
	fi
	echo "$want" >"$venv/.meridian-requirements"
fi
exec 9>&-

cd "$here"
set +e
MERIDIAN_PY_RUNNER=run.sh PYTHONDONTWRITEBYTECODE=1 "$venv/bin/python" -m pytest "$@"
status=$?
set -e
case "$status" in
0) ;;
5) echo "run.sh: pytest collected no tests (exit 5): a run that tested nothing fails" >&2 ;;
*) echo "run.sh: the Python SDK suite failed (pytest exit $status)" >&2 ;;
esac
exit "$status"
