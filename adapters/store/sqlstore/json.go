package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/internal/jsonenc"
	"github.com/tidwall/gjson"
)

var _ core.JSONFinder = (*Store)(nil)

// FindJSON writes the objects of a find as their Parse JSON straight from
// the rows (core.JSONFinder): the same bytes as encoding/json writes for
// core.EncodeObject of the objects Find returns, without making them.
func (s *Store) FindJSON(ctx context.Context, c *core.Class, q *core.Query, dst []byte) ([]byte, int, bool, error) {
	if q == nil {
		q = &core.Query{Limit: -1}
	}
	if q.Limit == 0 {
		return append(dst, "[]"...), 0, true, nil
	}
	done, err := s.admit(ctx, queryIsHeavy(q))
	if err != nil {
		return dst, 0, false, err
	}
	defer done()
	rows, p, cols, err := s.findRows(ctx, s.reading(ctx), c, q)
	if err != nil {
		return dst, 0, false, cutByDeadline(ctx, err)
	}
	out, n, ok, err := s.scanJSON(rows, p, cols, dst)
	return out, n, ok, cutByDeadline(ctx, err)
}

// jsonField is one key of an object's JSON, in the order encoding/json
// writes a map's keys (byte order of the names).
type jsonField struct {
	name  []byte // the key, quoted, and the colon
	col   int    // the row's column it comes from (0..3 the system ones)
	typ   core.Type
	fixed []byte // a value that is the same in every row (a relation), or nil
}

// jsonFields returns the keys of the JSON of p's objects read with cols:
// the system fields, every column but the internal ones ("_" first, which
// never leave the server) and the relations, which have no column.
func (p *plan) jsonFields(cols []column) []jsonField {
	if len(cols) == len(p.cols) && (len(cols) == 0 || &cols[0] == &p.cols[0]) {
		p.jsonOnce.Do(func() { p.json = makeJSONFields(p.class, cols) })
		return p.json
	}
	return makeJSONFields(p.class, cols)
}

func makeJSONFields(c *core.Class, cols []column) []jsonField {
	fields := []jsonField{
		{name: []byte(core.FieldObjectID), col: 0, typ: core.TypeString},
		{name: []byte(core.FieldCreatedAt), col: 1, typ: core.TypeDate},
		{name: []byte(core.FieldUpdatedAt), col: 2, typ: core.TypeDate},
		{name: []byte(core.FieldACL), col: 3, typ: core.TypeACL},
	}
	for i, col := range cols {
		if !strings.HasPrefix(col.name, "_") {
			fields = append(fields, jsonField{name: []byte(col.name), col: 4 + i, typ: col.typ})
		}
	}
	for name, f := range c.Fields {
		if f.Type == core.TypeRelation {
			fixed := append([]byte(`{"__type":"Relation","className":`), jsonenc.AppendString(nil, f.TargetClass)...)
			fields = append(fields, jsonField{name: []byte(name), col: -1, fixed: append(fixed, '}')})
		}
	}
	sort.Slice(fields, func(i, j int) bool { return bytes.Compare(fields[i].name, fields[j].name) < 0 })
	for i := range fields {
		fields[i].name = append(jsonenc.AppendString(nil, string(fields[i].name)), ':')
	}
	return fields
}

