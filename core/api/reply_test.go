package api

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
	"time"
)

// TestReplyJSONLikeEncodingJSON: replies are written by goccy/go-json
// (marshalReply) and must be byte for byte what encoding/json writes, which
// clients and tests have always seen: sorted keys, HTML characters and
// U+2028/2029 escaped, invalid UTF-8 replaced, the same float forms.
func TestReplyJSONLikeEncodingJSON(t *testing.T) {
	values := []any{
		1e21, 1e20, 1e-7, 1e-6, 0.1, math.Copysign(0, -1), 123456789.125, 5e-324, math.MaxFloat64, float64(1 << 53), -1e-10, 3.0,
		"\u2028\u2029", "bad\xffutf8", "<script>&amp;", "\x00\x1f\"\\/\t\n", "é日本🙂", "",
		map[string]any{}, []any{}, nil, []any{nil, true, false}, []map[string]any{{"b": 1.0}, nil},
		map[string]any{"b": 1.0, "a": 2.0, "é": 3.0, "A": 4.0, "": 5.0, "<": 6.0},
		map[string]any{"results": []map[string]any{{"objectId": "abcdefghij", "createdAt": "2026-12-06T07:30:39.123Z",
			"ACL": map[string]any{"*": map[string]any{"read": true}}, "n": 1.5, "tags": []any{"a", map[string]any{"__type": "Pointer"}}}}, "count": int64(3)},
		json.Number("12"), json.RawMessage(`{"z":1, "a":2}`), int64(5), 3, []string{"x"}, map[string]string{"k": "v"},
		struct {
			A int `json:"a"`
			B string
		}{1, "x"},
		time.Date(2026, 12, 6, 7, 30, 39, 123000000, time.UTC),
	}
	for _, v := range values {
		want, werr := json.Marshal(v)
		status, got := marshalReply(200, v)
		if werr != nil || status != 200 || !bytes.Equal(got, want) {
			t.Errorf("%#v: marshalReply = %d %s, encoding/json = %s (%v)", v, status, got, want, werr)
		}
	}
	for _, bad := range []any{math.NaN(), math.Inf(1), map[string]any{"f": func() {}}} {
		if status, body := marshalReply(200, bad); status != 500 || !bytes.Contains(body, []byte(`"code":1`)) {
			t.Errorf("%#v: marshalReply = %d %s, want the internal error", bad, status, body)
		}
	}
}
