package embedded

import (
	"bytes"
	"cmp"
	"math"
	"strings"
	"testing"
	"testing/quick"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

func sign(c int) int { return cmp.Compare(c, 0) }

// The key encodings must order exactly like the values they encode.
func TestKeyOrderMatchesValueOrder(t *testing.T) {
	cfg := &quick.Config{MaxCount: 5000}
	require.NoError(t, quick.Check(func(a, b string, x, y []byte) bool {
		// Strings with arbitrary bytes, zeros included, and suffixes after
		// them: order follows the strings first.
		ka := append(appendString(nil, a), x...)
		kb := append(appendString(nil, b), y...)
		if a == b {
			return sign(bytes.Compare(ka, kb)) == sign(bytes.Compare(x, y))
		}
		return sign(bytes.Compare(ka, kb)) == strings.Compare(a, b)
	}, cfg))
	require.NoError(t, quick.Check(func(a, b int64) bool {
		return sign(bytes.Compare(appendInt64(nil, a), appendInt64(nil, b))) == cmp.Compare(a, b) &&
			sign(bytes.Compare(appendInt64Desc(nil, a), appendInt64Desc(nil, b))) == cmp.Compare(b, a) &&
			decodeInt64(appendInt64(nil, a)) == a && decodeInt64Desc(appendInt64Desc(nil, a)) == a
	}, cfg))
	require.NoError(t, quick.Check(func(a, b int32) bool {
		return sign(bytes.Compare(appendInt32(nil, a), appendInt32(nil, b))) == cmp.Compare(a, b)
	}, cfg))
	require.NoError(t, quick.Check(func(s1, s2 int64, n1, n2 int32, id1, id2 int64) bool {
		// Timer keys order by (fire time, task ID), including times far
		// outside the int64-nanosecond range.
		t1 := time.Unix(s1/4, int64(n1)).UTC()
		t2 := time.Unix(s2/4, int64(n2)).UTC()
		timer := persistencepb.TaskCategory_TASK_CATEGORY_TIMER
		got := sign(bytes.Compare(historyTaskKey(1, timer, t1, id1), historyTaskKey(1, timer, t2, id2)))
		want := cmp.Compare(persistence.FireTimeNanos(t1), persistence.FireTimeNanos(t2))
		if want == 0 {
			want = cmp.Compare(id1, id2)
		}
		// Inside the representable range time order is kept exactly.
		minNanos, maxNanos := time.Unix(0, math.MinInt64), time.Unix(0, math.MaxInt64)
		if t1.After(minNanos) && t1.Before(maxNanos) && t2.After(minNanos) && t2.Before(maxNanos) {
			if c := t1.Compare(t2); c != 0 && c != sign(bytes.Compare(appendInt64(nil, persistence.FireTimeNanos(t1)), appendInt64(nil, persistence.FireTimeNanos(t2)))) {
				return false
			}
		}
		return got == want
	}, cfg))
}

func TestShardRowsAreContiguous(t *testing.T) {
	// Every row of shard 5 sorts between shard 5's prefix and shard 6's.
	lo, hi := []byte{tableShard}, []byte{tableShard}
	lo, hi = appendInt32(lo, 5), appendInt32(hi, 6)
	rows := [][]byte{
		shardInfoKey(5),
		executionKey(5, "ns", "wf", "run"),
		currentExecutionKey(5, "\xff\xff", "\xff"),
		historyTaskKey(5, persistencepb.TaskCategory_TASK_CATEGORY_TIMER, time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC), math.MaxInt64),
	}
	for _, k := range rows {
		require.Positive(t, bytes.Compare(k, lo))
		require.Negative(t, bytes.Compare(k, hi))
	}
}

func TestPrefixEnd(t *testing.T) {
	require.Equal(t, []byte{0x01, 0x03}, prefixEnd([]byte{0x01, 0x02}))
	require.Equal(t, []byte{0x02}, prefixEnd([]byte{0x01, 0xff}))
	require.Nil(t, prefixEnd([]byte{0xff, 0xff}))
}

func TestDBRecordVersionMatchesProtoDecoding(t *testing.T) {
	require.NoError(t, quick.Check(func(v int64, next int64, wf string) bool {
		raw, err := marshalState(&persistencepb.WorkflowMutableState{
			ExecutionInfo:   &persistencepb.WorkflowExecutionInfo{WorkflowId: wf},
			NextEventId:     next,
			DbRecordVersion: v,
		})
		if err != nil {
			return false
		}
		got, err := dbRecordVersion(raw)
		return err == nil && got == v
	}, nil))
	_, err := dbRecordVersion([]byte{0xff})
	require.Error(t, err)
}
