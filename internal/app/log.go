package app

import (
	"io"
	"log/slog"
)

// NewLogger returns graft's logger: JSON lines on w, at level and above
// (HASURA_GRAPHQL_LOG_LEVEL).
func NewLogger(w io.Writer, level slog.Leveler) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}
