// Package subscription runs GraphQL subscriptions by polling PostgreSQL:
// live queries (any query sent as a subscription, re-sent when its result
// changes) and streaming subscriptions (<t>_stream, each row delivered once
// in cursor order), multiplexed as Hasura does it
// (hasura/graphql-engine: architecture/live-queries.md,
// server/src-lib/Hasura/GraphQL/Execute/Subscription/Poll/*.hs).
//
// # Pollers, cohorts, subscribers
//
//	Manager ── one poller per (role, schema, document, operation,
//	   │                         values of the plan's structural variables)
//	   ▼
//	poller ── one goroutine, one compiled [pgsql.Multiplexed] statement;
//	   │      every refetch interval it runs the statement once per batch of
//	   │      up to BatchSize cohorts (unnest of cohort ids, sessions and
//	   │      variable slots joined to the query)
//	   ▼
//	cohort ── subscribers with equal variable slots and equal values of the
//	   │      session variables the plan reads; one result row per poll,
//	   │      hashed: only a changed result is pushed (live queries); a
//	   │      stream cohort also owns its cursor
//	   ▼
//	subscriber ── a [Sink] (one websocket operation)
//
// A new subscriber does not wait for the next tick: the poller is woken
// and fetches the cohorts that have subscribers without a first result.
//
// Permissions are part of the compiled statement and the session values
// are bound on every poll. When the schema snapshot changes (metadata
// change), each poller plans its document again against the new snapshot
// before its next poll; a document the role may no longer run ends its
// subscriptions with the validation error.
//
// # Failures
//
// A statement that fails with a query error (bad session value, a function
// raising) is re-run cohort by cohort so that one bad cohort cannot stop
// the others; the failing cohorts end with the error. A statement that
// fails because the database is unreachable (a PostgreSQL restart) is
// retried every interval; after [Options.RetryTimeout] of failures the
// subscriptions end with an error instead of going silent
// (hasura/graphql-engine#5099).
package subscription
