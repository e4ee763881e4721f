"""The suite's exit status is trustworthy: make test and CI go by it.

Runs a child pytest, with this directory's pytest.ini and conftest.py (so
including conftest's hard exit that sidesteps temporalio's teardown crash),
on the files in selftest/:
- a passing test exits 0,
- a failing test exits 1,
- a file with no tests exits 5 (NO_TESTS_COLLECTED), which is non-zero, and
  run.sh, the runner `make test` uses, passes it on as a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def run_pytest(case: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", f"selftest/{case}"],
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )


@pytest.mark.parametrize(
    ("case", "status", "summary"),
    [
        ("case_pass.py", pytest.ExitCode.OK, "1 passed"),
        ("case_fail.py", pytest.ExitCode.TESTS_FAILED, "1 failed"),
        ("case_empty.py", pytest.ExitCode.NO_TESTS_COLLECTED, "no tests ran"),
    ],
)
def test_pytest_exit_status(case: str, status: int, summary: str) -> None:
    proc = run_pytest(case)
    output = proc.stdout + proc.stderr
    assert proc.returncode == status, output
    assert summary in output, output


@pytest.mark.skipif(
    os.environ.get("MERIDIAN_PY_RUNNER") != "run.sh",
    reason="checks run.sh itself; only when the suite runs through run.sh (its venv exists)",
)
def test_run_sh_fails_when_no_tests_are_collected() -> None:
    proc = subprocess.run(
        ["bash", str(HERE / "run.sh"), "selftest/case_empty.py"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == pytest.ExitCode.NO_TESTS_COLLECTED, output
    assert "collected no tests" in output, output
