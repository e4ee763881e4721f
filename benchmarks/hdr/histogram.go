package hdr

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/bits"
)

// SubBucketBits sets the precision: each power-of-two range is split into
// 1<<SubBucketBits buckets, so relative error stays below 2^-SubBucketBits.
const SubBucketBits = 7

// SubBuckets is the number of buckets per power-of-two range.
const SubBuckets = 1 << SubBucketBits

// Histogram counts int64 values (negative values are recorded as 0).
// The zero value is an empty histogram ready to use.
type Histogram struct {
	counts []uint64
	total  uint64
	min    int64
	max    int64
	sum    int64
}

// New returns an empty histogram.
func New() *Histogram { return &Histogram{} }

// bucketOf is the index of the bucket holding v (v >= 0).
func bucketOf(v int64) int {
	u := uint64(v)
	if u < 2*SubBuckets {
		return int(u)
	}
	// u lies in [2^(e+SubBucketBits), 2^(e+SubBucketBits+1)); its bucket
	// there is u>>e, which is in [SubBuckets, 2*SubBuckets).
	e := bits.Len64(u) - SubBucketBits - 1
	return (e+1)*SubBuckets + int(u>>uint(e)) - SubBuckets
}

// bucketRange returns the smallest and largest values bucket i holds.
func bucketRange(i int) (lo, hi int64) {
	if i < 2*SubBuckets {
		return int64(i), int64(i)
	}
	e := i/SubBuckets - 1
	sub := int64(i%SubBuckets + SubBuckets)
	lo = sub << uint(e)
	return lo, lo + (int64(1) << uint(e)) - 1
}

// Record adds one occurrence of v.
func (h *Histogram) Record(v int64) { h.RecordN(v, 1) }

// RecordN adds n occurrences of v.
func (h *Histogram) RecordN(v int64, n uint64) {
	if n == 0 {
		return
	}
	if v < 0 {
		v = 0
	}
	i := bucketOf(v)
	if i >= len(h.counts) {
		h.grow(i)
	}
	h.counts[i] += n
	if h.total == 0 || v < h.min {
		h.min = v
	}
	if h.total == 0 || v > h.max {
		h.max = v
	}
	h.total += n
	h.sum += v * int64(n)
}

// grow extends counts to hold index i, with headroom so that a slowly
// rising maximum does not reallocate on every record.
func (h *Histogram) grow(i int) {
	n := i + 1 + SubBuckets
	c := make([]uint64, n)
	copy(c, h.counts)
	h.counts = c
}

// Merge adds every value recorded in o to h.
func (h *Histogram) Merge(o *Histogram) {
	if o == nil || o.total == 0 {
		return
	}
	if len(o.counts) > len(h.counts) {
		h.grow(len(o.counts) - 1)
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.total == 0 || o.min < h.min {
		h.min = o.min
	}
	if h.total == 0 || o.max > h.max {
		h.max = o.max
	}
	h.total += o.total
	h.sum += o.sum
}

// Count is the number of recorded values.
func (h *Histogram) Count() uint64 { return h.total }

// Min is the smallest recorded value, 0 when empty.
func (h *Histogram) Min() int64 { return h.min }

// Max is the largest recorded value, 0 when empty.
func (h *Histogram) Max() int64 { return h.max }

// Sum is the sum of the recorded values.
func (h *Histogram) Sum() int64 { return h.sum }

// Mean is the exact arithmetic mean, 0 when empty.
func (h *Histogram) Mean() float64 {
	if h.total == 0 {
		return 0
	}
	return float64(h.sum) / float64(h.total)
}

// Quantile estimates the q-quantile (q in [0, 1]): the value of rank
// ceil(q*Count) (at least 1) in sorted order. It reports the largest value
// of that value's bucket, capped at Max, so it never underestimates. It
// returns 0 when the histogram is empty.
func (h *Histogram) Quantile(q float64) int64 {
	if h.total == 0 {
		return 0
	}
	if q <= 0 || math.IsNaN(q) {
		return h.min
	}
	rank := uint64(math.Ceil(q * float64(h.total)))
	if rank < 1 {
		rank = 1
	}
	if rank >= h.total {
		return h.max
	}
	var cum uint64
	for i, c := range h.counts {
		cum += c
		if cum >= rank {
			_, hi := bucketRange(i)
			return min(max(hi, h.min), h.max)
		}
	}
	return h.max
}

// Point is one step of a cumulative distribution: Fraction of the
// recorded values are at most Value.
type Point struct {
	Value    int64
	Fraction float64
}

// CDF returns the cumulative distribution at the top of every non-empty
// bucket, in increasing order (the last point is at Max, fraction 1).
func (h *Histogram) CDF() []Point {
	if h.total == 0 {
		return nil
	}
	var pts []Point
	var cum uint64
	for i, c := range h.counts {
		if c == 0 {
			continue
		}
		cum += c
		_, hi := bucketRange(i)
		pts = append(pts, Point{Value: min(max(hi, h.min), h.max), Fraction: float64(cum) / float64(h.total)})
	}
	return pts
}

// jsonHistogram is the serialized form: the non-empty buckets as
// [index, count] pairs, with enough of the layout to refuse a file
// written with another precision.
type jsonHistogram struct {
	SubBucketBits int         `json:"sub_bucket_bits"`
	Count         uint64      `json:"count"`
	Min           int64       `json:"min"`
	Max           int64       `json:"max"`
	Sum           int64       `json:"sum"`
	Buckets       [][2]uint64 `json:"buckets"`
}

// MarshalJSON writes the histogram losslessly and compactly.
func (h *Histogram) MarshalJSON() ([]byte, error) {
	j := jsonHistogram{SubBucketBits: SubBucketBits, Count: h.total, Min: h.min, Max: h.max, Sum: h.sum, Buckets: [][2]uint64{}}
	for i, c := range h.counts {
		if c != 0 {
			j.Buckets = append(j.Buckets, [2]uint64{uint64(i), c})
		}
	}
	return json.Marshal(j)
}

// maxBucket bounds bucket indexes read from a file: the bucket of the
// largest int64.
var maxBucket = bucketOf(math.MaxInt64)

// UnmarshalJSON reads what MarshalJSON wrote. It rejects another precision
// and buckets whose counts disagree with the total.
func (h *Histogram) UnmarshalJSON(b []byte) error {
	var j jsonHistogram
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	if j.SubBucketBits != SubBucketBits {
		return fmt.Errorf("hdr: histogram has sub_bucket_bits %d, this build reads %d", j.SubBucketBits, SubBucketBits)
	}
	*h = Histogram{}
	var total uint64
	for _, bc := range j.Buckets {
		if bc[0] > uint64(maxBucket) {
			return fmt.Errorf("hdr: bucket index %d out of range", bc[0])
		}
		i := int(bc[0])
		if i >= len(h.counts) {
			h.grow(i)
		}
		h.counts[i] += bc[1]
		total += bc[1]
	}
	if total != j.Count {
		return errors.New("hdr: bucket counts do not add up to count")
	}
	h.total, h.min, h.max, h.sum = j.Count, j.Min, j.Max, j.Sum
	return nil
}
