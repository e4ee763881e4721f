package persistence

import (
	"encoding/binary"
	"errors"
	"slices"

	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// VisibilityScan calls visit with every visibility record of one
// namespace, in any order. It is the storage behind ListVisibilityRecords
// and CountVisibilityRecords.
type VisibilityScan func(visit func(*persistencepb.VisibilityRecord)) error

// ListVisibilityRecords answers req from scan, which reads req.NamespaceID:
// the records req.Filter matches, sorted by req.Less (newest first when
// nil), from the page token's offset, at most PageSize of them (PageSize
// <= 0: no limit). The next page token is the offset of the next record.
func ListVisibilityRecords(req *ListWorkflowExecutionsRequest, scan VisibilityScan) ([]*persistencepb.VisibilityRecord, []byte, error) {
	if req == nil {
		return nil, nil, errors.New("persistence: ListWorkflowExecutions: nil request")
	}
	var offset uint64
	if len(req.NextPageToken) > 0 {
		var n int
		if offset, n = binary.Uvarint(req.NextPageToken); n != len(req.NextPageToken) {
			return nil, nil, errors.New("persistence: invalid visibility page token")
		}
	}
	var recs []*persistencepb.VisibilityRecord
	err := scan(func(rec *persistencepb.VisibilityRecord) {
		if req.Filter == nil || req.Filter.Match(rec) {
			recs = append(recs, rec)
		}
	})
	if err != nil {
		return nil, nil, err
	}
	less := req.Less
	if less == nil {
		less = newestFirst
	}
	slices.SortStableFunc(recs, func(a, b *persistencepb.VisibilityRecord) int {
		switch {
		case less(a, b):
			return -1
		case less(b, a):
			return 1
		}
		return 0
	})
	if offset >= uint64(len(recs)) {
		return nil, nil, nil
	}
	recs = recs[offset:]
	if req.PageSize > 0 && len(recs) > req.PageSize {
		return recs[:req.PageSize], binary.AppendUvarint(nil, offset+uint64(req.PageSize)), nil
	}
	return recs, nil, nil
}

// CountVisibilityRecords counts the records of scan that filter matches
// (all when filter is nil).
func CountVisibilityRecords(filter VisibilityFilter, scan VisibilityScan) (int64, error) {
	var n int64
	err := scan(func(rec *persistencepb.VisibilityRecord) {
		if filter == nil || filter.Match(rec) {
			n++
		}
	})
	return n, err
}

// newestFirst is the default order: start time descending, then run ID.
func newestFirst(a, b *persistencepb.VisibilityRecord) bool {
	ta, tb := a.GetInfo().GetStartTime().AsTime(), b.GetInfo().GetStartTime().AsTime()
	if !ta.Equal(tb) {
		return ta.After(tb)
	}
	return a.GetInfo().GetExecution().GetRunId() < b.GetInfo().GetExecution().GetRunId()
}
