package frontend

import (
	"github.com/meridian-dev/meridian/common/listfilter"
	"github.com/meridian-dev/meridian/common/schedule"
	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// System workflows (today: schedulers) carry the TemporalNamespaceDivision
// search attribute. Workflow list and count calls hide them unless the
// query names that attribute, as Temporal does, so a user's workflow
// lists show only their workflows.

// hideDivisions wraps a visibility filter (nil: every record) so that it
// skips records with a division, unless q names the division attribute.
func hideDivisions(f persistence.VisibilityFilter, q *listfilter.Filter) persistence.VisibilityFilter {
	if q != nil && namesAttribute(q.Expr(), schedule.DivisionSearchAttribute) {
		return f
	}
	return &divisionFilter{inner: f}
}

type divisionFilter struct{ inner persistence.VisibilityFilter }

// Match implements persistence.VisibilityFilter.
func (d *divisionFilter) Match(rec *persistencepb.VisibilityRecord) bool {
	if _, ok := rec.GetInfo().GetSearchAttributes().GetIndexedFields()[schedule.DivisionSearchAttribute]; ok {
		return false
	}
	return d.inner == nil || d.inner.Match(rec)
}

// namesAttribute reports whether expression e mentions attribute name.
func namesAttribute(e listfilter.Expr, name string) bool {
	switch e := e.(type) {
	case *listfilter.And:
		for _, x := range e.Exprs {
			if namesAttribute(x, name) {
				return true
			}
		}
	case *listfilter.Or:
		for _, x := range e.Exprs {
			if namesAttribute(x, name) {
				return true
			}
		}
	case *listfilter.Not:
		return namesAttribute(e.Expr, name)
	case *listfilter.Compare:
		return e.Attr.Name == name
	}
	return false
}
