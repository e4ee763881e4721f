// Package clock is the only place that reads the wall clock or sleeps.
// Everything else takes a Clock, so that tests can drive time.
package clock

import (
	"context"
	"sync"
	"time"
)

// Timer is a one-shot timer; Stop reports whether it stopped a pending fire.
type Timer interface {
	C() <-chan time.Time
	Stop() bool
}

// Clock tells time and makes timers.
type Clock interface {
	Now() time.Time
	NewTimer(d time.Duration) Timer
	// AfterFunc calls f in its own goroutine after d.
	AfterFunc(d time.Duration, f func()) Timer
}

// Real is the system clock.
func Real() Clock { return realClock{} }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

func (realClock) AfterFunc(d time.Duration, f func()) Timer {
	return realTimer{time.AfterFunc(d, f)}
}

type realTimer struct{ t *time.Timer }

func (t realTimer) C() <-chan time.Time { return t.t.C }
func (t realTimer) Stop() bool          { return t.t.Stop() }

// Sleep waits for d on c or until ctx ends; it returns ctx.Err() if ctx
// ended first.
func Sleep(ctx context.Context, c Clock, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := c.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C():
		return nil
	}
}

// Fake is a manually advanced clock for tests. Timers fire when Advance moves
// time past their deadline.
type Fake struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

// NewFake returns a Fake clock reading start.
func NewFake(start time.Time) *Fake { return &Fake{now: start} }

func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *Fake) NewTimer(d time.Duration) Timer { return f.add(d, nil) }

func (f *Fake) AfterFunc(d time.Duration, fn func()) Timer { return f.add(d, fn) }

func (f *Fake) add(d time.Duration, fn func()) *fakeTimer {
	f.mu.Lock()
	t := &fakeTimer{clock: f, at: f.now.Add(d), fn: fn, c: make(chan time.Time, 1)}
	f.timers = append(f.timers, t)
	f.mu.Unlock()
	f.Advance(0)
	return t
}

// Advance moves time forward by d and fires every timer that is due.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	now := f.now
	var due []*fakeTimer
	kept := f.timers[:0]
	for _, t := range f.timers {
		if !t.at.After(now) {
			due = append(due, t)
		} else {
			kept = append(kept, t)
		}
	}
	f.timers = kept
	f.mu.Unlock()
	for _, t := range due {
		if t.fn != nil {
			go t.fn()
		} else {
			t.c <- now
		}
	}
}

type fakeTimer struct {
	clock *Fake
	at    time.Time
	fn    func()
	c     chan time.Time
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	f := t.clock
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, o := range f.timers {
		if o == t {
			f.timers = append(f.timers[:i], f.timers[i+1:]...)
			return true
		}
	}
	return false
}
