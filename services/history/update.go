package history

import (
	failurepb "go.temporal.io/api/failure/v1"
	protocolpb "go.temporal.io/api/protocol/v1"
	updatepb "go.temporal.io/api/update/v1"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/meridian-dev/meridian/persistence/persistencepb"
	"github.com/meridian-dev/meridian/services/history/workflow"
)

// updateRegistry holds a run's admitted updates: requests the API took that
// no worker has accepted or rejected yet. It lives in the run's context,
// in memory only, guarded by the run's lock. Losing it (eviction, restart)
// loses nothing that was acknowledged as durable: callers see the stage
// ADMITTED until acceptance, and the SDK re-sends its request until then;
// an acceptance carries the whole request, so a worker's answer to an
// update the registry forgot is still recorded.
//
// Every workflow task that starts carries all admitted updates as
// protocol messages (sequenced right before its started event). When a
// completion of that task neither accepts nor rejects one, it is rejected
// as unprocessed (as Temporal does): re-sending it could loop forever.
// A task that fails or times out does not count: its retry carries them
// again.
type updateRegistry struct {
	order []*admittedUpdate
}

// admittedUpdate is one update in the registry. Callers waiting for it keep
// the pointer: once it leaves the registry, rejection or dropped says why.
type admittedUpdate struct {
	id      string
	request *updatepb.Request
	// Started event ID of the last workflow task that carried it; 0 until
	// one did.
	sentIn int64
	// Set when it left the registry without being accepted: the worker's
	// rejection (the update's outcome), or the error its callers get.
	rejection *failurepb.Failure
	dropped   error
	// removed is set once it left the registry (accepted, rejected or dropped).
	removed bool
}

func (r *updateRegistry) len() int { return len(r.order) }

func (r *updateRegistry) get(id string) *admittedUpdate {
	for _, u := range r.order {
		if u.id == id {
			return u
		}
	}
	return nil
}

func (r *updateRegistry) admit(id string, req *updatepb.Request) *admittedUpdate {
	u := &admittedUpdate{id: id, request: req}
	r.order = append(r.order, u)
	return u
}

func (r *updateRegistry) remove(u *admittedUpdate) {
	u.removed = true
	kept := r.order[:0]
	for _, x := range r.order {
		if x != u {
			kept = append(kept, x)
		}
	}
	r.order = kept
}

// undelivered reports whether an update waits that the workflow task
// started at startedID did not carry.
func (r *updateRegistry) undelivered(startedID int64) bool {
	for _, u := range r.order {
		if u.sentIn != startedID {
			return true
		}
	}
	return false
}

// deliver returns the messages of every admitted update for the workflow
// task started at startedID and records that the task carries them.
func (r *updateRegistry) deliver(startedID int64) []*protocolpb.Message {
	if len(r.order) == 0 {
		return nil
	}
	msgs := make([]*protocolpb.Message, 0, len(r.order))
	for _, u := range r.order {
		body, err := anypb.New(u.request)
		if err != nil {
			panic("history: update request does not marshal: " + err.Error())
		}
		u.sentIn = startedID
		msgs = append(msgs, &protocolpb.Message{
			Id:                 u.id + "/request",
			ProtocolInstanceId: u.id,
			SequencingId:       &protocolpb.Message_EventId{EventId: startedID - 1},
			Body:               body,
		})
	}
	return msgs
}

// completed settles the registry after the completion of the task started
// at startedID committed: updates the worker accepted leave it (the run's
// state has them now), rejected ones leave with their failure, and the
// ones the task carried but the worker did not answer are rejected as
// unprocessed. It returns how many were rejected.
func (r *updateRegistry) completed(startedID int64, msgs []*protocolpb.Message, rejections []workflow.UpdateRejection, st *persistencepb.WorkflowMutableState) int {
	answered := map[string]bool{}
	for _, m := range msgs {
		answered[m.GetProtocolInstanceId()] = true
	}
	rejected := map[string]*failurepb.Failure{}
	for _, rj := range rejections {
		rejected[rj.UpdateID] = rj.Failure
	}
	n := 0
	for _, u := range append([]*admittedUpdate(nil), r.order...) {
		switch {
		case st.GetUpdateInfos()[u.id] != nil:
			r.remove(u)
		case rejected[u.id] != nil:
			u.rejection = rejected[u.id]
			r.remove(u)
			n++
		case u.sentIn == startedID && !answered[u.id]:
			u.rejection = workflow.UnprocessedUpdateFailure()
			r.remove(u)
			n++
		}
	}
	return n
}

// drop empties the registry of a closed run: its callers get err.
func (r *updateRegistry) drop(err error) {
	for _, u := range r.order {
		u.dropped = err
		u.removed = true
	}
	r.order = nil
}
