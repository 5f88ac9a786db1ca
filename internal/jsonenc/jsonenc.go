// Package jsonenc appends JSON scalars exactly as encoding/json's Marshal
// writes them (its default HTML escaping, U+2028/2029 escaped, invalid
// UTF-8 replaced, floats in its shortest forms), for code that writes JSON
// documents piece by piece (the stores' rows straight into a reply) and
// must match what the API writes for the same values through an encoder;
// and strings as log/slog's JSON handler writes them (the access line).
// Hand-written because encoding/json exposes no way to append one value
// without a reflection round trip and an allocation per call; the tests
// and fuzzers hold both functions to encoding/json.
package jsonenc

import (
	"math"
	"strconv"
	"unicode/utf8"

	gojson "github.com/goccy/go-json"
)

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string, as encoding/json writes it.
func AppendString(b []byte, s string) []byte { return appendString(b, s, true) }

// AppendLogString appends s as log/slog's JSONHandler writes a string: as
// AppendString, but with no HTML escaping, and \b and \f written as
// \u0008 and \u000c.
func AppendLogString(b []byte, s string) []byte { return appendString(b, s, false) }

func appendString(b []byte, s string, encodingJSON bool) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= ' ' && c != '"' && c != '\\' && (!encodingJSON || c != '<' && c != '>' && c != '&') {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\b' && encodingJSON:
				b = append(b, '\\', 'b')
			case c == '\f' && encodingJSON:
				b = append(b, '\\', 'f')
			default: // other control characters, and < > & for encoding/json
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// AppendFloat appends f as a JSON number: the shortest form that reads
// back the same, in exponent form only below 1e-6 or from 1e21, with a
// one-digit negative exponent not padded ("1e-7"). ok is false for NaN and
// the infinities, which JSON cannot hold (encoding/json fails on them).
func AppendFloat(b []byte, f float64) (_ []byte, ok bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, false
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, true
}

// Marshal is the encoder of everything the API replies: the same bytes as
// encoding/json's Marshal (sorted keys, the same escaping and number
// forms), from goccy/go-json, which writes them in about half the time
// with one allocation instead of one per value. Code that writes part of a
// reply itself encodes the values it does not write by hand with it, so
// that both agree.
func Marshal(v any) ([]byte, error) { return gojson.Marshal(v) }
