// Package benchmarks measures Meridian as users feel it: the official Go
// SDK drives a dev server on durable local storage. `make bench` runs these
// benchmarks; docs/benchmarks.md records the figures and how to reproduce
// them.
package benchmarks
