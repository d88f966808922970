// Package demo is the data set graft serves when it starts with no database
// configured: a small blog (author, article, tag, article_tag) in a private
// PostgreSQL, tracked with relationships and permissions for the roles
// "anonymous" and "user", so that a first query works at once.
//
// main runs [SQL] on the demo database, sends [Metadata] to /v1/metadata
// (or applies it in-process) and prints [SampleQuery].
package demo

import (
	_ "embed"
	"slices"
)

// SQL creates and fills the demo tables in schema public. It is idempotent:
// it does nothing when table public.author exists, so it runs at every
// start and never touches a user's changes. It is one statement.
//
//go:embed demo.sql
var SQL string

//go:embed metadata.json
var metadataJSON []byte

// Metadata returns a /v1/metadata request body, a "bulk" of Hasura metadata
// API calls on source "default": it tracks the four tables, creates the
// relationships article.author, author.articles, article.article_tags,
// article_tag.article, article_tag.tag and tag.article_tags, and grants
//
//   - anonymous: select on authors, tags, article tags, and published
//     articles (not is_published itself);
//   - user: select on everything with aggregations; insert of one author
//     (its user_id set to X-Hasura-User-Id, a UUID as the sign-in service
//     issues) and update of its name; insert, update and delete of the
//     articles, and of the article tags, of the author whose user_id is
//     X-Hasura-User-Id.
//
// Each call returns a fresh copy.
func Metadata() []byte { return slices.Clone(metadataJSON) }

// SampleQuery is a GraphQL query on the demo data set, printed at startup
// for the user to paste into the console or curl.
const SampleQuery = `query RecentArticles {
  article(
    where: {is_published: {_eq: true}}
    order_by: {published_on: desc}
    limit: 3
  ) {
    title
    published_on
    rating
    author {
      name
    }
    article_tags {
      tag {
        name
      }
    }
  }
}`
