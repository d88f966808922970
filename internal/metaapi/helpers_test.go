package metaapi_test

import (
	"encoding/json"
	"errors"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/catalog"
)

// internalOf renders an error's code, path and internal detail for test
// failure messages.
func internalOf(err error) string {
	var ae *apierr.Error
	if !errors.As(err, &ae) {
		return ""
	}
	s := " [" + string(ae.Code) + " at " + ae.Path + "]"
	if ae.Internal != nil {
		b, _ := json.Marshal(ae.Internal)
		if len(b) > 2000 {
			b = append(b[:2000], "..."...)
		}
		s += " internal: " + string(b)
	}
	return s
}

func tableName(name string) catalog.QualifiedName {
	return catalog.QualifiedName{Schema: "public", Name: name}
}
