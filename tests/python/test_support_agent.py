"""A support agent: classify a ticket, look up the customer, draft a reply with
an "LLM" that is rate limited twice, post the reply.

Proves: activities run in order with their inputs and outputs carried through
the workflow; a retryable ApplicationError is retried by the server per the
RetryPolicy (short intervals) until it succeeds, and nothing else is re-run;
the history holds one scheduled/started/completed triple per activity, with
the final attempt number and the last failure on the started event.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from helpers import activity_type_of, event_type_names, history_events, of_type, unique

# Every activity attempt, per workflow ID: (activity type, attempt). Activities
# run in this process, so the test reads what they recorded.
ATTEMPTS: dict[str, list[tuple[str, int]]] = defaultdict(list)


def _record_attempt() -> int:
    info = activity.info()
    ATTEMPTS[info.workflow_id].append((info.activity_type, info.attempt))
    return info.attempt


@dataclass
class Ticket:
    ticket_id: str
    customer_email: str
    body: str


@dataclass
class Classification:
    category: str
    priority: str


@dataclass
class Customer:
    name: str
    plan: str


@dataclass
class DraftRequest:
    ticket: Ticket
    classification: Classification
    customer: Customer


@dataclass
class SupportOutcome:
    category: str
    priority: str
    customer_name: str
    reply: str
    post_id: str


@activity.defn
async def classify_ticket(ticket: Ticket) -> Classification:
    _record_attempt()
    body = ticket.body.lower()
    category = "billing" if ("invoice" in body or "charged" in body) else "general"
    priority = "high" if "twice" in body else "normal"
    return Classification(category=category, priority=priority)


@activity.defn
async def lookup_customer(email: str) -> Customer:
    _record_attempt()
    directory = {"ada@example.com": Customer(name="Ada Lovelace", plan="enterprise")}
    return directory[email]


@activity.defn
async def draft_reply(req: DraftRequest) -> str:
    attempt = _record_attempt()
    if attempt <= 2:
        # What an LLM client raises on HTTP 429; retryable (non_retryable=False).
        raise ApplicationError(f"rate limited by the model provider (attempt {attempt})", type="RateLimitError")
    return (
        f"Hi {req.customer.name.split()[0]}, sorry about the {req.classification.category} issue "
        f"on ticket {req.ticket.ticket_id}; a refund is on its way."
    )


@activity.defn
async def post_reply(ticket_id: str, reply: str) -> str:
    _record_attempt()
    return f"post-{ticket_id}-{len(reply)}"


@workflow.defn
class SupportAgentWorkflow:
    @workflow.run
    async def run(self, ticket: Ticket) -> SupportOutcome:
        opts = dict(start_to_close_timeout=timedelta(seconds=10))
        classification = await workflow.execute_activity(classify_ticket, ticket, **opts)
        customer = await workflow.execute_activity(lookup_customer, ticket.customer_email, **opts)
        reply = await workflow.execute_activity(
            draft_reply,
            DraftRequest(ticket=ticket, classification=classification, customer=customer),
            start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(
                initial_interval=timedelta(milliseconds=200),
                backoff_coefficient=1.5,
                maximum_interval=timedelta(seconds=1),
                maximum_attempts=5,
                non_retryable_error_types=["InvalidPrompt"],
            ),
        )
        post_id = await workflow.execute_activity(post_reply, args=[ticket.ticket_id, reply], **opts)
        return SupportOutcome(
            category=classification.category,
            priority=classification.priority,
            customer_name=customer.name,
            reply=reply,
            post_id=post_id,
        )


async def test_support_agent_retries_rate_limited_llm(client: Client) -> None:
    task_queue = unique("support")
    workflow_id = unique("support-ticket")
    ticket = Ticket(ticket_id="T-1042", customer_email="ada@example.com", body="I was charged twice on my invoice")

    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[SupportAgentWorkflow],
        activities=[classify_ticket, lookup_customer, draft_reply, post_reply],
    ):
        handle = await client.start_workflow(SupportAgentWorkflow.run, ticket, id=workflow_id, task_queue=task_queue)
        outcome = await asyncio.wait_for(handle.result(), timeout=60)

    expected_reply = "Hi Ada, sorry about the billing issue on ticket T-1042; a refund is on its way."
    assert outcome == SupportOutcome(
        category="billing",
        priority="high",
        customer_name="Ada Lovelace",
        reply=expected_reply,
        post_id=f"post-T-1042-{len(expected_reply)}",
    )

    # The LLM step ran exactly 3 attempts (two rate limits, then success);
    # every other step exactly once, in workflow order.
    assert ATTEMPTS[workflow_id] == [
        ("classify_ticket", 1),
        ("lookup_customer", 1),
        ("draft_reply", 1),
        ("draft_reply", 2),
        ("draft_reply", 3),
        ("post_reply", 1),
    ]

    # Retries are the server's and leave no events of their own: one
    # scheduled/started/completed per activity, and the started event of the
    # retried activity carries its final attempt and the last failure.
    events = await history_events(handle)
    names = event_type_names(events)
    assert names[0] == "WORKFLOW_EXECUTION_STARTED"
    assert names[-1] == "WORKFLOW_EXECUTION_COMPLETED"
    assert names.count("ACTIVITY_TASK_SCHEDULED") == 4, names
    assert names.count("ACTIVITY_TASK_STARTED") == 4, names
    assert names.count("ACTIVITY_TASK_COMPLETED") == 4, names
    assert "ACTIVITY_TASK_FAILED" not in names and "ACTIVITY_TASK_TIMED_OUT" not in names, names

    scheduled = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in of_type(events, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
    ]
    assert scheduled == ["classify_ticket", "lookup_customer", "draft_reply", "post_reply"]

    started = {
        activity_type_of(events, e.activity_task_started_event_attributes.scheduled_event_id): (
            e.activity_task_started_event_attributes
        )
        for e in of_type(events, EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED)
    }
    assert {name: attrs.attempt for name, attrs in started.items()} == {
        "classify_ticket": 1,
        "lookup_customer": 1,
        "draft_reply": 3,
        "post_reply": 1,
    }
    last_failure = started["draft_reply"].last_failure
    assert "rate limited by the model provider (attempt 2)" in last_failure.message, last_failure
    assert last_failure.application_failure_info.type == "RateLimitError", last_failure
    assert not started["classify_ticket"].HasField("last_failure")

    # The policy the workflow asked for reached the server.
    llm_scheduled = next(
        e.activity_task_scheduled_event_attributes
        for e in of_type(events, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
        if e.activity_task_scheduled_event_attributes.activity_type.name == "draft_reply"
    )
    assert llm_scheduled.retry_policy.maximum_attempts == 5
    assert llm_scheduled.retry_policy.initial_interval.ToMilliseconds() == 200
    assert list(llm_scheduled.retry_policy.non_retryable_error_types) == ["InvalidPrompt"]
