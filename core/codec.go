package core

import (
	"encoding/base64"
	"fmt"
	"math"
	"strings"
	"time"
)

// The wire codec: Parse's JSON encoding of values (with "__type" maps for
// dates, pointers, geo points, ...) to and from the Go values in values.go.

// DecodeValue converts one JSON value from a client into its Parse type and
// Go value. nil stands for null. Update operators ("__op") are not values and
// are rejected here; see decodeOp.
func DecodeValue(v any) (Type, any, *Error) {
	switch x := v.(type) {
	case nil:
		return "", nil, nil
	case string:
		return TypeString, x, nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "", nil, Errorf(CodeInvalidJSON, "numbers must be finite")
		}
		return TypeNumber, x, nil
	case bool:
		return TypeBoolean, x, nil
	case []any:
		if err := checkNestedJSON(x, 0); err != nil {
			return "", nil, err
		}
		return TypeArray, x, nil
	case map[string]any:
		if t, ok := x["__type"].(string); ok {
			return decodeTyped(t, x)
		}
		if _, ok := x["__op"]; ok {
			return "", nil, Errorf(CodeInvalidJSON, "an update operator is not allowed here")
		}
		if err := checkNestedJSON(x, 0); err != nil {
			return "", nil, err
		}
		return TypeObject, x, nil
	}
	return "", nil, Errorf(CodeInvalidJSON, "unsupported JSON value %T", v)
}

// maxNesting bounds how deep Object and Array values may nest, so a hostile
// body cannot make encoding or storage recurse without end.
const maxNesting = 32

