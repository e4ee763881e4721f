"""A legal-review agent: wait for a human approval signal, with a deadline,
while answering status queries.

Proves, for both ways out of workflow.wait_condition(timeout=...):
- approved: the signal is delivered (WorkflowExecutionSignaled), wakes the
  workflow before the deadline, and the deadline timer is cancelled;
- expired: with no signal the timeout timer fires and the workflow takes the
  expiry path; a late approval is refused because the workflow is closed;
and that queries answer from the workflow's state both while it waits and
after it has completed.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import timedelta

import pytest
from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Worker

from helpers import event_type_names, history_events, of_type, unique


@dataclass
class ReviewRequest:
    contract: str
    timeout_ms: int


@dataclass
class ReviewStatus:
    state: str  # "created", "awaiting_approval", "approved" or "expired"
    contract: str
    reviewer: str | None = None


@workflow.defn
class LegalReviewWorkflow:
    def __init__(self) -> None:
        self._state = "created"
        self._contract = ""
        self._reviewer: str | None = None

    @workflow.run
    async def run(self, req: ReviewRequest) -> ReviewStatus:
        self._contract = req.contract
        self._state = "awaiting_approval"
        try:
            await workflow.wait_condition(
                lambda: self._reviewer is not None,
                timeout=timedelta(milliseconds=req.timeout_ms),
            )
            self._state = "approved"
        except asyncio.TimeoutError:
            self._state = "expired"
        return self.status()

    @workflow.signal
    def approve(self, reviewer: str) -> None:
        self._reviewer = reviewer

    @workflow.query
    def status(self) -> ReviewStatus:
        return ReviewStatus(state=self._state, contract=self._contract, reviewer=self._reviewer)


async def _wait_until_awaiting(handle: WorkflowHandle) -> ReviewStatus:
    """Query until the workflow reports it is waiting (its first task ran)."""
    deadline = time.monotonic() + 15
    while True:
        status = await handle.query(LegalReviewWorkflow.status)
        if status.state == "awaiting_approval" or time.monotonic() > deadline:
            return status
        await asyncio.sleep(0.1)


async def test_legal_review_approved_by_signal(client: Client) -> None:
    task_queue = unique("legal-review")
    workflow_id = unique("legal-review-approved")
    req = ReviewRequest(contract="MSA-ACME-2025", timeout_ms=60_000)

    async with Worker(client, task_queue=task_queue, workflows=[LegalReviewWorkflow]):
        handle = await client.start_workflow(LegalReviewWorkflow.run, req, id=workflow_id, task_queue=task_queue)

        before = await _wait_until_awaiting(handle)
        assert before == ReviewStatus(state="awaiting_approval", contract="MSA-ACME-2025", reviewer=None)

        await handle.signal(LegalReviewWorkflow.approve, "counsel@acme.example")
        started = time.monotonic()
        outcome = await asyncio.wait_for(handle.result(), timeout=30)
        # The signal, not the 60 s deadline, ended the wait.
        assert time.monotonic() - started < 20

        assert outcome == ReviewStatus(state="approved", contract="MSA-ACME-2025", reviewer="counsel@acme.example")
        # A query after completion still answers, from the final state.
        after = await handle.query(LegalReviewWorkflow.status)
        assert after == outcome

    events = await history_events(handle)
    names = event_type_names(events)
    assert names[-1] == "WORKFLOW_EXECUTION_COMPLETED", names
    signals = of_type(events, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)
    assert len(signals) == 1, names
    assert signals[0].workflow_execution_signaled_event_attributes.signal_name == "approve"
    # The deadline was a timer that the signal made the workflow cancel.
    timers = of_type(events, EventType.EVENT_TYPE_TIMER_STARTED)
    assert len(timers) == 1, names
    assert timers[0].timer_started_event_attributes.start_to_fire_timeout.ToTimedelta() == timedelta(seconds=60)
    canceled = of_type(events, EventType.EVENT_TYPE_TIMER_CANCELED)
    assert len(canceled) == 1, names
    assert canceled[0].timer_canceled_event_attributes.timer_id == timers[0].timer_started_event_attributes.timer_id
    assert "TIMER_FIRED" not in names
    # Queries leave no trace in history.
    assert not any("QUERY" in n for n in names)


async def test_legal_review_expires_without_signal(client: Client) -> None:
    task_queue = unique("legal-review")
    workflow_id = unique("legal-review-expired")
    req = ReviewRequest(contract="NDA-GLOBEX-7", timeout_ms=1500)

    async with Worker(client, task_queue=task_queue, workflows=[LegalReviewWorkflow]):
        handle = await client.start_workflow(LegalReviewWorkflow.run, req, id=workflow_id, task_queue=task_queue)

        before = await _wait_until_awaiting(handle)
        assert before == ReviewStatus(state="awaiting_approval", contract="NDA-GLOBEX-7", reviewer=None)

        outcome = await asyncio.wait_for(handle.result(), timeout=30)
        assert outcome == ReviewStatus(state="expired", contract="NDA-GLOBEX-7", reviewer=None)
        after = await handle.query(LegalReviewWorkflow.status)
        assert after == outcome

    # A late approval cannot reach a closed workflow.
    with pytest.raises(RPCError) as late:
        await handle.signal(LegalReviewWorkflow.approve, "too-late@acme.example")
    assert late.value.status == RPCStatusCode.NOT_FOUND, late.value

    events = await history_events(handle)
    names = event_type_names(events)
    assert names[-1] == "WORKFLOW_EXECUTION_COMPLETED", names
    assert "WORKFLOW_EXECUTION_SIGNALED" not in names
    started = of_type(events, EventType.EVENT_TYPE_TIMER_STARTED)
    fired = of_type(events, EventType.EVENT_TYPE_TIMER_FIRED)
    assert len(started) == 1 and len(fired) == 1, names
    assert started[0].timer_started_event_attributes.start_to_fire_timeout.ToTimedelta() == timedelta(milliseconds=1500)
    assert fired[0].timer_fired_event_attributes.started_event_id == started[0].event_id
