package exec

import (
	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/boolexp"
	"github.com/graftql/graft/internal/pgsql"
	"github.com/graftql/graft/internal/session"
)

var jsonType = boolexp.Type{SQL: "json", Encoding: boolexp.EncodeJSON}

// bind computes the statement's arguments: every one is text (or NULL),
// cast in SQL to its type, so pgx sends it in text format and the same
// prepared statement serves every request.
func bind(specs []pgsql.ParamSpec, sess *session.Session, vars map[string]any) ([]any, error) {
	args := make([]any, len(specs))
	for i, s := range specs {
		switch {
		case s.Session:
			args[i] = string(sess.JSON())
		case s.Const != nil:
			args[i] = *s.Const
		case s.Var != "":
			v, err := pgsql.Encode(vars[s.Var], s.Type)
			if err != nil {
				return nil, apierr.New(apierr.ValidationFailed, "variable %q: %s", s.Var, err.Error()).At("$.variableValues." + s.Var)
			}
			if v == nil {
				args[i] = nil
			} else {
				args[i] = *v
			}
		default:
			args[i] = nil
		}
	}
	return args, nil
}
