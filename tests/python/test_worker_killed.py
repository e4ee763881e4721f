"""A worker process is killed (SIGKILL) in the middle of a five-step pipeline;
a new worker process picks the workflow up and finishes it.

Proves durable execution across a worker crash: the new worker replays the
workflow from history instead of re-running it, so no step that had completed
runs again; the step that was in flight when the worker died is retried by the
server (after its heartbeat timeout) as attempt 2 on the new worker; the
workflow completes with every step's result, and the history shows the retry
(attempt 2, last failure a heartbeat timeout) and no failure events.

The kill comes once step K has completed, detected from the record: step K+1
starting proves the server recorded step K's completion (the workflow only
schedules K+1 after K's result is in its history), so a kill at that moment
can never lose K's completion, and step K+1 is the one in flight.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType, TimeoutType
from temporalio.client import Client

from helpers import activity_type_of, event_type_names, history_events, of_type, unique
from pipeline_worker import STEP_NAMES, PipelineInput, ResearchPipelineWorkflow

HERE = Path(__file__).resolve().parent
KILL_AFTER_STEP = 2
IN_FLIGHT = KILL_AFTER_STEP + 1
TICKS_PER_STEP = 5  # 5 x 200 ms of heartbeating work per step


def read_record(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


class WorkerProcess:
    """pipeline_worker.py in its own process, logging to a file."""

    def __init__(self, address: str, task_queue: str, log_path: Path) -> None:
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "pipeline_worker.py"), "--address", address, "--task-queue", task_queue],
            cwd=HERE,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def kill(self) -> int:
        self.proc.send_signal(signal.SIGKILL)
        return self.proc.wait(timeout=10)

    def stop(self) -> int:
        """Graceful stop (SIGTERM), SIGKILL if it hangs."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()
        return self.proc.returncode


async def wait_for_record(path: Path, worker: WorkerProcess, predicate, what: str, timeout: float = 30) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        record = read_record(path)
        if predicate(record):
            return record
        if worker.proc.poll() is not None:
            pytest.fail(f"worker {worker.pid} exited ({worker.proc.returncode}) before {what}:\n{worker.log()}")
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {timeout}s; record: {record}\nworker log:\n{worker.log()}")
        await asyncio.sleep(0.05)


async def test_worker_killed_mid_workflow_resumes_without_rerunning_steps(
    client: Client, server_address: str, tmp_path: Path
) -> None:
    task_queue = unique("pipeline")
    workflow_id = unique("research-pipeline")
    record_path = tmp_path / "steps.jsonl"
    workers: list[WorkerProcess] = []
    try:
        first = WorkerProcess(server_address, task_queue, tmp_path / "worker-1.log")
        workers.append(first)
        handle = await client.start_workflow(
            ResearchPipelineWorkflow.run,
            PipelineInput(topic="durable agents", record_path=str(record_path), ticks_per_step=TICKS_PER_STEP),
            id=workflow_id,
            task_queue=task_queue,
        )

        # Step K done and step K+1 started: kill the worker mid step K+1.
        await wait_for_record(
            record_path,
            first,
            lambda r: any(e["event"] == "start" and e["step"] == IN_FLIGHT for e in r),
            f"start of step {IN_FLIGHT}",
        )
        assert first.kill() == -signal.SIGKILL
        at_kill = read_record(record_path)

        second = WorkerProcess(server_address, task_queue, tmp_path / "worker-2.log")
        workers.append(second)
        try:
            result = await asyncio.wait_for(handle.result(), timeout=60)
        except BaseException:
            print(f"record: {read_record(record_path)}\nworker 2 log:\n{second.log()}")
            raise
        assert second.stop() == 0, second.log()
    finally:
        for w in workers:
            if w.proc.poll() is None:
                w.proc.kill()
                w.proc.wait(timeout=10)

    pid1, pid2 = first.pid, second.pid
    record = read_record(record_path)
    starts = {s: [e for e in record if e["event"] == "start" and e["step"] == s] for s in range(1, 6)}
    dones = {s: [e for e in record if e["event"] == "done" and e["step"] == s] for s in range(1, 6)}
    done_before_kill = {e["step"] for e in at_kill if e["event"] == "done"}
    started_before_kill = {e["step"] for e in at_kill if e["event"] == "start"}
    context = f"record at kill: {at_kill}\nfull record: {record}"

    # The kill came after step K completed, in the middle of step K+1.
    assert done_before_kill == set(range(1, KILL_AFTER_STEP + 1)), context
    assert started_before_kill - done_before_kill == {IN_FLIGHT}, context

    # Every step finished exactly once, and the workflow returned each result.
    for step in range(1, 6):
        assert len(dones[step]) == 1, f"step {step} finished {len(dones[step])} times\n{context}"
    owner = {s: (pid1 if s <= KILL_AFTER_STEP else pid2) for s in range(1, 6)}
    assert result == [f"{name}(durable agents)@{owner[i]}" for i, name in enumerate(STEP_NAMES, start=1)], context

    # Completed steps never ran again: one start each, on the worker that
    # finished them, at attempt 1.
    for step in [s for s in range(1, 6) if s != IN_FLIGHT]:
        assert [(e["pid"], e["attempt"]) for e in starts[step]] == [(owner[step], 1)], f"step {step}\n{context}"
        assert dones[step][0]["pid"] == owner[step], context
    # The in-flight step ran twice: attempt 1 on the killed worker, then the
    # server's retry, attempt 2, on the new one.
    assert [(e["pid"], e["attempt"]) for e in starts[IN_FLIGHT]] == [(pid1, 1), (pid2, 2)], context
    assert (dones[IN_FLIGHT][0]["pid"], dones[IN_FLIGHT][0]["attempt"]) == (pid2, 2), context

    events = await history_events(handle)
    names = event_type_names(events)
    assert names[-1] == "WORKFLOW_EXECUTION_COMPLETED", names
    assert names.count("ACTIVITY_TASK_SCHEDULED") == 5, names
    assert names.count("ACTIVITY_TASK_COMPLETED") == 5, names
    assert not {"ACTIVITY_TASK_FAILED", "ACTIVITY_TASK_TIMED_OUT", "WORKFLOW_TASK_FAILED"} & set(names), names
    started = of_type(events, EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED)
    assert all(activity_type_of(events, e.activity_task_started_event_attributes.scheduled_event_id) == "run_step" for e in started)
    attempts = [e.activity_task_started_event_attributes.attempt for e in started]
    assert attempts == [1 if s != IN_FLIGHT else 2 for s in range(1, 6)], names
    retried = started[IN_FLIGHT - 1].activity_task_started_event_attributes
    assert retried.last_failure.timeout_failure_info.timeout_type == TimeoutType.TIMEOUT_TYPE_HEARTBEAT, retried
