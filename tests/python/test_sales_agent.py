"""A sales agent that delegates to a legal agent and a billing agent, each a
child workflow on its own task queue served by its own worker.

Proves: child workflows start on the task queue the parent names (the parent's
worker does not even register them), run concurrently, run their activities
on their own queues, and their results flow back to the parent; the children
are linked to their parent (describe shows parent ID/run), and the parent's
history records initiation, start and completion of both children.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.worker import Worker

from helpers import event_type_names, history_events, of_type, unique


@dataclass
class Deal:
    customer: str
    seats: int
    price_per_seat: int
    legal_queue: str
    billing_queue: str


@dataclass
class LegalVerdict:
    approved: bool
    clauses: list[str]
    workflow_queue: str
    activity_queue: str


@dataclass
class Quote:
    total: int
    currency: str
    workflow_queue: str
    activity_queue: str


@dataclass
class Proposal:
    customer: str
    approved: bool
    total: int
    summary: str
    legal: LegalVerdict
    billing: Quote


@activity.defn
async def review_terms(deal: Deal) -> list[str]:
    clauses = ["standard liability cap", "net-30 payment"]
    if deal.seats >= 100:
        clauses.append("volume discount addendum")
    return clauses + [f"reviewed on {activity.info().task_queue}"]


@activity.defn
async def price_deal(deal: Deal) -> list:
    total = deal.seats * deal.price_per_seat
    if deal.seats >= 100:
        total = total * 9 // 10
    return [total, activity.info().task_queue]


@workflow.defn
class LegalAgentWorkflow:
    @workflow.run
    async def run(self, deal: Deal) -> LegalVerdict:
        clauses = await workflow.execute_activity(review_terms, deal, start_to_close_timeout=timedelta(seconds=10))
        reviewed_on = clauses.pop().removeprefix("reviewed on ")
        return LegalVerdict(
            approved=True, clauses=clauses, workflow_queue=workflow.info().task_queue, activity_queue=reviewed_on
        )


@workflow.defn
class BillingAgentWorkflow:
    @workflow.run
    async def run(self, deal: Deal) -> Quote:
        total, priced_on = await workflow.execute_activity(
            price_deal, deal, start_to_close_timeout=timedelta(seconds=10)
        )
        return Quote(total=total, currency="USD", workflow_queue=workflow.info().task_queue, activity_queue=priced_on)


@workflow.defn
class SalesAgentWorkflow:
    @workflow.run
    async def run(self, deal: Deal) -> Proposal:
        parent_id = workflow.info().workflow_id
        legal_handle = await workflow.start_child_workflow(
            LegalAgentWorkflow.run, deal, id=f"{parent_id}-legal", task_queue=deal.legal_queue
        )
        billing_handle = await workflow.start_child_workflow(
            BillingAgentWorkflow.run, deal, id=f"{parent_id}-billing", task_queue=deal.billing_queue
        )
        # Both children are running now; wait for the two together.
        legal, billing = await asyncio.gather(legal_handle, billing_handle)
        return Proposal(
            customer=deal.customer,
            approved=legal.approved,
            total=billing.total,
            summary=f"{deal.customer}: {deal.seats} seats for {billing.total} {billing.currency}, "
            f"terms: {', '.join(legal.clauses)}",
            legal=legal,
            billing=billing,
        )


async def test_sales_agent_delegates_to_children_on_their_own_queues(client: Client) -> None:
    sales_queue, legal_queue, billing_queue = unique("sales"), unique("legal"), unique("billing")
    workflow_id = unique("sales-deal")
    deal = Deal(customer="Initech", seats=120, price_per_seat=50, legal_queue=legal_queue, billing_queue=billing_queue)

    # Three workers, one per agent, as three teams would deploy them. The
    # sales worker knows only the sales workflow.
    async with (
        Worker(client, task_queue=sales_queue, workflows=[SalesAgentWorkflow]),
        Worker(client, task_queue=legal_queue, workflows=[LegalAgentWorkflow], activities=[review_terms]),
        Worker(client, task_queue=billing_queue, workflows=[BillingAgentWorkflow], activities=[price_deal]),
    ):
        handle = await client.start_workflow(SalesAgentWorkflow.run, deal, id=workflow_id, task_queue=sales_queue)
        proposal = await asyncio.wait_for(handle.result(), timeout=60)

    assert proposal.customer == "Initech"
    assert proposal.approved is True
    assert proposal.total == 5400  # 120 * 50 with the 10% volume discount
    assert proposal.legal == LegalVerdict(
        approved=True,
        clauses=["standard liability cap", "net-30 payment", "volume discount addendum"],
        workflow_queue=legal_queue,
        activity_queue=legal_queue,
    )
    assert proposal.billing == Quote(
        total=5400, currency="USD", workflow_queue=billing_queue, activity_queue=billing_queue
    )
    assert proposal.summary == (
        "Initech: 120 seats for 5400 USD, terms: standard liability cap, net-30 payment, volume discount addendum"
    )

    parent = await handle.describe()
    assert parent.status == WorkflowExecutionStatus.COMPLETED
    assert parent.task_queue == sales_queue
    for suffix, queue, wf_type in (
        ("legal", legal_queue, "LegalAgentWorkflow"),
        ("billing", billing_queue, "BillingAgentWorkflow"),
    ):
        child = await client.get_workflow_handle(f"{workflow_id}-{suffix}").describe()
        assert child.status == WorkflowExecutionStatus.COMPLETED, suffix
        assert child.workflow_type == wf_type
        assert child.task_queue == queue
        assert child.parent_id == workflow_id
        assert child.parent_run_id == parent.run_id

    events = await history_events(handle)
    names = event_type_names(events)
    assert names[-1] == "WORKFLOW_EXECUTION_COMPLETED", names
    initiated = of_type(events, EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED)
    assert {
        (
            e.start_child_workflow_execution_initiated_event_attributes.workflow_id,
            e.start_child_workflow_execution_initiated_event_attributes.task_queue.name,
        )
        for e in initiated
    } == {(f"{workflow_id}-legal", legal_queue), (f"{workflow_id}-billing", billing_queue)}
    assert names.count("CHILD_WORKFLOW_EXECUTION_STARTED") == 2, names
    assert names.count("CHILD_WORKFLOW_EXECUTION_COMPLETED") == 2, names
    # Both children were started before either result was awaited: the
    # second initiation comes before the first completion.
    first_completed = names.index("CHILD_WORKFLOW_EXECUTION_COMPLETED")
    assert max(e.event_id for e in initiated) < events[first_completed].event_id
