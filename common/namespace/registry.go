// Package namespace caches namespace records for every service. Entries are
// read through from the NamespaceStore and refreshed after RefreshInterval,
// so updates (retention, failover) reach all services within that interval;
// Invalidate drops an entry at once after a local update.
package namespace

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.temporal.io/api/serviceerror"

	"github.com/meridian-dev/meridian/common/clock"
	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// DefaultRefreshInterval is how long a cached entry is trusted.
const DefaultRefreshInterval = 10 * time.Second

// Entry is an immutable view of one namespace.
type Entry struct {
	detail *persistencepb.NamespaceDetail
	loaded time.Time
}

// NewEntry wraps a stored record.
func NewEntry(d *persistencepb.NamespaceDetail) *Entry { return &Entry{detail: d} }

func (e *Entry) ID() string   { return e.detail.GetInfo().GetId() }
func (e *Entry) Name() string { return e.detail.GetInfo().GetName() }

// Detail returns the stored record; callers must not modify it.
func (e *Entry) Detail() *persistencepb.NamespaceDetail { return e.detail }

// Retention is how long closed runs are kept.
func (e *Entry) Retention() time.Duration {
	return e.detail.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration()
}

// FailoverVersion is stamped on every event written in the namespace.
func (e *Entry) FailoverVersion() int64 { return e.detail.GetFailoverVersion() }

// ActiveCluster names the region that accepts writes.
func (e *Entry) ActiveCluster() string {
	return e.detail.GetReplicationConfig().GetActiveClusterName()
}

// Registry is a read-through cache of namespaces by name and by ID.
type Registry struct {
	store   persistence.NamespaceStore
	clock   clock.Clock
	refresh time.Duration

	mu     sync.RWMutex
	byName map[string]*Entry
	byID   map[string]*Entry
}

// NewRegistry returns a Registry over store; refresh <= 0 means
// DefaultRefreshInterval.
func NewRegistry(store persistence.NamespaceStore, c clock.Clock, refresh time.Duration) *Registry {
	if refresh <= 0 {
		refresh = DefaultRefreshInterval
	}
	return &Registry{store: store, clock: c, refresh: refresh, byName: map[string]*Entry{}, byID: map[string]*Entry{}}
}

// GetByName returns the namespace or serviceerror.NamespaceNotFound.
func (r *Registry) GetByName(ctx context.Context, name string) (*Entry, error) {
	r.mu.RLock()
	e := r.byName[name]
	r.mu.RUnlock()
	if e != nil && r.clock.Now().Sub(e.loaded) < r.refresh {
		return e, nil
	}
	d, err := r.store.GetNamespaceByName(ctx, name)
	return r.loaded(d, err, name)
}

// GetByID returns the namespace or serviceerror.NamespaceNotFound.
func (r *Registry) GetByID(ctx context.Context, id string) (*Entry, error) {
	r.mu.RLock()
	e := r.byID[id]
	r.mu.RUnlock()
	if e != nil && r.clock.Now().Sub(e.loaded) < r.refresh {
		return e, nil
	}
	d, err := r.store.GetNamespaceByID(ctx, id)
	return r.loaded(d, err, id)
}

func (r *Registry) loaded(d *persistencepb.NamespaceDetail, err error, key string) (*Entry, error) {
	if errors.Is(err, persistence.ErrNotFound) {
		return nil, serviceerror.NewNamespaceNotFound(key)
	}
	if err != nil {
		return nil, serviceerror.NewUnavailable(fmt.Sprintf("namespace lookup failed: %v", err))
	}
	e := &Entry{detail: d, loaded: r.clock.Now()}
	r.mu.Lock()
	r.byName[e.Name()] = e
	r.byID[e.ID()] = e
	r.mu.Unlock()
	return e, nil
}

// Invalidate drops cached entries for the namespace so the next lookup reads
// the store.
func (r *Registry) Invalidate(name, id string) {
	r.mu.Lock()
	delete(r.byName, name)
	delete(r.byID, id)
	r.mu.Unlock()
}
