// Package searchattribute knows Temporal's search attributes: the system
// attributes the server maintains, the predefined ones SDKs and system
// workflows set (TemporalChangeVersion, TemporalScheduledById, ...), how a
// namespace records its custom attributes, what a valid value of each
// type is, and the size limits on a run's attributes.
//
// Custom attributes live in the namespace record's
// NamespaceConfig.custom_search_attribute_aliases, Temporal's "field name ->
// alias" map: the key is a field name "<Type><NN>" (Keyword01, Int02,
// KeywordList01, ...) whose prefix is the attribute's type, the value is
// the name users write. FromAliases turns it into Types, so any service
// holding a namespace.Entry knows the namespace's attributes without
// another call.
//
// Values are JSON payloads ("json/plain") of a scalar or a list of
// scalars, as the SDKs write them; "binary/null" (or JSON null) unsets an
// attribute. A payload may carry "type" metadata; when present it must
// name the attribute's type. Responses carry "type" metadata on every
// attribute whose type is known (WithTypes), which the SDKs need to decode
// typed search attributes.
//
// The package is a pure leaf: no I/O, no clock, no dependency on services
// or persistence. Its errors are plain errors with Temporal-style messages
// naming the attribute; callers turn them into InvalidArgument (API
// requests) or a workflow task failed with BAD_SEARCH_ATTRIBUTES
// (commands).
package searchattribute
