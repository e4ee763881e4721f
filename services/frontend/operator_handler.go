package frontend

import (
	"context"

	namespacepb "go.temporal.io/api/namespace/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// OperatorService: the search-attribute calls that SDK harnesses and the
// CLI use. Custom attributes are stored in the namespace record (see
// searchattributes.go); the other operator calls answer Unimplemented.

// AddSearchAttributes defines custom search attributes in a namespace.
// Re-adding an attribute with the same type is a no-op.
func (s *Service) AddSearchAttributes(ctx context.Context, req *operatorservice.AddSearchAttributesRequest) (*operatorservice.AddSearchAttributesResponse, error) {
	if err := s.v.addSearchAttributes(req); err != nil {
		return nil, err
	}
	_, err := s.updateNamespaceDetail(ctx, req.GetNamespace(), func(d *persistencepb.NamespaceDetail) error {
		aliases, err := addSearchAttributes(d.GetConfig().GetCustomSearchAttributeAliases(), req.GetSearchAttributes(), s.cfg.MaxCustomSearchAttributesPerType)
		if err != nil {
			return err
		}
		ensureConfig(d).CustomSearchAttributeAliases = aliases
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &operatorservice.AddSearchAttributesResponse{}, nil
}

// RemoveSearchAttributes removes custom search attributes from a
// namespace. Values already stored on runs stay in their records but can
// no longer be queried.
func (s *Service) RemoveSearchAttributes(ctx context.Context, req *operatorservice.RemoveSearchAttributesRequest) (*operatorservice.RemoveSearchAttributesResponse, error) {
	if err := s.v.removeSearchAttributes(req); err != nil {
		return nil, err
	}
	_, err := s.updateNamespaceDetail(ctx, req.GetNamespace(), func(d *persistencepb.NamespaceDetail) error {
		aliases, err := removeSearchAttributes(d.GetConfig().GetCustomSearchAttributeAliases(), req.GetSearchAttributes())
		if err != nil {
			return err
		}
		ensureConfig(d).CustomSearchAttributeAliases = aliases
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &operatorservice.RemoveSearchAttributesResponse{}, nil
}

// ListSearchAttributes reports a namespace's custom attributes and the
// system attributes. It reads the store, so an attribute just added is
// listed at once.
func (s *Service) ListSearchAttributes(ctx context.Context, req *operatorservice.ListSearchAttributesRequest) (*operatorservice.ListSearchAttributesResponse, error) {
	if err := s.v.listSearchAttributes(req); err != nil {
		return nil, err
	}
	ns, err := s.DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: req.GetNamespace()})
	if err != nil {
		return nil, err
	}
	return &operatorservice.ListSearchAttributesResponse{
		CustomAttributes: customSearchAttributes(ns.GetConfig().GetCustomSearchAttributeAliases()),
		SystemAttributes: copySystemSearchAttributes(),
		StorageSchema:    map[string]string{},
	}, nil
}

func ensureConfig(d *persistencepb.NamespaceDetail) *namespacepb.NamespaceConfig {
	if d.Config == nil {
		d.Config = &namespacepb.NamespaceConfig{}
	}
	return d.Config
}
