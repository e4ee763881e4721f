package listfilter_test

import (
	"errors"
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"

	"github.com/meridian-dev/meridian/common/listfilter"
	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// The filter plugs into the visibility store's request.
var _ persistence.VisibilityFilter = (*listfilter.Filter)(nil)

func ExampleParse() {
	sa := listfilter.SearchAttributeTypes{"CustomerId": enumspb.INDEXED_VALUE_TYPE_KEYWORD}
	_, err := listfilter.Parse(`workflowtype = 'x'`, sa)
	var pe *listfilter.ParseError
	fmt.Println(errors.As(err, &pe), err)

	f, err := listfilter.Parse(
		`CustomerId = "c-1" and ExecutionStatus = 'running' order by StartTime desc`, sa)
	if err != nil {
		panic(err)
	}
	req := persistence.ListWorkflowExecutionsRequest{Filter: f, Less: f.OrderBy()}

	rec := &persistencepb.VisibilityRecord{Info: &workflowpb.WorkflowExecutionInfo{
		Status: enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING,
		SearchAttributes: &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{
			"CustomerId": {
				Metadata: map[string][]byte{"encoding": []byte("json/plain")},
				Data:     []byte(`"c-1"`),
			},
		}},
	}}
	fmt.Println(f)
	fmt.Println(req.Filter.Match(rec), req.Less != nil)

	// A backend may push indexed equality conjuncts down.
	for _, c := range listfilter.Conjuncts(f.Expr()) {
		if cmp, ok := c.(*listfilter.Compare); ok && cmp.Attr.System && cmp.Op == listfilter.OpEq {
			fmt.Println("push down:", cmp.Attr.Name, cmp.Values[0].Str)
		}
	}
	// Output:
	// true invalid query: unknown search attribute "workflowtype" (names are case-sensitive; did you mean "WorkflowType"?) at position 1
	// CustomerId = 'c-1' AND ExecutionStatus = 'Running' ORDER BY StartTime DESC
	// true true
	// push down: ExecutionStatus Running
}
