// Package listfilter parses and evaluates the visibility list-filter
// language of Temporal's ListWorkflowExecutions and CountWorkflowExecutions
// `query` strings, for example
//
//	WorkflowType = 'OrderWorkflow' AND ExecutionStatus = 'Running'
//	WorkflowId = "abc" OR (WorkflowType IN ('A', 'B') AND StartTime > '2024-01-01T00:00:00Z')
//	ExecutionStatus != 'Completed' ORDER BY StartTime DESC
//
// It is a pure core: Parse and the Filter methods do no I/O and read no
// clock. *Filter implements persistence.VisibilityFilter (Match), and
// Filter.OrderBy supplies ListWorkflowExecutionsRequest.Less. The parsed
// tree (Filter.Expr, Conjuncts and the node types And, Or, Not, Compare)
// is exported so that a backend can push simple conjuncts, such as
// equality on WorkflowType, WorkflowId or ExecutionStatus, down to an
// index; whatever it pushes down, its results must equal Match over every
// record of the namespace.
//
// # Grammar
//
// Keywords are case-insensitive; attribute names are case-sensitive.
//
//	query       = [ expr ] [ group_by ] [ order_by ] .
//	expr        = and_expr { "OR" and_expr } .
//	and_expr    = not_expr { "AND" not_expr } .
//	not_expr    = "NOT" not_expr | "(" expr ")" | predicate .
//	predicate   = attribute ( cmp_op value
//	                        | [ "NOT" ] "IN" "(" value { "," value } ")"
//	                        | [ "NOT" ] "BETWEEN" value "AND" value
//	                        | [ "NOT" ] "STARTS_WITH" value
//	                        | "IS" [ "NOT" ] "NULL" ) .
//	cmp_op      = "=" | "!=" | "<>" | "<" | "<=" | ">" | ">=" .
//	group_by    = "GROUP" "BY" attribute { "," attribute } .   (ExecutionStatus only)
//	order_by    = "ORDER" "BY" order_term { "," order_term } .
//	order_term  = attribute [ "ASC" | "DESC" ] .
//	attribute   = identifier | "`" { char | "``" } "`" .
//	identifier  = ( letter | "_" ) { letter | digit | "_" } .   (ASCII, not a keyword)
//	value       = string | number | "TRUE" | "FALSE" .
//	string      = "'" { char | "''" | escape } "'" | `"` { char | `""` | escape } `"` .
//	escape      = "\" char .    (\n \t \r \0 \b \Z as in MySQL; \x is x otherwise)
//	number      = [ "+" | "-" ] ( digits [ "." { digit } ] | "." digits ) [ ( "e" | "E" ) [ "+" | "-" ] digits ] .
//
// NOT binds tighter than AND, which binds tighter than OR. The reserved
// words are AND, OR, NOT, IN, IS, NULL, BETWEEN, STARTS_WITH, ORDER, BY,
// ASC, DESC, TRUE, FALSE, LIKE, GROUP and LIMIT; an attribute with such a
// name must be backquoted. LIKE, LIMIT, functions (such as now()) and
// attribute-to-attribute comparisons are rejected. GROUP BY accepts only
// ExecutionStatus, as in Temporal; Filter.GroupBy reports it, Match and
// Less ignore it, and callers that cannot group (lists) reject it.
//
// # Attributes and values
//
// Built-in attributes are always known and shadow a custom attribute of
// the same name. Those read from the record's WorkflowExecutionInfo:
//
//	WorkflowId, RunId, WorkflowType, TaskQueue          Keyword
//	ParentWorkflowId, ParentRunId, RootWorkflowId, RootRunId   Keyword
//	ExecutionStatus                                     status (see below)
//	StartTime, CloseTime, ExecutionTime                 Datetime
//	ExecutionDuration                                   Int nanoseconds
//	HistoryLength, HistorySizeBytes, StateTransitionCount   Int
//
// Temporal's user-visible predefined attributes (TemporalChangeVersion,
// BuildIds, BinaryChecksums, TemporalPauseInfo, TemporalReportedProblems:
// KeywordList; BatcherNamespace, BatcherUser, TemporalScheduledById,
// TemporalNamespaceDivision, TemporalWorkerDeployment,
// TemporalWorkerDeploymentVersion, TemporalWorkflowVersioningBehavior:
// Keyword; TemporalScheduledStartTime: Datetime; TemporalSchedulePaused:
// Bool) and custom attributes (typed by the SearchAttributeTypes passed to
// Parse) are read from the record's SearchAttributes: JSON payloads
// ("json/plain") of a scalar or a list of scalars, decoded as the declared
// type (the payload's "type" metadata is not consulted). Null, "binary/null"
// and undecodable payloads are absent values.
//
// Literals must suit the attribute's type:
//   - Keyword, KeywordList, Text: a string.
//   - Int: a number (a fraction is compared exactly); Double: a number.
//   - Bool: TRUE or FALSE.
//   - Datetime: an RFC3339 or RFC3339Nano string, or integer unix
//     nanoseconds. Times are compared as instants.
//   - ExecutionStatus: a status name, case-insensitive ('Running',
//     'Completed', 'Failed', 'Canceled', 'Terminated', 'ContinuedAsNew',
//     'TimedOut', 'Paused', or the full WORKFLOW_EXECUTION_STATUS_* name),
//     or its enum number.
//   - ExecutionDuration: a Go duration string ('90s', '1h30m') or integer
//     nanoseconds.
//
// Operators by type (IS NULL and IS NOT NULL apply to all):
//
//	Keyword                    = != < <= > >= [NOT] IN  [NOT] BETWEEN  [NOT] STARTS_WITH
//	Int, Double, Datetime      = != < <= > >= [NOT] IN  [NOT] BETWEEN
//	KeywordList, Bool, status  = != [NOT] IN
//	Text                       = !=
//
// # Semantics
//
//   - Keyword comparisons are byte-wise and case-sensitive; STARTS_WITH is
//     a case-sensitive prefix test. BETWEEN includes both bounds.
//   - Text: `Attr = 'some words'` holds when every word of the value is a
//     word of the attribute. Words are maximal runs of Unicode letters and
//     digits, compared case-insensitively. (Temporal's backends disagree
//     here; this is the PostgreSQL/SQLite reading.)
//   - An attribute holding several values (a KeywordList, or a scalar
//     attribute given a list) satisfies a positive predicate (=, <, IN,
//     BETWEEN, STARTS_WITH, ...) when any one value does.
//   - Absent values: an attribute is absent when it is not set (a nil
//     timestamp, an empty Keyword field of the info, a missing, null or
//     empty search attribute). A positive predicate on an absent attribute
//     is false. The negated operators (!=, NOT IN, NOT BETWEEN,
//     NOT STARTS_WITH) are exactly NOT of their positive forms, so they
//     hold for absent attributes (as in Elasticsearch): logic is two-valued
//     and `NOT a = x` equals `a != x`. IS NULL holds exactly for absent
//     attributes. The Int counters and ExecutionStatus are present on every
//     record that has info.
//   - Empty query: matches every record.
//   - TemporalNamespaceDivision gets no implicit filter; callers that hide
//     divisions add their own.
//
// # ORDER BY
//
// Filter.Less orders by the ORDER BY terms (ASC by default), then by RunId
// ascending so the order is total. Absent values sort last in either
// direction; a multi-valued attribute sorts by its smallest value
// ascending and its largest descending. Text and KeywordList attributes
// cannot be ordered by. Without ORDER BY, OrderBy returns nil and the
// store's default (StartTime newest first, then RunId) applies.
//
// # Canonical form and errors
//
// Filter.String renders the canonical form (see there); Parse of it gives
// an equal Filter, which FuzzParse checks. Every Parse error is a
// *ParseError whose message names the problem and, where it has one, the
// 1-based character position, e.g.
//
//	invalid query: unknown search attribute "Foo" at position 1
//	invalid query: operator STARTS_WITH is not supported on Int attribute "CustomIntField" (supported: ...) at position 16
//
// Parse never panics and bounds nesting depth (parentheses and NOT) at 100.
package listfilter
