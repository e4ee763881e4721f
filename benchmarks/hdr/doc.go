// Package hdr is a log-linear histogram of non-negative integers in the
// style of HdrHistogram: values below 2*SubBuckets are counted exactly,
// and every power-of-two range above is split into SubBuckets equal
// buckets, so a recorded value is known to within 1/SubBuckets (0.8%) of
// itself whatever its magnitude. Recording is O(1) and allocation-free once
// the bucket array has grown to the largest value seen; merging two
// histograms is exact.
//
// Invariants: Count is the sum of the bucket counts; Min and Max are the
// exact smallest and largest recorded values; Sum is their exact sum (it
// wraps only beyond 2^63, about 290 years of nanoseconds). Quantile never
// reports less than the exact order statistic it estimates, nor more than
// that statistic plus 1/SubBuckets of it, nor more than Max.
//
// A Histogram is not safe for concurrent use; callers lock around it.
package hdr
