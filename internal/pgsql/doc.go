// Package pgsql compiles graft's plan IR into PostgreSQL: a small SQL AST
// ([Select], [Expr], [FromItem]), its printer ([Print]), and the
// translation of a plan.Root into one statement ([Compile]).
//
// # Shape
//
// Every database root field becomes a scalar subquery of one SELECT, so a
// whole query runs in one round trip and its single result row holds each
// field's JSON, built by PostgreSQL (json_build_object, json_agg). See
// Note [query shape] in compile.go and Note [connection shape] in relay.go.
//
// # Values
//
// The SQL text depends only on the plan: every value (a literal of the
// query, a variable, a session variable, a constant of a permission) is a
// parameter, bound as text and cast in SQL to its type ($2::int4), so
// one prepared statement serves every request of a document and role.
// [ParamSpec] says where each parameter's value comes from; [Encode]
// turns a JSON value into parameter text.
//
// # Quoting
//
// Only the printer quotes identifiers and literals ([QuoteIdent],
// [QuoteString]); the literals it prints are names graft generates (JSON
// keys from aliases, type names), never request values.
package pgsql
