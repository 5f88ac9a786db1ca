package sqlstore

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/switchboardhq/switchboard/core"
)

// The ACL of an object is kept three ways, each for one job:
//   - "_acl": the full ACL as Parse JSON ({"*":{"read":true},...}), NULL
//     for none, to give it back;
//   - "_rpub" and the "_Readers:C" side table: who may read, so that a
//     ReadACL filter runs in SQL from an index (see readFilter);
//   - "_wperm": the writers as a JSON array, NULL when the public may
//     write, checked on the one row an Update or Delete touches.

// aclColumns returns the "_acl", "_rpub" and "_wperm" arguments and the
// readers of an ACL value (nil or core.ACL).
func aclColumns(v any) (acl any, rpub bool, wperm any, readers []string, err error) {
	var a core.ACL
	switch x := v.(type) {
	case nil:
	case core.ACL:
		a = x
	case map[string]core.Permission:
		a = core.ACL(x)
	default:
		return nil, false, nil, nil, core.Errorf(core.CodeInvalidACL, "ACL has type %T, expected core.ACL", v)
	}
	if a == nil {
		return nil, true, nil, []string{core.PublicPrincipal}, nil
	}
	readers = a.Readers()
	writers := a.Writers()
	for _, r := range readers {
		if r == core.PublicPrincipal {
			rpub = true
		}
	}
	wperm = nil
	public := false
	for _, w := range writers {
		if w == core.PublicPrincipal {
			public = true
		}
	}
	if !public {
		wperm, err = marshalJSON(writers)
		if err != nil {
			return nil, false, nil, nil, err
		}
	}
	return encodeACL(a), rpub, wperm, readers, nil
}

// encodeACL writes an ACL in Parse's JSON shape without reflection.
func encodeACL(a core.ACL) string {
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b := make([]byte, 0, 32*len(a)+2)
	b = append(b, '{')
	for i, k := range keys {
		p := a[k]
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':', '{')
		switch {
		case p.Read && p.Write:
			b = append(b, `"read":true,"write":true`...)
		case p.Read:
			b = append(b, `"read":true`...)
		case p.Write:
			b = append(b, `"write":true`...)
		}
		b = append(b, '}')
	}
	b = append(b, '}')
	return string(b)
}

// appendJSONString appends s as a JSON string: as-is between quotes when
// it needs no escaping (principals are ids and role names), else through
// encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			js, _ := json.Marshal(s)
			return append(b, js...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// aclEntries are the permission objects encodeACL writes, and the same
// as PostgreSQL's jsonb gives them back (a space after ':' and ',').
var aclEntries = []struct {
	text string
	perm core.Permission
}{
	{`{"read":true,"write":true}`, core.Permission{Read: true, Write: true}},
	{`{"read":true}`, core.Permission{Read: true}},
	{`{"write":true}`, core.Permission{Write: true}},
	{`{}`, core.Permission{}},
	{`{"read": true, "write": true}`, core.Permission{Read: true, Write: true}},
	{`{"read": true}`, core.Permission{Read: true}},
	{`{"write": true}`, core.Permission{Write: true}},
}

// decodeACL reads a stored ACL. What encodeACL wrote is parsed directly,
// since every returned object carries one, also in jsonb's spacing;
// anything else goes through encoding/json.
func decodeACL(raw any) (core.ACL, error) {
	if raw == nil {
		return nil, nil
	}
	s, ok := asString(raw)
	if !ok {
		return nil, fmt.Errorf("unexpected stored ACL %T", raw)
	}
	if a, ok := parseACL(s); ok {
		return a, nil
	}
	return decodeACLJSON([]byte(s))
}

func parseACL(s string) (core.ACL, bool) {
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, false
	}
	a := core.ACL{}
	s = s[1 : len(s)-1]
	for s != "" {
		if s[0] != '"' {
			return nil, false
		}
		end := strings.IndexByte(s[1:], '"')
		if end < 0 {
			return nil, false
		}
		key := s[1 : 1+end]
		if strings.IndexByte(key, '\\') >= 0 || len(s) < end+3 || s[end+2] != ':' {
			return nil, false
		}
		s = strings.TrimPrefix(s[end+3:], " ")
		matched := false
		for _, e := range aclEntries {
			if strings.HasPrefix(s, e.text) {
				a[key] = e.perm
				s = s[len(e.text):]
				matched = true
				break
			}
		}
		if !matched {
			return nil, false
		}
		if s != "" {
			if s[0] != ',' {
				return nil, false
			}
			s = strings.TrimPrefix(s[1:], " ")
		}
	}
	return a, true
}

func decodeACLJSON(s []byte) (core.ACL, error) {
	var m map[string]struct {
		Read  bool `json:"read"`
		Write bool `json:"write"`
	}
	if err := json.Unmarshal(s, &m); err != nil {
		return nil, fmt.Errorf("decoding ACL: %w", err)
	}
	a := make(core.ACL, len(m))
	for k, p := range m {
		a[k] = core.Permission{Read: p.Read, Write: p.Write}
	}
	return a, nil
}
