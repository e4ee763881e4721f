package frontend

import (
	"regexp"
	"sort"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/types/known/durationpb"
)

// namespaceNameRE is what a new namespace's name may look like: letters,
// digits, '.', '-' and '_', starting with a letter or digit.
var namespaceNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// registerNamespace validates a RegisterNamespaceRequest. Replication
// fields are checked against the cluster by replicationForRegister.
func (v validator) registerNamespace(r *workflowservice.RegisterNamespaceRequest) error {
	if r == nil {
		return serviceerror.NewInvalidArgument(msgRequestNil)
	}
	if err := v.namespace(r.GetNamespace()); err != nil {
		return err
	}
	if !namespaceNameRE.MatchString(r.GetNamespace()) {
		return invalidArgf("Invalid Namespace %q: use letters, digits, '.', '-' and '_', starting with a letter or digit.", r.GetNamespace())
	}
	if err := v.length("OwnerEmail", r.GetOwnerEmail()); err != nil {
		return err
	}
	if err := v.description(r.GetDescription()); err != nil {
		return err
	}
	if err := v.retention("WorkflowExecutionRetentionPeriod", r.GetWorkflowExecutionRetentionPeriod()); err != nil {
		return err
	}
	if err := v.namespaceData(r.GetData()); err != nil {
		return err
	}
	if err := v.archival("HistoryArchivalState", r.GetHistoryArchivalState()); err != nil {
		return err
	}
	if err := v.archival("VisibilityArchivalState", r.GetVisibilityArchivalState()); err != nil {
		return err
	}
	if err := v.length("ActiveClusterName", r.GetActiveClusterName()); err != nil {
		return err
	}
	for _, c := range r.GetClusters() {
		if err := v.required("Clusters.ClusterName", c.GetClusterName()); err != nil {
			return err
		}
	}
	return nil
}

// description bounds a namespace description.
func (v validator) description(d string) error {
	if len(d) > v.cfg.BlobSizeLimitError {
		return invalidArgf("Description exceeds length limit of %d bytes.", v.cfg.BlobSizeLimitError)
	}
	return nil
}

// retention checks an optional retention period: valid, and when set not
// below MinNamespaceRetention.
func (v validator) retention(field string, d *durationpb.Duration) error {
	if err := v.duration(field, d); err != nil {
		return err
	}
	if d != nil && d.AsDuration() > 0 && d.AsDuration() < v.cfg.MinNamespaceRetention {
		return invalidArgf("Invalid %s: %v is shorter than the minimum %v.", field, d.AsDuration(), v.cfg.MinNamespaceRetention)
	}
	return nil
}

// namespaceData checks namespace data keys.
func (v validator) namespaceData(data map[string]string) error {
	for k, val := range data {
		if k == "" {
			return serviceerror.NewInvalidArgument("Data has an empty key.")
		}
		if err := v.length("Data key", k); err != nil {
			return err
		}
		if len(val) > v.cfg.BlobSizeLimitError {
			return invalidArgf("Data[%s] exceeds length limit of %d bytes.", k, v.cfg.BlobSizeLimitError)
		}
	}
	return nil
}

// archival accepts UNSPECIFIED and DISABLED: Meridian has no archival.
func (v validator) archival(field string, s enumspb.ArchivalState) error {
	if err := enumValue(field, enumspb.ArchivalState_name, s); err != nil {
		return err
	}
	if s == enumspb.ARCHIVAL_STATE_ENABLED {
		return invalidArgf("Invalid %s: archival is not supported.", field)
	}
	return nil
}

// describeNamespace validates a DescribeNamespaceRequest: a name or an ID.
func (v validator) describeNamespace(r *workflowservice.DescribeNamespaceRequest) error {
	if r == nil {
		return serviceerror.NewInvalidArgument(msgRequestNil)
	}
	if r.GetNamespace() == "" && r.GetId() == "" {
		return serviceerror.NewInvalidArgument("Namespace or Id is not set on request.")
	}
	if err := v.length("Namespace", r.GetNamespace()); err != nil {
		return err
	}
	return v.length("Id", r.GetId())
}

// listNamespaces validates a ListNamespacesRequest.
func (v validator) listNamespaces(r *workflowservice.ListNamespacesRequest) error {
	if r == nil {
		return serviceerror.NewInvalidArgument(msgRequestNil)
	}
	return v.pageSize("PageSize", r.GetPageSize())
}

