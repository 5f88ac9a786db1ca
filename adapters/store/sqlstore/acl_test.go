package sqlstore

import (
	"reflect"
	"testing"

	"github.com/switchboardhq/switchboard/core"
)

func TestACLEncoding(t *testing.T) {
	for _, a := range []core.ACL{
		{},
		{"*": {Read: true}},
		{"*": {Read: true}, "u1": {Read: true, Write: true}, "role:admin": {Write: true}, "none": {}},
		{`we"ird\name`: {Read: true}, "ünï": {Write: true}, "tab\tkey": {Read: true}},
	} {
		s := encodeACL(a)
		got, err := decodeACL(s)
		if err != nil || !reflect.DeepEqual(got, a) {
			t.Errorf("encode %v = %s, decoded %v, %v", a, s, got, err)
		}
		viaJSON, err := decodeACLJSON([]byte(s))
		if err != nil || !reflect.DeepEqual(viaJSON, a) {
			t.Errorf("%s is not the JSON of %v: %v, %v", s, a, viaJSON, err)
		}
	}
	// PostgreSQL's jsonb text is parsed directly, to the same ACL.
	jsonb := `{"*": {"read": true}, "u1": {"read": true, "write": true}, "none": {}, "role:admin": {"write": true}}`
	if got, ok := parseACL(jsonb); !ok || !reflect.DeepEqual(got, core.ACL{"*": {Read: true}, "u1": {Read: true, Write: true}, "role:admin": {Write: true}, "none": {}}) {
		t.Errorf("jsonb text: %v, %v", got, ok)
	}
	// Hand-written JSON in another shape still decodes.
	got, err := decodeACL(`{ "u1" : {"write": true, "read": true} }`)
	if err != nil || !reflect.DeepEqual(got, core.ACL{"u1": {Read: true, Write: true}}) {
		t.Errorf("spaced JSON: %v, %v", got, err)
	}
}
