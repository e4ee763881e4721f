"""Small helpers the tests share: unique names and history inspection."""

from __future__ import annotations

import uuid
from typing import Iterable

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHandle


def unique(prefix: str) -> str:
    """A workflow ID or task queue name no other test (or earlier run) uses."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


async def history_events(handle: WorkflowHandle) -> list[HistoryEvent]:
    """Every event of the handle's run, in order."""
    history = await handle.fetch_history()
    events = list(history.events)
    ids = [e.event_id for e in events]
    assert ids == list(range(1, len(events) + 1)), f"event IDs are not contiguous from 1: {ids}"
    return events


def event_type_names(events: Iterable[HistoryEvent]) -> list[str]:
    """EVENT_TYPE_* names without the prefix, e.g. "TIMER_FIRED"."""
    return [EventType.Name(e.event_type).removeprefix("EVENT_TYPE_") for e in events]


def of_type(events: Iterable[HistoryEvent], event_type: int) -> list[HistoryEvent]:
    return [e for e in events if e.event_type == event_type]


def activity_type_of(events: list[HistoryEvent], scheduled_event_id: int) -> str:
    """The activity type name of the ActivityTaskScheduled event with this ID."""
    scheduled = events[scheduled_event_id - 1]
    assert scheduled.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    return scheduled.activity_task_scheduled_event_attributes.activity_type.name
