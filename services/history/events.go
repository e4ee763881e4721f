package history

import (
	"bytes"

	historypb "go.temporal.io/api/history/v1"

	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// eventWindow keeps the most recent committed history events of a running
// run, so that handing out a workflow task (which returns the history up to
// its started event) reads nothing from the history store. It holds whole
// committed batches with contiguous event IDs on one branch, at most a
// configured number of bytes; older batches fall out first. A batch that
// does not continue the window (after a failed write and reload, or on a
// new branch) starts a new one. Committed events are immutable, so what the
// window returns may be shared with responses. Guarded by the run's lock.
type eventWindow struct {
	branch  []byte
	batches []eventBatch
	bytes   int
}

type eventBatch struct {
	events []*historypb.HistoryEvent
	bytes  int
}

// add records a committed batch of size bytes (as the history store
// counted it) for a run in state st; limit bounds the window. A closed run
// takes no more workflow tasks: its window is dropped.
func (w *eventWindow) add(st *persistencepb.WorkflowMutableState, events []*historypb.HistoryEvent, size, limit int) {
	if len(events) == 0 {
		return
	}
	for i, e := range events[1:] {
		if e.EventId != events[i].EventId+1 {
			w.reset()
			return
		}
	}
	branch := branchToken(st)
	if st.GetExecutionState().GetState() == persistencepb.WorkflowState_WORKFLOW_STATE_COMPLETED || size > limit {
		w.reset()
		return
	}
	if !bytes.Equal(w.branch, branch) || w.next() != events[0].EventId {
		w.reset()
		w.branch = branch
	}
	w.batches = append(w.batches, eventBatch{events: events, bytes: size})
	w.bytes += size
	drop := 0
	for w.bytes > limit {
		w.bytes -= w.batches[drop].bytes
		w.batches[drop] = eventBatch{}
		drop++
	}
	if drop > 0 {
		w.batches = append(w.batches[:0:0], w.batches[drop:]...)
	}
}

func (w *eventWindow) reset() {
	*w = eventWindow{}
}

// next is the event ID after the window's last (0 when empty).
func (w *eventWindow) next() int64 {
	if len(w.batches) == 0 {
		return 0
	}
	b := w.batches[len(w.batches)-1].events
	return b[len(b)-1].EventId + 1
}

// get returns events [min, max) of branch when the window holds all of
// them, else nil.
func (w *eventWindow) get(branch []byte, min, max int64) []*historypb.HistoryEvent {
	if min >= max || len(w.batches) == 0 || max > w.next() || !bytes.Equal(w.branch, branch) {
		return nil
	}
	if w.batches[0].events[0].EventId > min {
		return nil
	}
	out := make([]*historypb.HistoryEvent, 0, max-min)
	for _, b := range w.batches {
		for _, e := range b.events {
			if e.EventId >= min && e.EventId < max {
				out = append(out, e)
			}
		}
	}
	return out
}
