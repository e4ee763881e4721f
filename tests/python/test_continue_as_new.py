"""A digest agent that processes one batch per run and continues as new,
carrying its state, until it has done N batches.

Proves: continue-as-new starts a new run of the same workflow ID with the
carried state as input; the run chain is linked (continued_run_id,
first_execution_run_id, the ContinuedAsNew event's new run ID); the handle
returned by start_workflow (bound to the first run) follows the chain to the
final result, while result(follow_runs=False) stops at the first run; every
earlier run is CONTINUED_AS_NEW and the latest one COMPLETED.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from temporalio import activity, workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowContinuedAsNewError, WorkflowExecutionStatus
from temporalio.worker import Worker

from helpers import event_type_names, history_events, unique

RUNS = 5


@dataclass
class RunLink:
    run_id: str
    continued_run_id: str | None
    first_execution_run_id: str


@dataclass
class DigestState:
    target: int
    done: int = 0
    total: int = 0
    digests: list[str] = field(default_factory=list)
    runs: list[RunLink] = field(default_factory=list)


@activity.defn
async def summarize_batch(batch: int) -> int:
    # Batch n holds n+1 items "summarised" to their count.
    return batch + 1


@workflow.defn
class DigestLoopWorkflow:
    @workflow.run
    async def run(self, state: DigestState) -> DigestState:
        info = workflow.info()
        state.runs.append(
            RunLink(
                run_id=info.run_id,
                continued_run_id=info.continued_run_id,
                first_execution_run_id=info.first_execution_run_id,
            )
        )
        items = await workflow.execute_activity(
            summarize_batch, state.done, start_to_close_timeout=timedelta(seconds=10)
        )
        state.total += items
        state.digests.append(f"batch-{state.done}:{items}")
        state.done += 1
        if state.done < state.target:
            workflow.continue_as_new(state)
        return state


async def test_continue_as_new_chain(client: Client) -> None:
    task_queue = unique("digest")
    workflow_id = unique("digest-loop")

    async with Worker(client, task_queue=task_queue, workflows=[DigestLoopWorkflow], activities=[summarize_batch]):
        handle = await client.start_workflow(
            DigestLoopWorkflow.run, DigestState(target=RUNS), id=workflow_id, task_queue=task_queue
        )
        # The handle start_workflow returns knows the first run only...
        first_run_id = handle.first_execution_run_id
        assert first_run_id and handle.result_run_id == first_run_id
        # ...and result() follows the chain from there to the last run.
        final = await asyncio.wait_for(handle.result(), timeout=60)

    assert final.target == RUNS
    assert final.done == RUNS
    assert final.total == sum(range(1, RUNS + 1))
    assert final.digests == [f"batch-{i}:{i + 1}" for i in range(RUNS)]

    # Each run saw a new run ID, linked to its predecessor and to the first.
    run_ids = [link.run_id for link in final.runs]
    assert len(run_ids) == RUNS and len(set(run_ids)) == RUNS
    assert run_ids[0] == first_run_id
    assert final.runs[0].continued_run_id is None
    for previous, link in zip(final.runs, final.runs[1:]):
        assert link.continued_run_id == previous.run_id
    assert all(link.first_execution_run_id == first_run_id for link in final.runs)

    # Not following runs, the first run's result is "continued as new".
    with pytest.raises(WorkflowContinuedAsNewError) as continued:
        await client.get_workflow_handle(workflow_id, run_id=first_run_id).result(follow_runs=False)
    assert continued.value.new_execution_run_id == run_ids[1]

    # A handle without a run ID reaches the latest run, which completed.
    latest = await client.get_workflow_handle(workflow_id).describe()
    assert latest.run_id == run_ids[-1]
    assert latest.status == WorkflowExecutionStatus.COMPLETED

    for i, run_id in enumerate(run_ids[:-1]):
        run_handle = client.get_workflow_handle(workflow_id, run_id=run_id)
        desc = await run_handle.describe()
        assert desc.status == WorkflowExecutionStatus.CONTINUED_AS_NEW, (i, desc.status)
        events = await history_events(run_handle)
        names = event_type_names(events)
        assert names[-1] == "WORKFLOW_EXECUTION_CONTINUED_AS_NEW", (i, names)
        attrs = events[-1].workflow_execution_continued_as_new_event_attributes
        assert attrs.new_execution_run_id == run_ids[i + 1]
        assert attrs.workflow_type.name == "DigestLoopWorkflow"
        assert attrs.task_queue.name == task_queue

    # The last run's start event points back at the run it continued.
    last_events = await history_events(client.get_workflow_handle(workflow_id, run_id=run_ids[-1]))
    started = last_events[0]
    assert started.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED
    start_attrs = started.workflow_execution_started_event_attributes
    assert start_attrs.continued_execution_run_id == run_ids[-2]
    assert start_attrs.first_execution_run_id == first_run_id
    assert event_type_names(last_events)[-1] == "WORKFLOW_EXECUTION_COMPLETED"
