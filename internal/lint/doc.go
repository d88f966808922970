// Package lint holds tests that enforce repository conventions: every
// package documents itself, and the graft binary links no test-only or
// unlisted packages (STYLE.md §10 and §12).
package lint