// scanJSON writes rows as a JSON array of objects (see FindJSON). A row
// that holds a File inside an Object or Array field stops it: ok false,
// dst as it was.
func (s *Store) scanJSON(rows *sql.Rows, p *plan, cols []column, dst []byte) (_ []byte, n int, ok bool, err error) {
	defer rows.Close()
	raw := make([]any, 4+len(cols))
	scan := make([]any, len(raw))
	for i := range raw {
		scan[i] = &raw[i]
	}
	fields := p.jsonFields(cols)
	start := len(dst)
	dst = append(dst, '[')
	var acls aclCache
	for rows.Next() {
		if err := rows.Scan(scan...); err != nil {
			return dst[:start], 0, false, wrap("reading "+p.name, err)
		}
		if n > 0 {
			dst = append(dst, ',')
		}
		dst, ok, err = appendObjectJSON(dst, raw, cols, fields, &acls)
		if err != nil {
			return dst[:start], 0, false, wrap("decoding "+p.name, err)
		}
		if !ok {
			return dst[:start], 0, false, nil
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return dst[:start], 0, false, wrap("reading "+p.name, err)
	}
	return append(dst, ']'), n, true, nil
}

// aclCache keeps the JSON of the last ACL written: the rows of a page
// mostly share one.
type aclCache struct {
	stored string
	json   []byte
}

// appendObjectJSON writes one row as the JSON of its object. ok is false
// when the row cannot be written here (see scanJSON).
func appendObjectJSON(dst []byte, raw []any, cols []column, fields []jsonField, acls *aclCache) (_ []byte, ok bool, err error) {
	dst = append(dst, '{')
	first := true
	for _, f := range fields {
		var v any
		if f.fixed == nil {
			if v = raw[f.col]; v == nil {
				continue // a field the object does not have
			}
		}
		mark := len(dst)
		if !first {
			dst = append(dst, ',')
		}
		dst = append(dst, f.name...)
		out := written
		switch {
		case f.fixed != nil:
			dst = append(dst, f.fixed...)
		case f.col == 3:
			dst, out, err = acls.append(dst, v)
		case f.col == 1 || f.col == 2:
			// createdAt and updatedAt leave as bare ISO strings (which
			// need no escaping).
			var tm time.Time
			if tm, err = storedTime(v); err == nil {
				dst = append(core.AppendTime(append(dst, '"'), tm), '"')
			}
		default:
			target := ""
			if f.col >= 4 {
				target = cols[f.col-4].target
			}
			dst, out, err = appendValueJSON(dst, f.typ, v, target)
		}
		switch {
		case err != nil:
			return dst, false, err
		case out == cannot:
			return dst, false, nil
		case out == skipped:
			dst = dst[:mark] // no key, as Find's object has none
			continue
		}
		first = false
	}
	return append(dst, '}'), true, nil
}

// outcome is what writing one value did.
type outcome int

const (
	written outcome = iota
	skipped         // the value leaves no key (it decodes to nothing)
	cannot          // only Find's path can write it (see scanJSON)
)

// append writes the JSON of a stored ACL, or skipped when it decodes to
// none (Find's object has no ACL key then).
func (c *aclCache) append(dst []byte, stored any) ([]byte, outcome, error) {
	s, ok := asString(stored)
	if !ok {
		return dst, cannot, fmt.Errorf("unexpected stored ACL %T", stored)
	}
	if c.json == nil || s != c.stored {
		a, err := decodeACL(s)
		if err != nil {
			return dst, cannot, err
		}
		if a == nil {
			return dst, skipped, nil
		}
		b, err := jsonenc.Marshal(core.EncodeACL(a))
		if err != nil {
			return dst, cannot, err
		}
		c.stored, c.json = strings.Clone(s), b
	}
	return append(dst, c.json...), written, nil
}

// appendValueJSON writes a stored value of a field of type t as
// core.EncodeValue and the API's encoder write it: the common scalars
// directly, the rest through the same functions Find and the API use.
func appendValueJSON(dst []byte, t core.Type, stored any, target string) ([]byte, outcome, error) {
	switch t {
	case core.TypeString:
		if s, ok := asString(stored); ok {
			return jsonenc.AppendString(dst, s), written, nil
		}
	case core.TypeNumber:
		f, isNumber := 0.0, true
		switch x := stored.(type) {
		case float64:
			f = x
		case int64:
			f = float64(x)
		default:
			isNumber = false
		}
		if isNumber {
			if out, ok := jsonenc.AppendFloat(dst, f); ok {
				return out, written, nil
			}
			return dst, cannot, nil // NaN and the infinities: Find's path answers them as it always has
		}
	case core.TypeBoolean:
		switch x := stored.(type) {
		case bool:
			return appendBool(dst, x), written, nil
		case int64:
			return appendBool(dst, x != 0), written, nil
		}
	case core.TypePointer:
		if id, ok := asString(stored); ok {
			dst = append(dst, `{"__type":"Pointer","className":`...)
			dst = jsonenc.AppendString(dst, target)
			dst = append(dst, `,"objectId":`...)
			return append(jsonenc.AppendString(dst, id), '}'), written, nil
		}
	case core.TypeObject, core.TypeArray:
		doc, ok := asString(stored)
		if !ok {
			break
		}
		// A File inside is written with a URL for the caller, which only
		// the core knows.
		if strings.Contains(doc, `"File"`) {
			return dst, cannot, nil
		}
		if gjson.Valid(doc) {
			if r := gjson.Parse(doc); r.Type != gjson.Null {
				if out, ok := appendCanonical(dst, r); ok {
					return out, written, nil
				}
			}
		}
	}
	// The other types (Date, GeoPoint, Polygon, Bytes, Object, Array, and
	// a stored value of an unexpected kind, which decodeValue reports) as
	// Find decodes them and the API encodes them.
	v, err := decodeValue(t, stored, target)
	if err != nil {
		return dst, cannot, err
	}
	if v == nil {
		return dst, skipped, nil
	}
	b, err := jsonenc.Marshal(core.EncodeValue(v))
	if err != nil {
		return dst, cannot, nil // Find's path answers it as it always has
	}
	return append(dst, b...), written, nil
}

// appendCanonical writes the JSON value r as encoding/json writes what
// decodeJSON makes of it (objects with their keys sorted, strings escaped
// and numbers written its way), without making it: no map or slice per
// object and array, no encoder. ok is false for what decodeJSON's own
// path must decide (a number too big for a float64, a key that appears
// twice), and dst is then garbage past its length on entry.
func appendCanonical(dst []byte, r gjson.Result) ([]byte, bool) {
	switch r.Type {
	case gjson.Null:
		return append(dst, "null"...), true
	case gjson.False:
		return append(dst, "false"...), true
	case gjson.True:
		return append(dst, "true"...), true
	case gjson.Number:
		return jsonenc.AppendFloat(dst, r.Num)
	case gjson.String:
		return jsonenc.AppendString(dst, r.Str), true
	}
	ok := true
	if r.IsArray() {
		dst = append(dst, '[')
		first := true
		r.ForEach(func(_, e gjson.Result) bool {
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst, ok = appendCanonical(dst, e)
			return ok
		})
		return append(dst, ']'), ok
	}
	type member struct {
		key string
		val gjson.Result
	}
	var members []member
	r.ForEach(func(k, e gjson.Result) bool {
		members = append(members, member{k.Str, e})
		return true
	})
	sort.Slice(members, func(i, j int) bool { return members[i].key < members[j].key })
	dst = append(dst, '{')
	for i, m := range members {
		if i > 0 {
			if m.key == members[i-1].key {
				return dst, false // decodeJSON keeps the last; let it
			}
			dst = append(dst, ',')
		}
		dst = jsonenc.AppendString(dst, m.key)
		dst = append(dst, ':')
		if dst, ok = appendCanonical(dst, m.val); !ok {
			return dst, false
		}
	}
	return append(dst, '}'), true
}

func appendBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, "true"...)
	}
	return append(dst, "false"...)
}
