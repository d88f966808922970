// Package metadir reads and writes a Hasura CLI project: the config v3
// metadata directory (YAML files joined by !include tags, plus
// actions.graphql) and the migrations directory
// (migrations/<database>/<version>_<name>/up.sql), so that an existing Hasura
// v2 or Nhost project moves to graft unchanged.
//
// # Metadata
//
// [Read] turns a metadata directory into the document the Hasura CLI sends
// with replace_metadata ([ReadJSON]) and decodes it into the
// [metadata.Metadata] model; [Write] lays a model out as `hasura metadata
// export` does: the same files, key order, quoting and !include lines, so
// that reading and writing a CLI-exported directory leaves it byte for byte
// the same (see Note [export layout]).
//
//	metadata/version.yaml           version: 3
//	metadata/databases/databases.yaml
//	    tables: "!include default/tables/tables.yaml"
//	metadata/databases/default/tables/tables.yaml
//	    - "!include public_author.yaml"
//	metadata/databases/default/tables/public_author.yaml
//	metadata/actions.graphql + actions.yaml, remote_schemas.yaml, ...
//
// # Migrations
//
// [Migrations] lists the versions under migrations/<database>/.
// [ApplyMigrations] runs the pending up.sql files in version order, each as
// one run_sql (one transaction), and records each applied version where the
// Hasura CLI (config v3) keeps it: in the catalog state,
// cli_state.migrations.<database>.<version> = false, written with
// set_catalog_state. A later `hasura migrate status` against graft sees them
// as applied, and graft sees what the Hasura CLI applied.
//
// Both run against a [Client]: the admin APIs of a running graft over HTTP
// ([HTTPClient], for the graft metadata and graft migrate commands) or the
// metadata service in-process ([Funcs], at server start).
package metadir
