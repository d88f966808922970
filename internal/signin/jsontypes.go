package signin

import (
	"encoding/json"
	"time"
)

// jsonTime is an RFC 3339 date-time in a request.
type jsonTime struct{ time.Time }

// UnmarshalJSON is part of the json.Unmarshaler interface.
func (t *jsonTime) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return err
	}
	t.Time = v
	return nil
}

// jsonRawOrMissing keeps a field's raw JSON.
type jsonRawOrMissing struct{ raw json.RawMessage }

// UnmarshalJSON is part of the json.Unmarshaler interface.
func (j *jsonRawOrMissing) UnmarshalJSON(b []byte) error {
	j.raw = append(json.RawMessage(nil), b...)
	return nil
}