func checkNestedJSON(v any, depth int) *Error {
	if depth > maxNesting {
		return Errorf(CodeInvalidNestedKey, "value nests deeper than %d levels", maxNesting)
	}
	switch x := v.(type) {
	case map[string]any:
		if _, typed := x["__type"]; typed && depth > 0 {
			return nil
		}
		for k, e := range x {
			if strings.ContainsAny(k, "$.") && k != "__type" {
				return Errorf(CodeInvalidNestedKey, "Nested keys should not contain the '$' or '.' characters")
			}
			if err := checkNestedJSON(e, depth+1); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range x {
			if err := checkNestedJSON(e, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

func decodeTyped(t string, m map[string]any) (Type, any, *Error) {
	switch t {
	case "Date":
		iso, ok := m["iso"].(string)
		if !ok {
			return "", nil, Errorf(CodeIncorrectType, "a Date needs an \"iso\" string")
		}
		tm, err := ParseTime(iso)
		if err != nil {
			return "", nil, AsError(err)
		}
		return TypeDate, tm, nil
	case "Pointer":
		p, err := decodePointer(m)
		if err != nil {
			return "", nil, err
		}
		return TypePointer, p, nil
	case "Relation":
		cls, _ := m["className"].(string)
		if !ValidClassName(cls) {
			return "", nil, Errorf(CodeIncorrectType, "a Relation needs a valid \"className\"")
		}
		return TypeRelation, cls, nil
	case "GeoPoint":
		g, err := decodeGeoPoint(m)
		if err != nil {
			return "", nil, err
		}
		return TypeGeoPoint, g, nil
	case "Polygon":
		p, err := decodePolygon(m["coordinates"])
		if err != nil {
			return "", nil, err
		}
		return TypePolygon, p, nil
	case "Bytes":
		s, ok := m["base64"].(string)
		if !ok {
			return "", nil, Errorf(CodeIncorrectType, "Bytes need a \"base64\" string")
		}
		if _, err := base64.StdEncoding.DecodeString(s); err != nil {
			return "", nil, Errorf(CodeIncorrectType, "Bytes \"base64\" is not valid base64")
		}
		return TypeBytes, Bytes{Base64: s}, nil
	case "File":
		name, ok := m["name"].(string)
		if !ok || name == "" {
			return "", nil, Errorf(CodeIncorrectType, "a File needs a \"name\"")
		}
		url, _ := m["url"].(string)
		return TypeFile, File{Name: name, URL: url}, nil
	}
	return "", nil, Errorf(CodeIncorrectType, "unknown __type %q", t)
}

func decodePointer(m map[string]any) (Pointer, *Error) {
	cls, _ := m["className"].(string)
	id, _ := m["objectId"].(string)
	if !ValidClassName(cls) || id == "" {
		return Pointer{}, Errorf(CodeInvalidPointer, "a Pointer needs a valid \"className\" and \"objectId\"")
	}
	return Pointer{ClassName: cls, ObjectID: id}, nil
}

func decodeGeoPoint(m map[string]any) (GeoPoint, *Error) {
	lat, ok1 := m["latitude"].(float64)
	lng, ok2 := m["longitude"].(float64)
	if !ok1 || !ok2 {
		return GeoPoint{}, Errorf(CodeIncorrectType, "a GeoPoint needs numeric \"latitude\" and \"longitude\"")
	}
	if lat < -90 || lat > 90 || lng < -180 || lng > 180 {
		return GeoPoint{}, Errorf(CodeInvalidJSON, "GeoPoint out of range: latitude must be in [-90, 90] and longitude in [-180, 180]")
	}
	return GeoPoint{Latitude: lat, Longitude: lng}, nil
}

// MaxPolygonPointsCeiling is the most points a Polygon may have whatever
// the configuration (queryLimits.maxPolygonPoints, default 10000, sets the
// limit below it): the decoder refuses larger ones before reading them.
const MaxPolygonPointsCeiling = 100000

// decodePolygon accepts the coordinate list of a Polygon or of a $polygon
// query: [[lat, lng], ...] or a list of GeoPoint maps. A closed ring (last
// point equal to the first) is kept open, as Parse Server returns it, so
// that both spellings of a polygon are the same value; it needs 3 distinct
// points.
func decodePolygon(v any) (Polygon, *Error) {
	list, ok := v.([]any)
	if !ok || len(list) < 3 {
		return nil, Errorf(CodeIncorrectType, "a Polygon needs at least 3 coordinates")
	}
	if len(list) > MaxPolygonPointsCeiling+1 {
		return nil, Errorf(CodeObjectTooLarge, "a Polygon may have at most %d points, this one has %d", MaxPolygonPointsCeiling, len(list))
	}
	poly := make(Polygon, 0, len(list))
	for _, e := range list {
		var g GeoPoint
		switch p := e.(type) {
		case []any:
			if len(p) != 2 {
				return nil, Errorf(CodeIncorrectType, "a Polygon coordinate is [latitude, longitude]")
			}
			lat, ok1 := p[0].(float64)
			lng, ok2 := p[1].(float64)
			if !ok1 || !ok2 {
				return nil, Errorf(CodeIncorrectType, "a Polygon coordinate is [latitude, longitude]")
			}
			var err *Error
			if g, err = decodeGeoPoint(map[string]any{"latitude": lat, "longitude": lng}); err != nil {
				return nil, err
			}
		case map[string]any:
			var err *Error
			if g, err = decodeGeoPoint(p); err != nil {
				return nil, err
			}
		default:
			return nil, Errorf(CodeIncorrectType, "a Polygon coordinate is [latitude, longitude]")
		}
		poly = append(poly, [2]float64{g.Latitude, g.Longitude})
	}
	if len(poly) > 3 && poly[0] == poly[len(poly)-1] {
		poly = poly[:len(poly)-1]
	}
	if len(poly) > MaxPolygonPointsCeiling {
		return nil, Errorf(CodeObjectTooLarge, "a Polygon may have at most %d points, this one has %d", MaxPolygonPointsCeiling, len(poly))
	}
	if !threeDistinct(poly) {
		return nil, Errorf(CodeIncorrectType, "a Polygon needs at least 3 different points")
	}
	return poly, nil
}

func threeDistinct(poly Polygon) bool {
	for _, p := range poly[1:] {
		if p == poly[0] {
			continue
		}
		for _, q := range poly[2:] {
			if q != poly[0] && q != p {
				return true
			}
		}
		return false
	}
	return false
}

// DecodeACL validates and converts an ACL in Parse's JSON form.
func DecodeACL(v any) (ACL, *Error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, Errorf(CodeInvalidACL, "invalid ACL: expected an object")
	}
	acl := make(ACL, len(m))
	for principal, pv := range m {
		if principal == "" || (strings.HasPrefix(principal, "role:") && len(principal) == 5) {
			return nil, Errorf(CodeInvalidACL, "invalid ACL: empty principal")
		}
		perms, ok := pv.(map[string]any)
		if !ok {
			return nil, Errorf(CodeInvalidACL, "invalid ACL entry for %q: expected {\"read\": bool, \"write\": bool}", principal)
		}
		var p Permission
		for k, b := range perms {
			val, ok := b.(bool)
			if !ok || (k != "read" && k != "write") {
				return nil, Errorf(CodeInvalidACL, "invalid ACL entry for %q: only boolean \"read\" and \"write\" are allowed", principal)
			}
			if k == "read" {
				p.Read = val
			} else {
				p.Write = val
			}
		}
		if p.Read || p.Write {
			acl[principal] = p
		}
	}
	return acl, nil
}

// EncodeACL renders an ACL in Parse's JSON form.
func EncodeACL(a ACL) map[string]any {
	out := make(map[string]any, len(a))
	for k, p := range a {
		e := make(map[string]any, 2)
		if p.Read {
			e["read"] = true
		}
		if p.Write {
			e["write"] = true
		}
		out[k] = e
	}
	return out
}

// EncodeValue renders a Go value in Parse's JSON form.
func EncodeValue(v any) any {
	switch x := v.(type) {
	case time.Time:
		return map[string]any{"__type": "Date", "iso": FormatTime(x)}
	case Pointer:
		return map[string]any{"__type": "Pointer", "className": x.ClassName, "objectId": x.ObjectID}
	case GeoPoint:
		return map[string]any{"__type": "GeoPoint", "latitude": x.Latitude, "longitude": x.Longitude}
	case Polygon:
		coords := make([]any, len(x))
		for i, p := range x {
			coords[i] = []any{p[0], p[1]}
		}
		return map[string]any{"__type": "Polygon", "coordinates": coords}
	case Bytes:
		return map[string]any{"__type": "Bytes", "base64": x.Base64}
	case File:
		return map[string]any{"__type": "File", "name": x.Name, "url": x.URL}
	case ACL:
		return EncodeACL(x)
	case int:
		return float64(x)
	case int64:
		return float64(x)
	}
	return v
}

// EncodeObject renders a stored object in Parse's JSON form. Relation fields
// of the class appear as {"__type":"Relation","className":...} the way Parse
// Server shows them.
func EncodeObject(class *Class, obj Object) map[string]any {
	out := make(map[string]any, len(obj)+2)
	for k, v := range obj {
		if e, keep := encodeField(k, v); keep {
			out[k] = e
		}
	}
	addRelations(class, out)
	return out
}

// encodeOwned is EncodeObject for an object no one else holds (the
// store's answer to this read, see Store.Find): it converts the values in
// obj itself and returns it, instead of copying them into a new map, which
// saves a map per object of every read.
func encodeOwned(class *Class, obj Object) map[string]any {
	for k, v := range obj {
		if e, keep := encodeField(k, v); keep {
			obj[k] = e
		} else {
			delete(obj, k)
		}
	}
	addRelations(class, obj)
	return obj
}

// encodeField is the Parse JSON of field k with value v, or keep false for
// fields that do not leave the server (internal ones, and nil values).
func encodeField(k string, v any) (e any, keep bool) {
	switch k {
	case FieldCreatedAt, FieldUpdatedAt:
		if t, ok := v.(time.Time); ok {
			return FormatTime(t), true
		}
	case FieldACL:
		if a, ok := v.(ACL); ok {
			if a == nil {
				return nil, false
			}
			return EncodeACL(a), true
		}
	}
	if v == nil || k[0] == '_' {
		return nil, false // internal fields never leave the server
	}
	return EncodeValue(v), true
}

func addRelations(class *Class, out map[string]any) {
	if class == nil {
		return
	}
	for name, f := range class.Fields {
		if f.Type == TypeRelation {
			out[name] = map[string]any{"__type": "Relation", "className": f.TargetClass}
		}
	}
}

// typeName renders a field type for error messages, with the target class of
// pointers and relations.
func typeName(t Type, target string) string {
	if target != "" {
		return fmt.Sprintf("%s<%s>", t, target)
	}
	return string(t)
}
