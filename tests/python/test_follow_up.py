"""A follow-up agent: wait on a durable timer, then send the follow-up.

Proves: workflow.sleep becomes a server-side timer (TimerStarted with the
requested duration, TimerFired for the same timer no earlier than that
duration later), the workflow resumes after it fires, and the activity is
scheduled only after the timer fired.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.worker import Worker

from helpers import event_type_names, history_events, of_type, unique

DELAY = timedelta(milliseconds=1500)

# Wall-clock time at which each follow-up was sent, per workflow ID.
SENT_AT: dict[str, float] = {}


@dataclass
class FollowUpRequest:
    customer: str
    topic: str
    delay_ms: int


@dataclass
class FollowUpOutcome:
    message: str
    slept_ms: int


@activity.defn
async def send_follow_up(req: FollowUpRequest) -> str:
    SENT_AT[activity.info().workflow_id] = time.monotonic()
    return f"Hi {req.customer}, checking in about {req.topic}. Anything else we can help with?"


@workflow.defn
class FollowUpWorkflow:
    @workflow.run
    async def run(self, req: FollowUpRequest) -> FollowUpOutcome:
        before = workflow.now()
        await workflow.sleep(timedelta(milliseconds=req.delay_ms))
        slept = workflow.now() - before
        message = await workflow.execute_activity(send_follow_up, req, start_to_close_timeout=timedelta(seconds=10))
        return FollowUpOutcome(message=message, slept_ms=int(slept.total_seconds() * 1000))


async def test_follow_up_after_durable_timer(client: Client) -> None:
    task_queue = unique("follow-up")
    workflow_id = unique("follow-up")
    req = FollowUpRequest(customer="Grace", topic="your upgrade", delay_ms=int(DELAY.total_seconds() * 1000))

    async with Worker(client, task_queue=task_queue, workflows=[FollowUpWorkflow], activities=[send_follow_up]):
        started_at = time.monotonic()
        handle = await client.start_workflow(FollowUpWorkflow.run, req, id=workflow_id, task_queue=task_queue)
        outcome = await asyncio.wait_for(handle.result(), timeout=60)

    assert outcome.message == "Hi Grace, checking in about your upgrade. Anything else we can help with?"
    # Workflow time (the workflow task start times) moved at least the delay.
    assert outcome.slept_ms >= req.delay_ms, outcome
    # And so did the wall clock before the activity ran.
    assert SENT_AT[workflow_id] - started_at >= DELAY.total_seconds() - 0.05

    events = await history_events(handle)
    names = event_type_names(events)
    assert names[-1] == "WORKFLOW_EXECUTION_COMPLETED", names

    timers_started = of_type(events, EventType.EVENT_TYPE_TIMER_STARTED)
    timers_fired = of_type(events, EventType.EVENT_TYPE_TIMER_FIRED)
    assert len(timers_started) == 1 and len(timers_fired) == 1, names
    started, fired = timers_started[0], timers_fired[0]
    started_attrs = started.timer_started_event_attributes
    fired_attrs = fired.timer_fired_event_attributes
    assert started_attrs.start_to_fire_timeout.ToTimedelta() == DELAY
    assert fired_attrs.timer_id == started_attrs.timer_id
    assert fired_attrs.started_event_id == started.event_id
    assert started.event_id < fired.event_id
    waited = fired.event_time.ToDatetime() - started.event_time.ToDatetime()
    assert waited >= DELAY - timedelta(milliseconds=50), f"timer fired after {waited}, asked for {DELAY}"
    assert "TIMER_CANCELED" not in names

    # The follow-up was scheduled only once the timer had fired.
    scheduled = of_type(events, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
    assert len(scheduled) == 1 and scheduled[0].event_id > fired.event_id, names
