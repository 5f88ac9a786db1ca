package sqlstore

import (
	"bytes"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/switchboardhq/switchboard/internal/jsonenc"
)

var canonicalDocs = []string{
	`[]`, `{}`, `["a"]`, `[1,2.5,-0,1e21,1e-7,12345678901234567890,3.0]`, `{"b":1,"a":2,"é":3,"A":4,"":5,"<":6}`,
	`{"nested":{"z":[{"y":null,"x":true}],"a":false},"s":"\u00e9\n\t\"\\\/<>&\u2028"}`, `{"a": 1, "b": [1, 2]}`,
	`[[],[{}],[[[]]]]`, `"top string"`, `1e400`, `{"dup":1,"dup":2}`, `{"k\u0041":1,"kA":2}`, `["\ud83d\ude00","\ufffd"]`,
	`  [ 1 , { "a" : "b" } ]  `, `{"x":-1.5e-10,"y":123456789.125,"z":5e-324}`,
}

// The store writes a JSON column as the API writes the value decodeJSON
// makes of it, or leaves it to that path.
func TestAppendCanonicalLikeDecodeAndEncode(t *testing.T) {
	for _, doc := range canonicalDocs {
		checkCanonical(t, doc)
	}
	// The common documents are written here, not handed back.
	for _, doc := range []string{`[]`, `{}`, `["a"]`, `{"a": 1, "b": [1, 2]}`, `{"nested":{"z":[{"y":null}]}}`} {
		if _, ok := appendCanonical(nil, gjson.Parse(doc)); !ok {
			t.Errorf("%s was handed back", doc)
		}
	}
}

func checkCanonical(t *testing.T, doc string) {
	t.Helper()
	if !gjson.Valid(doc) {
		return
	}
	got, ok := appendCanonical([]byte("x"), gjson.Parse(doc))
	v, err := decodeJSON([]byte(doc))
	if !ok {
		return // the decode-and-encode path writes these
	}
	if err != nil {
		t.Fatalf("%s: written as %s, but decodeJSON fails: %v", doc, got, err)
	}
	want, err := jsonenc.Marshal(v)
	if err != nil {
		t.Fatalf("%s: written as %s, but the encoder fails: %v", doc, got, err)
	}
	if !bytes.Equal(got[1:], want) || got[0] != 'x' {
		t.Errorf("%s:\n got %s\nwant %s", doc, got[1:], want)
	}
}

func FuzzAppendCanonical(f *testing.F) {
	for _, doc := range canonicalDocs {
		f.Add(doc)
	}
	f.Fuzz(checkCanonical)
}
