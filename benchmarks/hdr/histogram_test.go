package hdr

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand"
	"reflect"
	"sort"
	"testing"
	"testing/quick"

	"github.com/stretchr/testify/require"
)

// reference is the naive definition Quantile approximates: the value of
// rank ceil(q*n) (at least 1) in the sorted sample.
func reference(sorted []int64, q float64) int64 {
	rank := int(math.Ceil(q * float64(len(sorted))))
	rank = max(rank, 1)
	rank = min(rank, len(sorted))
	return sorted[rank-1]
}

// sample is a quick.Generator of value sets spread over many magnitudes,
// the shape latencies have.
type sample []int64

func (sample) Generate(r *rand.Rand, size int) reflect.Value {
	n := 1 + r.Intn(size*20+1)
	s := make(sample, n)
	for i := range s {
		switch r.Intn(4) {
		case 0:
			s[i] = r.Int63n(300) // the exact range and just above it
		case 1:
			s[i] = r.Int63n(1 << uint(r.Intn(62)+1))
		case 2:
			s[i] = int64(r.ExpFloat64() * 2e6) // a latency-like tail
		default:
			s[i] = r.Int63()
		}
	}
	return reflect.ValueOf(s)
}

var quickConfig = &quick.Config{MaxCount: 500}

func build(vs []int64) *Histogram {
	h := New()
	for _, v := range vs {
		h.Record(v)
	}
	return h
}

func sortedCopy(vs []int64) []int64 {
	s := append([]int64(nil), vs...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s
}

func TestQuantileMatchesSortedReference(t *testing.T) {
	qs := []float64{0, 0.001, 0.1, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1}
	prop := func(s sample, extraQ float64) bool {
		h := build(s)
		ref := sortedCopy(s)
		if h.Count() != uint64(len(s)) || h.Min() != ref[0] || h.Max() != ref[len(ref)-1] {
			return false
		}
		for _, q := range append(qs, math.Abs(math.Mod(extraQ, 1))) {
			want := reference(ref, q)
			got := h.Quantile(q)
			// Never below the true order statistic, never more than
			// 1/SubBuckets above it, never above the maximum.
			if got < want || got-want > want>>SubBucketBits || got > h.Max() {
				t.Logf("q=%v: got %d, reference %d (n=%d)", q, got, want, len(s))
				return false
			}
		}
		return true
	}
	require.NoError(t, quick.Check(prop, quickConfig))
}

func TestMeanAndSumAreExact(t *testing.T) {
	prop := func(s sample) bool {
		for i := range s {
			s[i] >>= 20 // keep the sum in range
		}
		h := build(s)
		var sum int64
		for _, v := range s {
			sum += v
		}
		return h.Sum() == sum && h.Mean() == float64(sum)/float64(len(s))
	}
	require.NoError(t, quick.Check(prop, quickConfig))
}

func TestMergeEqualsRecordingEverything(t *testing.T) {
	prop := func(a, b sample) bool {
		ha, hb := build(a), build(b)
		ha.Merge(hb)
		all := build(append(append([]int64(nil), a...), b...))
		ja, _ := json.Marshal(ha)
		jall, _ := json.Marshal(all)
		return bytes.Equal(ja, jall)
	}
	require.NoError(t, quick.Check(prop, quickConfig))
}

func TestJSONRoundTrip(t *testing.T) {
	prop := func(s sample) bool {
		h := build(s)
		b, err := json.Marshal(h)
		if err != nil {
			return false
		}
		var back Histogram
		if err := json.Unmarshal(b, &back); err != nil {
			return false
		}
		for _, q := range []float64{0, 0.5, 0.99, 1} {
			if back.Quantile(q) != h.Quantile(q) {
				return false
			}
		}
		return back.Count() == h.Count() && back.Min() == h.Min() && back.Max() == h.Max() && back.Sum() == h.Sum()
	}
	require.NoError(t, quick.Check(prop, quickConfig))
}

func TestBucketsTileTheRange(t *testing.T) {
	// Every bucket starts right after the previous one ends, and every
	// value maps into the bucket whose range holds it.
	prev := int64(-1)
	for i := 0; i <= maxBucket; i++ {
		lo, hi := bucketRange(i)
		require.Equal(t, prev+1, lo, "bucket %d", i)
		require.LessOrEqual(t, lo, hi)
		require.Equal(t, i, bucketOf(lo))
		require.Equal(t, i, bucketOf(hi))
		if hi == math.MaxInt64 {
			require.Equal(t, maxBucket, i)
			break
		}
		prev = hi
	}
}

func TestEmptyAndEdgeValues(t *testing.T) {
	h := New()
	require.Zero(t, h.Quantile(0.5))
	require.Zero(t, h.Mean())
	require.Nil(t, h.CDF())

	h.Record(-5) // clamps to 0
	h.Record(math.MaxInt64)
	require.Equal(t, int64(0), h.Min())
	require.Equal(t, int64(math.MaxInt64), h.Max())
	require.Equal(t, int64(0), h.Quantile(0.5))
	require.Equal(t, int64(math.MaxInt64), h.Quantile(1))
	cdf := h.CDF()
	require.Len(t, cdf, 2)
	require.Equal(t, 1.0, cdf[1].Fraction)
}

func TestCDFIsMonotonic(t *testing.T) {
	prop := func(s sample) bool {
		pts := build(s).CDF()
		for i := 1; i < len(pts); i++ {
			if pts[i].Value <= pts[i-1].Value || pts[i].Fraction <= pts[i-1].Fraction {
				return false
			}
		}
		return pts[len(pts)-1].Fraction == 1
	}
	require.NoError(t, quick.Check(prop, quickConfig))
}

func TestUnmarshalRejectsBadInput(t *testing.T) {
	var h Histogram
	require.Error(t, json.Unmarshal([]byte(`{"sub_bucket_bits":5,"count":0,"buckets":[]}`), &h))
	require.Error(t, json.Unmarshal([]byte(`{"sub_bucket_bits":7,"count":3,"buckets":[[1,2]]}`), &h))
	require.Error(t, json.Unmarshal([]byte(`{"sub_bucket_bits":7,"count":1,"buckets":[[99999999,1]]}`), &h))
}

func BenchmarkRecord(b *testing.B) {
	h := New()
	r := rand.New(rand.NewSource(1))
	vs := make([]int64, 1024)
	for i := range vs {
		vs[i] = int64(r.ExpFloat64() * 5e6)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.Record(vs[i&1023])
	}
}
