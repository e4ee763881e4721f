"""A research-pipeline agent and a worker process for it.

test_worker_killed.py runs this file as a separate worker process and kills it
with SIGKILL partway through, then starts another:

    python pipeline_worker.py --address 127.0.0.1:7233 --task-queue Q

Each step is an activity that appends a JSON line to the record file named in
its input when it starts and when it finishes (the "side effect" a test can
count), heartbeating while it works. The process shuts its worker down
gracefully on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
from dataclasses import dataclass
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import RetryPolicy

# A step heartbeats every TICK for `ticks` ticks. The heartbeat timeout lets
# the server notice a dead worker quickly and retry its step elsewhere.
TICK = timedelta(milliseconds=200)
HEARTBEAT_TIMEOUT = timedelta(seconds=2)
STEP_NAMES = ["search", "read", "extract", "synthesize", "publish"]


@dataclass
class PipelineInput:
    topic: str
    record_path: str
    ticks_per_step: int


@dataclass
class StepInput:
    step: int
    name: str
    topic: str
    record_path: str
    ticks: int


def append_record(path: str, entry: dict) -> None:
    """Append one line atomically (O_APPEND, one write) and make it durable."""
    line = (json.dumps(entry, sort_keys=True) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


@activity.defn
async def run_step(inp: StepInput) -> str:
    info = activity.info()
    base = {"step": inp.step, "attempt": info.attempt, "pid": os.getpid()}
    append_record(inp.record_path, {"event": "start", **base})
    for tick in range(inp.ticks):
        activity.heartbeat(tick)
        await asyncio.sleep(TICK.total_seconds())
    append_record(inp.record_path, {"event": "done", **base})
    return f"{inp.name}({inp.topic})@{os.getpid()}"


@workflow.defn
class ResearchPipelineWorkflow:
    @workflow.run
    async def run(self, inp: PipelineInput) -> list[str]:
        results: list[str] = []
        for step, name in enumerate(STEP_NAMES, start=1):
            results.append(
                await workflow.execute_activity(
                    run_step,
                    StepInput(step=step, name=name, topic=inp.topic, record_path=inp.record_path, ticks=inp.ticks_per_step),
                    start_to_close_timeout=timedelta(seconds=30),
                    heartbeat_timeout=HEARTBEAT_TIMEOUT,
                    retry_policy=RetryPolicy(
                        initial_interval=timedelta(milliseconds=200), backoff_coefficient=1.0, maximum_attempts=5
                    ),
                )
            )
        return results


async def serve(address: str, task_queue: str) -> None:
    # Imported here so that the workflow sandbox, which re-imports this
    # module, need not import the client and worker machinery.
    from temporalio.client import Client
    from temporalio.worker import Worker

    client = await Client.connect(address)
    worker = Worker(client, task_queue=task_queue, workflows=[ResearchPipelineWorkflow], activities=[run_step])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with worker:
        print(f"worker pid {os.getpid()} polling {task_queue}", flush=True)
        await stop.wait()
    print("worker stopped", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", required=True)
    parser.add_argument("--task-queue", required=True)
    args = parser.parse_args()
    asyncio.run(serve(args.address, args.task_queue))
    # Skip interpreter teardown (see conftest.py: temporalio/sdk-python#300).
    os._exit(0)


if __name__ == "__main__":
    main()
