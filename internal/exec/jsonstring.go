package exec

import "unicode/utf8"

// AppendJSONString appends s as a JSON string: response keys here, and
// the websocket protocol's operation ids. Invalid UTF-8 becomes U+FFFD, as
// encoding/json writes it.
func AppendJSONString(out []byte, s string) []byte {
	out = append(out, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				out = append(out, '\\', c)
			case c < 0x20:
				out = append(out, `\u00`...)
				out = append(out, hexDigits[c>>4], hexDigits[c&15])
			default:
				out = append(out, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			out = append(out, `\ufffd`...)
		} else {
			out = append(out, s[i:i+size]...)
		}
		i += size
	}
	return append(out, '"')
}

const hexDigits = "0123456789abcdef"
