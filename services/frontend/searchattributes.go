package frontend

import (
	"fmt"
	"maps"
	"regexp"
	"sort"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"

	"github.com/meridian-dev/meridian/common/searchattribute"
)

// Search attributes.
//
// System attributes are fixed (systemSearchAttributes, the same set
// common/listfilter evaluates). Custom attributes belong to a namespace and
// are stored in its NamespaceConfig.custom_search_attribute_aliases, the
// map Temporal defines as "field name -> alias" (common/searchattribute
// decodes it and validates values). So the namespace record alone says
// which custom attributes exist and their types, with no change to the
// persistence contract; history reads the same record to validate
// commands. Visibility records carry search attributes under the
// user-facing name; responses add each value's type (withTypes).

// systemSearchAttributes are the attributes every namespace has (system
// and predefined); no custom attribute may take their names.
var systemSearchAttributes = searchattribute.System()

// copySystemSearchAttributes returns a fresh copy callers may keep.
func copySystemSearchAttributes() map[string]enumspb.IndexedValueType {
	return maps.Clone(systemSearchAttributes)
}

// fieldType returns the type a custom attribute field name encodes.
func fieldType(field string) (enumspb.IndexedValueType, bool) {
	return searchattribute.FieldType(field)
}

// customSearchAttributes returns a namespace's custom attributes (user
// name -> type) from its alias map.
func customSearchAttributes(aliases map[string]string) map[string]enumspb.IndexedValueType {
	return searchattribute.FromAliases(aliases)
}

// customSearchAttributeType looks one name up without building a map.
func customSearchAttributeType(aliases map[string]string, name string) (enumspb.IndexedValueType, bool) {
	for field, alias := range aliases {
		if alias == name {
			return fieldType(field)
		}
	}
	return enumspb.INDEXED_VALUE_TYPE_UNSPECIFIED, false
}

// searchAttributeNameRE is what a custom attribute name may look like.
var searchAttributeNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// addSearchAttributes returns aliases with the requested attributes added.
// Attributes already defined with the same type are left as they are
// (adding is idempotent); a different type is an error. aliases is not
// modified.
func addSearchAttributes(aliases map[string]string, add map[string]enumspb.IndexedValueType, maxPerType int) (map[string]string, error) {
	out := maps.Clone(aliases)
	if out == nil {
		out = map[string]string{}
	}
	names := make([]string, 0, len(add))
	for n := range add {
		names = append(names, n)
	}
	sort.Strings(names) // deterministic field allocation
	for _, name := range names {
		t := add[name]
		if cur, ok := customSearchAttributeType(out, name); ok {
			if cur != t {
				return nil, invalidArgf("Search attribute %s already exists with type %s.", name, shortTypeName(cur))
			}
			continue
		}
		field, err := freeField(out, t, maxPerType)
		if err != nil {
			return nil, err
		}
		out[field] = name
	}
	return out, nil
}

// removeSearchAttributes returns aliases without the named attributes;
// removing an undefined attribute is an error. aliases is not modified.
func removeSearchAttributes(aliases map[string]string, remove []string) (map[string]string, error) {
	out := maps.Clone(aliases)
	for _, name := range remove {
		found := false
		for field, alias := range out {
			if alias == name {
				delete(out, field)
				found = true
			}
		}
		if !found {
			return nil, invalidArgf("Search attribute %s doesn't exist.", name)
		}
	}
	return out, nil
}

// freeField picks the lowest unused field name of type t.
func freeField(aliases map[string]string, t enumspb.IndexedValueType, maxPerType int) (string, error) {
	prefix, _ := searchattribute.FieldPrefix(t)
	for i := 1; i <= maxPerType; i++ {
		f := fmt.Sprintf("%s%02d", prefix, i)
		if _, used := aliases[f]; !used {
			return f, nil
		}
	}
	return "", invalidArgf("Unable to create search attribute: a namespace cannot have more than %d search attributes of type %s.", maxPerType, shortTypeName(t))
}

// shortTypeName is Temporal's PascalCase spelling ("Keyword").
func shortTypeName(t enumspb.IndexedValueType) string {
	return searchattribute.ShortTypeName(t)
}

// searchAttributeSizes checks count and size limits of request search
// attributes; names are checked by searchAttributeNames.
func (v validator) searchAttributeSizes(sa *commonpb.SearchAttributes) error {
	for name := range sa.GetIndexedFields() {
		if name == "" {
			return serviceerror.NewInvalidArgument("SearchAttributes has an empty name.")
		}
		if err := v.length("SearchAttributes name", name); err != nil {
			return err
		}
	}
	if err := v.searchAttributeLimits().ValidateSize(sa); err != nil {
		return serviceerror.NewInvalidArgument(err.Error())
	}
	return nil
}

// searchAttributeLimits are the limits of one run's search attributes.
func (v validator) searchAttributeLimits() searchattribute.Limits {
	return searchattribute.Limits{
		NumberOfKeys: v.cfg.SearchAttributesNumberOfKeysLimit,
		SizeOfValue:  v.cfg.SearchAttributesSizeOfValueLimit,
		TotalSize:    v.cfg.SearchAttributesTotalSizeLimit,
	}
}

// searchAttributeNames checks that every attribute a start request sets is
// a custom or predefined attribute of the namespace and that its value
// decodes as the attribute's type. System attributes are set by the
// server only.
func searchAttributeNames(namespaceName string, sa *commonpb.SearchAttributes, aliases map[string]string) error {
	if len(sa.GetIndexedFields()) == 0 {
		return nil
	}
	if err := searchattribute.Validate(sa, namespaceName, searchattribute.FromAliases(aliases)); err != nil {
		return serviceerror.NewInvalidArgument(err.Error())
	}
	return nil
}
