package sqlstore

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
)

// decodeJSON (gjson) must give what encoding/json gives for every JSON a
// column can hold, as SQLite stores it and as PostgreSQL's jsonb prints it
// (spaces after separators, numbers written out in full), and refuse what
// encoding/json refuses.
func TestDecodeJSONLikeEncodingJSON(t *testing.T) {
	docs := []string{
		`["a"]`, `[]`, `{}`, `null`, `true`, `"x"`, `0`, `-0`, `-0.0`, `1e-7`, `0.1`, `123456789012345678901234567890`,
		`{"k":[1,2,{"z":"\u00e9\ud83d\ude42"}],"n":null,"t":true,"f":1.5e300,"neg":-0.5e-3}`,
		`{"k": [1, 2, {"z": "é🙂"}], "n": null, "t": true}`,
		`[{"__type":"Pointer","className":"A","objectId":"x"}]`,
		`{"a":"\u2028<>&","b":"\\\"/\t\n\u0000\b\f\r","c":"\ud800"}`,
		`{"a":{"b":{"c":[[[]]]}}}`, `{"a":1,"a":2}`, ` [ 1 , 2 ] `,
		`15000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000`,
	}
	for _, d := range docs {
		var want any
		if err := json.Unmarshal([]byte(d), &want); err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		got, err := decodeJSON([]byte(d))
		if err != nil || !reflect.DeepEqual(got, want) || !sameSigns(got, want) {
			t.Errorf("%s: decodeJSON = %#v, %v; encoding/json: %#v", d, got, err, want)
		}
	}
	for _, bad := range []string{``, `[`, `{"a":}`, `[1,]`, `nul`, `"\x"`, `[1 2]`, `{"a":1}x`, `1e400`} {
		if v, err := decodeJSON([]byte(bad)); err == nil {
			t.Errorf("%q: decodeJSON = %#v, want an error", bad, v)
		}
	}
}

// sameSigns reports whether the numbers of a and b (of the same shape)
// have the same signs, which DeepEqual does not check for zeros.
func sameSigns(a, b any) bool {
	switch x := a.(type) {
	case float64:
		return math.Signbit(x) == math.Signbit(b.(float64))
	case []any:
		for i := range x {
			if !sameSigns(x[i], b.([]any)[i]) {
				return false
			}
		}
	case map[string]any:
		for k := range x {
			if !sameSigns(x[k], b.(map[string]any)[k]) {
				return false
			}
		}
	}
	return true
}

func BenchmarkDecodeJSON(b *testing.B) {
	for _, d := range []string{`["a"]`, `{"k": [1, 2, {"z": "é"}], "n": null, "t": true, "s": "text"}`} {
		b.Run("gjson/"+d[:3], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = decodeJSON([]byte(d))
			}
		})
		b.Run("encoding-json/"+d[:3], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var v any
				_ = json.Unmarshal([]byte(d), &v)
			}
		})
	}
}
