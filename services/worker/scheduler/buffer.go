package scheduler

import (
	enumspb "go.temporal.io/api/enums/v1"
)

// bufferDecision is what the buffer says to do now.
type bufferDecision struct {
	// Start are the actions to start now, in order.
	Start []Start
	// Keep is the new buffer.
	Keep []Start
	// Skipped counts actions dropped by the SKIP and BUFFER_ONE policies.
	Skipped int64
	// Cancel / Terminate the running workflows (CANCEL_OTHER,
	// TERMINATE_OTHER); the kept action starts once they are gone.
	Cancel, Terminate bool
}

// resolveOverlap is the policy an action runs under.
func resolveOverlap(p, def enumspb.ScheduleOverlapPolicy) enumspb.ScheduleOverlapPolicy {
	if p == enumspb.SCHEDULE_OVERLAP_POLICY_UNSPECIFIED {
		p = def
	}
	if p == enumspb.SCHEDULE_OVERLAP_POLICY_UNSPECIFIED {
		p = enumspb.SCHEDULE_OVERLAP_POLICY_SKIP
	}
	return p
}

// processBuffer decides, for the buffered actions in order, which start
// now, given whether a workflow of the schedule is running. It is pure;
// the workflow carries the decision out. canStart says whether an action
// may start at all (scheduled actions wait while paused).
func processBuffer(buffer []Start, running bool, def enumspb.ScheduleOverlapPolicy, canStart func(Start) bool) bufferDecision {
	var d bufferDecision
	for _, item := range buffer {
		if !canStart(item) {
			d.Keep = append(d.Keep, item)
			continue
		}
		p := resolveOverlap(item.Overlap, def)
		if p == enumspb.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL || !running {
			d.Start = append(d.Start, item)
			running = true
			continue
		}
		switch p {
		case enumspb.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE:
			if len(d.Keep) > 0 {
				d.Skipped++
			} else {
				d.Keep = append(d.Keep, item)
			}
		case enumspb.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL:
			d.Keep = append(d.Keep, item)
		case enumspb.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER:
			d.Cancel = true
			d.Keep = []Start{item}
		case enumspb.SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER:
			d.Terminate = true
			d.Keep = []Start{item}
		default: // SKIP
			d.Skipped++
		}
	}
	return d
}