// updateNamespace validates an UpdateNamespaceRequest on its own; what the
// update may change given the stored namespace is decided by
// applyNamespaceUpdate.
func (v validator) updateNamespace(r *workflowservice.UpdateNamespaceRequest) error {
	if r == nil {
		return serviceerror.NewInvalidArgument(msgRequestNil)
	}
	if err := v.namespace(r.GetNamespace()); err != nil {
		return err
	}
	if ui := r.GetUpdateInfo(); ui != nil {
		if err := v.length("UpdateInfo.OwnerEmail", ui.GetOwnerEmail()); err != nil {
			return err
		}
		if err := v.description(ui.GetDescription()); err != nil {
			return err
		}
		if err := v.namespaceData(ui.GetData()); err != nil {
			return err
		}
		if err := enumValue("UpdateInfo.State", enumspb.NamespaceState_name, ui.GetState()); err != nil {
			return err
		}
	}
	if c := r.GetConfig(); c != nil {
		if err := v.retention("Config.WorkflowExecutionRetentionTtl", c.GetWorkflowExecutionRetentionTtl()); err != nil {
			return err
		}
		if err := v.archival("Config.HistoryArchivalState", c.GetHistoryArchivalState()); err != nil {
			return err
		}
		if err := v.archival("Config.VisibilityArchivalState", c.GetVisibilityArchivalState()); err != nil {
			return err
		}
		for checksum, info := range c.GetBadBinaries().GetBinaries() {
			if err := v.required("Config.BadBinaries checksum", checksum); err != nil {
				return err
			}
			if err := v.length("Config.BadBinaries reason", info.GetReason()); err != nil {
				return err
			}
		}
	}
	if err := v.length("DeleteBadBinary", r.GetDeleteBadBinary()); err != nil {
		return err
	}
	if r.GetPromoteNamespace() {
		return serviceerror.NewInvalidArgument("PromoteNamespace is not supported: register a global namespace instead.")
	}
	return nil
}

// deprecateNamespace validates a DeprecateNamespaceRequest.
func (v validator) deprecateNamespace(r *workflowservice.DeprecateNamespaceRequest) error {
	if r == nil {
		return serviceerror.NewInvalidArgument(msgRequestNil)
	}
	return v.namespace(r.GetNamespace())
}

// addSearchAttributes validates an AddSearchAttributesRequest.
func (v validator) addSearchAttributes(r *operatorservice.AddSearchAttributesRequest) error {
	if r == nil {
		return serviceerror.NewInvalidArgument(msgRequestNil)
	}
	if err := v.namespace(r.GetNamespace()); err != nil {
		return err
	}
	if len(r.GetSearchAttributes()) == 0 {
		return serviceerror.NewInvalidArgument("SearchAttributes is not set on request.")
	}
	names := make([]string, 0, len(r.GetSearchAttributes()))
	for n := range r.GetSearchAttributes() {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := v.searchAttributeName(name); err != nil {
			return err
		}
		t := r.GetSearchAttributes()[name]
		if t == enumspb.INDEXED_VALUE_TYPE_UNSPECIFIED || !validEnum(enumspb.IndexedValueType_name, int32(t)) {
			return invalidArgf("Invalid type %d for search attribute %s.", int32(t), name)
		}
	}
	return nil
}

// searchAttributeName checks a new custom attribute's name.
func (v validator) searchAttributeName(name string) error {
	if err := v.required("SearchAttributes name", name); err != nil {
		return err
	}
	if _, ok := systemSearchAttributes[name]; ok {
		return invalidArgf("Search attribute %s is reserved by the system.", name)
	}
	if strings.HasPrefix(name, "Temporal") {
		return invalidArgf("Search attribute %s is invalid: the prefix Temporal is reserved.", name)
	}
	if !searchAttributeNameRE.MatchString(name) {
		return invalidArgf("Search attribute %s is invalid: use letters, digits and '_', not starting with a digit.", name)
	}
	return nil
}

// removeSearchAttributes validates a RemoveSearchAttributesRequest.
func (v validator) removeSearchAttributes(r *operatorservice.RemoveSearchAttributesRequest) error {
	if r == nil {
		return serviceerror.NewInvalidArgument(msgRequestNil)
	}
	if err := v.namespace(r.GetNamespace()); err != nil {
		return err
	}
	if len(r.GetSearchAttributes()) == 0 {
		return serviceerror.NewInvalidArgument("SearchAttributes is not set on request.")
	}
	for _, name := range r.GetSearchAttributes() {
		if _, ok := systemSearchAttributes[name]; ok {
			return invalidArgf("Search attribute %s is a system attribute and cannot be removed.", name)
		}
	}
	return nil
}

// listSearchAttributes validates a ListSearchAttributesRequest.
func (v validator) listSearchAttributes(r *operatorservice.ListSearchAttributesRequest) error {
	if r == nil {
		return serviceerror.NewInvalidArgument(msgRequestNil)
	}
	return v.namespace(r.GetNamespace())
}
