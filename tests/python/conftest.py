"""Session fixtures for the Python SDK suite: one Meridian dev server for all tests.

The server is Meridian's own binary, built from this checkout with `go build`
(or taken from $MERIDIAN_BIN), launched the way Python SDK users launch a dev
server in their tests:

    WorkflowEnvironment.start_local(dev_server_existing_path=<meridian>)

The SDK runs `<meridian> server start-dev --ip 127.0.0.1 --port <free port>
--namespace default ...` as a subprocess, waits (bounded) until a client can
connect, and kills the process on shutdown. Nothing here is specific to
Meridian except the binary's path.

Set MERIDIAN_ADDRESS=host:port to run the suite against a server you started
yourself (for example `make run`) instead.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import AsyncIterator

import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent

# selftest/ holds deliberately passing, failing and empty test files that
# test_pytest_exit_codes.py runs in a child pytest; never collect them here.
collect_ignore = ["selftest"]

# How long the server may take to accept a client after it is spawned.
SERVER_STARTUP_TIMEOUT = timedelta(seconds=30)


@pytest.fixture(scope="session")
def meridian_bin(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Path of the meridian binary: $MERIDIAN_BIN, or built from this checkout."""
    explicit = os.environ.get("MERIDIAN_BIN")
    if explicit:
        if not os.access(explicit, os.X_OK):
            pytest.fail(f"MERIDIAN_BIN={explicit} is not an executable file")
        return explicit
    go = os.environ.get("GO", "go")
    if shutil.which(go) is None:
        pytest.fail(f"'{go}' was not found in PATH: the suite builds Meridian with Go (or set MERIDIAN_BIN)")
    out = tmp_path_factory.mktemp("bin") / "meridian"
    proc = subprocess.run(
        [go, "build", "-o", str(out), "./cmd/meridian"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0:
        pytest.fail(f"go build ./cmd/meridian failed (exit {proc.returncode}):\n{proc.stderr}")
    return str(out)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def env(
    meridian_bin: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[WorkflowEnvironment | None]:
    """The dev server for the whole session (None when MERIDIAN_ADDRESS is set)."""
    if os.environ.get("MERIDIAN_ADDRESS"):
        yield None
        return
    # The SDK stops the server with SIGKILL, so a server-made temporary data
    # directory would never be removed: name one (--db-filename, which
    # Meridian uses as its data directory) and remove it ourselves.
    data_dir = tmp_path_factory.mktemp("meridian") / "data"
    # start_local spawns the binary, then retries Client.connect until it
    # succeeds or dev_server_startup_timeout passes; wait_for bounds the whole.
    environment = await asyncio.wait_for(
        WorkflowEnvironment.start_local(
            dev_server_existing_path=meridian_bin,
            dev_server_database_filename=str(data_dir),
            dev_server_startup_timeout=SERVER_STARTUP_TIMEOUT,
            dev_server_log_level="warn",
        ),
        timeout=SERVER_STARTUP_TIMEOUT.total_seconds() + 30,
    )
    try:
        yield environment
    finally:
        await environment.shutdown()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def client(env: WorkflowEnvironment | None) -> Client:
    """A connected client on namespace "default"."""
    if env is None:
        return await asyncio.wait_for(Client.connect(os.environ["MERIDIAN_ADDRESS"]), timeout=30)
    return env.client


@pytest.fixture(scope="session")
def server_address(client: Client) -> str:
    """host:port of the frontend, for worker subprocesses."""
    return client.service_client.config.target_host


# --- exit status -----------------------------------------------------------
#
# temporalio's Rust core keeps threads that can outlive the interpreter's
# finalisation; now and then CPython then aborts at exit with "Fatal Python
# error: PyGILState_Release: thread state ... must be current when releasing"
# (temporalio/sdk-python issue #300), turning a green run into exit 134. Once
# pytest has written its report and settled its exit status, leave with that
# status at once, without interpreter teardown. MERIDIAN_PY_SOFT_EXIT=1 turns
# this off.

_session: pytest.Session | None = None


def pytest_sessionfinish(session: pytest.Session) -> None:
    global _session
    _session = session


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    if _session is None or os.environ.get("MERIDIAN_PY_SOFT_EXIT") == "1":
        return
    status = int(_session.exitstatus)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
