package sqlstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/switchboardhq/switchboard/core"
)

// How values are stored, one column per field:
//
//	String, Bytes (base64)   text
//	Number                   double
//	Boolean                  boolean (SQLite: integer 0/1)
//	Date, createdAt/updatedAt integer milliseconds since the Unix epoch, UTC:
//	                         sortable, compact and exact to the millisecond
//	Object, Array            JSON text (PostgreSQL: JSONB)
//	Pointer                  the target objectId (the class is in the schema)
//	GeoPoint                 JSON [latitude, longitude]
//	Polygon                  JSON [[latitude, longitude], ...]
//	File                     JSON {"name": ..., "url": ...}
//	Relation                 no column: a join table per field
//	ACL                      see acl.go

// encodeValue converts a core value of field type t to a bind argument.
func encodeValue(t core.Type, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch t {
	case core.TypeString:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case core.TypeNumber:
		if f, ok := toFloat(v); ok {
			return f, nil
		}
	case core.TypeBoolean:
		if x, ok := v.(bool); ok {
			return x, nil
		}
	case core.TypeDate:
		if x, ok := v.(time.Time); ok {
			return x.UnixMilli(), nil
		}
	case core.TypePointer:
		switch x := v.(type) {
		case core.Pointer:
			return x.ObjectID, nil
		case *core.Pointer:
			return x.ObjectID, nil
		case string:
			return x, nil
		}
	case core.TypeObject, core.TypeArray:
		return marshalJSON(v)
	case core.TypeGeoPoint:
		if x, ok := v.(core.GeoPoint); ok {
			return encodeGeoPoint(x), nil
		}
	case core.TypePolygon:
		if x, ok := v.(core.Polygon); ok {
			return marshalJSON([][2]float64(x))
		}
	case core.TypeBytes:
		if x, ok := v.(core.Bytes); ok {
			return x.Base64, nil
		}
	case core.TypeFile:
		if x, ok := v.(core.File); ok {
			return marshalJSON(fileJSON{Name: x.Name, URL: x.URL})
		}
	}
	return nil, core.Errorf(core.CodeIncorrectType, "value of type %T cannot be stored in a %s field", v, t)
}

type fileJSON struct {
	Name string `json:"name"`
	URL  string `json:"url,omitempty"`
}

func encodeGeoPoint(p core.GeoPoint) string {
	var buf [64]byte
	b := append(buf[:0], '[')
	b = strconv.AppendFloat(b, p.Latitude, 'g', -1, 64)
	b = append(b, ',')
	b = strconv.AppendFloat(b, p.Longitude, 'g', -1, 64)
	b = append(b, ']')
	return string(b)
}

// ParseGeoPoint reads a GeoPoint column ("[lat,lng]"); dialects that do geo
// math in Go use it.
func ParseGeoPoint(s string) (core.GeoPoint, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 5 || s[0] != '[' || s[len(s)-1] != ']' {
		return core.GeoPoint{}, false
	}
	lat, lng, ok := strings.Cut(s[1:len(s)-1], ",")
	if !ok {
		return core.GeoPoint{}, false
	}
	la, err1 := strconv.ParseFloat(strings.TrimSpace(lat), 64)
	ln, err2 := strconv.ParseFloat(strings.TrimSpace(lng), 64)
	return core.GeoPoint{Latitude: la, Longitude: ln}, err1 == nil && err2 == nil
}

// decodeJSON reads a JSON column into the values encoding/json gives
// (map[string]any, []any, float64, string, bool, nil). gjson does it about
// three times faster for the small arrays and objects that fields hold:
// encoding/json's Unmarshal was a tenth of the CPU of a 20-row page whose
// objects have one short array. gjson does not check its input, so the
// column is validated first; a bad one, or one with a number out of
// float64's range, goes to encoding/json, which says what is wrong.
func decodeJSON(s []byte) (any, error) {
	if gjson.ValidBytes(s) {
		if v, ok := jsonValue(gjson.ParseBytes(s)); ok {
			return v, nil
		}
	}
	var v any
	err := json.Unmarshal(s, &v)
	if err == nil {
		err = errors.New("invalid JSON")
	}
	return nil, err
}

// jsonValue converts a parsed JSON value as encoding/json would (a key
// given twice keeps its last value); ok is false for a number that does
// not fit a float64.
func jsonValue(r gjson.Result) (v any, ok bool) {
	switch r.Type {
	case gjson.Null:
		return nil, true
	case gjson.False:
		return false, true
	case gjson.True:
		return true, true
	case gjson.Number:
		return r.Num, !math.IsInf(r.Num, 0)
	case gjson.String:
		return r.Str, true
	}
	ok = true
	if r.IsArray() {
		out := []any{}
		r.ForEach(func(_, e gjson.Result) bool {
			var x any
			x, ok = jsonValue(e)
			out = append(out, x)
			return ok
		})
		return out, ok
	}
	out := map[string]any{}
	r.ForEach(func(k, e gjson.Result) bool {
		var x any
		x, ok = jsonValue(e)
		out[k.Str] = x
		return ok
	})
	return out, ok
}

func marshalJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", core.Errorf(core.CodeInvalidJSON, "value cannot be encoded as JSON: %v", err)
	}
	return string(b), nil
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

// decodeValue converts a scanned column of field type t back to a core
// value. raw is what database/sql scanned into an any: nil, int64,
// float64, bool, string, []byte or time.Time.
func decodeValue(t core.Type, raw any, target string) (any, error) {
	if raw == nil {
		return nil, nil
	}
	switch t {
	case core.TypeString, core.TypeBytes, core.TypePointer:
		s, ok := asString(raw)
		if !ok {
			break
		}
		switch t {
		case core.TypeBytes:
			return core.Bytes{Base64: s}, nil
		case core.TypePointer:
			return core.Pointer{ClassName: target, ObjectID: s}, nil
		}
		return s, nil
	case core.TypeNumber:
		switch x := raw.(type) {
		case float64:
			return x, nil
		case int64:
			return float64(x), nil
		}
	case core.TypeBoolean:
		switch x := raw.(type) {
		case bool:
			return x, nil
		case int64:
			return x != 0, nil
		}
	case core.TypeDate:
		t, err := storedTime(raw)
		if err != nil {
			return nil, err
		}
		return t, nil
	case core.TypeObject, core.TypeArray:
		s, ok := asBytes(raw)
		if !ok {
			break
		}
		v, err := decodeJSON(s)
		if err != nil {
			return nil, fmt.Errorf("decoding %s column: %w", t, err)
		}
		return v, nil
	case core.TypeGeoPoint:
		if s, ok := asString(raw); ok {
			if p, ok := ParseGeoPoint(s); ok {
				return p, nil
			}
		}
	case core.TypePolygon:
		if s, ok := asBytes(raw); ok {
			var p [][2]float64
			if err := json.Unmarshal(s, &p); err != nil {
				return nil, fmt.Errorf("decoding Polygon column: %w", err)
			}
			return core.Polygon(p), nil
		}
	case core.TypeFile:
		if s, ok := asBytes(raw); ok {
			var f fileJSON
			if err := json.Unmarshal(s, &f); err != nil {
				return nil, fmt.Errorf("decoding File column: %w", err)
			}
			return core.File{Name: f.Name, URL: f.URL}, nil
		}
	}
	return nil, fmt.Errorf("unexpected stored value %T for a %s field", raw, t)
}

// storedTime reads a Date column: decodeValue's Date, without boxing the
// time (the store's JSON writes createdAt and updatedAt with it).
func storedTime(stored any) (time.Time, error) {
	switch x := stored.(type) {
	case int64:
		return time.UnixMilli(x).UTC(), nil
	case float64:
		return time.UnixMilli(int64(math.Round(x))).UTC(), nil
	case time.Time:
		return x.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("unexpected stored value %T for a Date field", stored)
}

func asString(raw any) (string, bool) {
	switch x := raw.(type) {
	case string:
		return x, true
	case []byte:
		return string(x), true
	}
	return "", false
}

func asBytes(raw any) ([]byte, bool) {
	switch x := raw.(type) {
	case string:
		return []byte(x), true
	case []byte:
		return x, true
	}
	return nil, false
}

// jsonArg converts a JSON value used in a query (an element of an array,
// or a value under an Object path) to a bind argument: scalars stay
// scalars, maps and slices become JSON text.
func jsonArg(v any) any {
	switch x := v.(type) {
	case nil, string, float64, bool:
		return x
	case time.Time:
		return core.FormatTime(x)
	case core.Pointer:
		return x.ObjectID
	case map[string]any, []any:
		s, err := json.Marshal(x)
		if err != nil {
			return nil
		}
		return string(s)
	}
	if f, ok := toFloat(v); ok {
		return f
	}
	s, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return string(s)
}

// JSONText returns v as JSON text ("null" if it cannot be encoded), for
// dialects that bind JSON values.
func JSONText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "null"
	}
	return string(b)
}

// asInt64 reads an integer column scanned into an any: drivers give int64,
// and some give the other integer widths.
func asInt64(raw any) (int64, error) {
	switch x := raw.(type) {
	case int64:
		return x, nil
	case int32:
		return int64(x), nil
	case int:
		return int64(x), nil
	}
	return 0, fmt.Errorf("unexpected stored value %T for an integer column", raw)
}
