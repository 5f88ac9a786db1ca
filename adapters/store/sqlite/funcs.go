package sqlite

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"sync/atomic"

	lru "github.com/hashicorp/golang-lru/v2"
	"modernc.org/sqlite"

	"github.com/switchboardhq/switchboard/adapters/store/sqlstore"
	"github.com/switchboardhq/switchboard/core"
)

// SQL functions in Go, registered with the driver once. Their names carry
// the sb_ prefix so that they cannot clash with other users of the driver.
func registerFuncs() {
	sqlite.MustRegisterDeterministicScalarFunction("sb_regexp", 2, sqlRegexp)
	sqlite.MustRegisterDeterministicScalarFunction("sb_geo_dist", 3, sqlGeoDist)
	sqlite.MustRegisterDeterministicScalarFunction("sb_geo_in_polygon", 2, sqlGeoInPolygon)
	sqlite.MustRegisterDeterministicScalarFunction("sb_polygon_contains", 3, sqlPolygonContains)
}

// compiledCache keeps values compiled from query text (regular
// expressions, polygons) by that text, so that a statement compiles its
// pattern once rather than once per row: SQLite calls the function for
// every row, and the driver gives a function no per-statement state.
// Query text comes from clients, so the cache is bounded twice: by
// entries and by the bytes its keys stand for (a compiled pattern takes
// tens of times its source). When either bound is passed the least
// recently used entries go, so the patterns of the statements running now
// stay and are never recompiled per row.
type compiledCache[T any] struct {
	lru      *lru.Cache[string, T]
	bytes    atomic.Int64
	maxBytes int64
	weight   int64 // bytes counted per byte of key
}

func newCompiledCache[T any](entries int, maxBytes, weight int64) *compiledCache[T] {
	c := &compiledCache[T]{maxBytes: maxBytes, weight: weight}
	c.lru, _ = lru.NewWithEvict(entries, func(key string, _ T) { c.bytes.Add(-c.cost(key)) })
	return c
}

func (c *compiledCache[T]) cost(key string) int64 { return 256 + c.weight*int64(len(key)) }

func (c *compiledCache[T]) get(key string, compile func(string) (T, error)) (T, error) {
	if v, ok := c.lru.Get(key); ok {
		return v, nil
	}
	v, err := compile(key)
	if err != nil || c.cost(key) > c.maxBytes {
		return v, err
	}
	if !c.lru.Contains(key) {
		c.bytes.Add(c.cost(key))
		c.lru.Add(key, v)
	}
	for c.bytes.Load() > c.maxBytes {
		if _, _, ok := c.lru.RemoveOldest(); !ok {
			break
		}
	}
	return v, nil
}

// len and size report the cache's entries and the bytes it counts.
func (c *compiledCache[T]) len() int    { return c.lru.Len() }
func (c *compiledCache[T]) size() int64 { return c.bytes.Load() }

// Bounds of the caches: a Go regexp takes about 64 bytes per byte of its
// source (a 300 KB pattern took 20 MB); a parsed polygon 16 bytes per
// point, which is about 2 bytes per byte of its JSON text.
var (
	regexps  = newCompiledCache[*regexp.Regexp](1024, 32<<20, 64)
	polygons = newCompiledCache[[][2]float64](256, 32<<20, 2)
)

func text(v driver.Value) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case []byte:
		return string(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), true
	}
	return "", false
}

func num(v driver.Value) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	}
	return 0, false
}

func boolValue(b bool) driver.Value {
	if b {
		return int64(1)
	}
	return int64(0)
}

// sqlRegexp(pattern, value): 1 if value matches, NULL if value is NULL.
func sqlRegexp(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	s, ok := text(args[1])
	if !ok {
		return nil, nil
	}
	p, _ := text(args[0])
	re, err := regexps.get(p, regexp.Compile)
	if err != nil {
		return nil, fmt.Errorf("sb_regexp: %w", err)
	}
	return boolValue(re.MatchString(s)), nil
}

// sqlGeoDist(point, lat, lng): distance in radians, NULL if point is NULL.
func sqlGeoDist(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	s, ok := text(args[0])
	if !ok {
		return nil, nil
	}
	p, ok := sqlstore.ParseGeoPoint(s)
	lat, ok1 := num(args[1])
	lng, ok2 := num(args[2])
	if !ok || !ok1 || !ok2 {
		return nil, nil
	}
	return Haversine(p, core.GeoPoint{Latitude: lat, Longitude: lng}), nil
}

// Haversine returns the angle in radians between two points on a sphere.
func Haversine(a, b core.GeoPoint) float64 {
	const rad = math.Pi / 180
	la1, la2 := a.Latitude*rad, b.Latitude*rad
	dla, dlo := la2-la1, (b.Longitude-a.Longitude)*rad
	h := math.Sin(dla/2)*math.Sin(dla/2) + math.Cos(la1)*math.Cos(la2)*math.Sin(dlo/2)*math.Sin(dlo/2)
	return 2 * math.Asin(math.Min(1, math.Sqrt(h)))
}

func parsePolygon(s string) ([][2]float64, error) {
	var p [][2]float64
	err := json.Unmarshal([]byte(s), &p)
	return p, err
}

// inPolygon reports whether (lat, lng) is inside the ring poly of
// [lat, lng] points, by ray casting in the plane of latitude and longitude,
// as MongoDB's $geoWithin/$polygon does.
func inPolygon(poly [][2]float64, lat, lng float64) bool {
	in := false
	for i, j := 0, len(poly)-1; i < len(poly); j, i = i, i+1 {
		yi, xi := poly[i][0], poly[i][1]
		yj, xj := poly[j][0], poly[j][1]
		if (yi > lat) != (yj > lat) && lng < (xj-xi)*(lat-yi)/(yj-yi)+xi {
			in = !in
		}
	}
	return in
}

// sqlGeoInPolygon(point, polygonJSON).
func sqlGeoInPolygon(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	s, ok := text(args[0])
	if !ok {
		return nil, nil
	}
	pt, ok := sqlstore.ParseGeoPoint(s)
	if !ok {
		return nil, nil
	}
	ps, _ := text(args[1])
	poly, err := polygons.get(ps, parsePolygon)
	if err != nil {
		return nil, fmt.Errorf("sb_geo_in_polygon: %w", err)
	}
	return boolValue(inPolygon(poly, pt.Latitude, pt.Longitude)), nil
}

// sqlPolygonContains(polygon, lat, lng): the polygon is each row's own
// value, so there is nothing to cache; it is read straight from its JSON
// text, with no decoding into a slice (see containsPoint).
func sqlPolygonContains(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	s, ok := text(args[0])
	if !ok {
		return nil, nil
	}
	lat, ok1 := num(args[1])
	lng, ok2 := num(args[2])
	if !ok1 || !ok2 {
		return nil, nil
	}
	in, ok := containsPoint(s, lat, lng)
	if !ok {
		return nil, nil
	}
	return boolValue(in), nil
}

// containsPoint is inPolygon on a polygon column's JSON text
// ([[lat,lng],...], as sqlstore writes it) read in one pass: each point is
// parsed where it stands and compared with the one before. ok is false
// when the text is not such a list.
func containsPoint(s string, lat, lng float64) (in, ok bool) {
	var first, prev [2]float64
	n := 0
	edge := func(a, b [2]float64) {
		yi, xi, yj, xj := b[0], b[1], a[0], a[1]
		if (yi > lat) != (yj > lat) && lng < (xj-xi)*(lat-yi)/(yj-yi)+xi {
			in = !in
		}
	}
	i := 0
	skip := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r') {
			i++
		}
	}
	number := func() (float64, bool) {
		skip()
		j := i
		for j < len(s) && (s[j] == '-' || s[j] == '+' || s[j] == '.' || s[j] == 'e' || s[j] == 'E' || s[j] >= '0' && s[j] <= '9') {
			j++
		}
		f, err := strconv.ParseFloat(s[i:j], 64)
		i = j
		return f, err == nil
	}
	expect := func(c byte) bool {
		skip()
		if i < len(s) && s[i] == c {
			i++
			return true
		}
		return false
	}
	if !expect('[') {
		return false, false
	}
	for {
		if n == 0 && expect(']') {
			return false, true
		}
		var p [2]float64
		var ok1, ok2 bool
		if !expect('[') {
			return false, false
		}
		p[0], ok1 = number()
		if !ok1 || !expect(',') {
			return false, false
		}
		p[1], ok2 = number()
		if !ok2 || !expect(']') {
			return false, false
		}
		if n == 0 {
			first = p
		} else {
			edge(prev, p)
		}
		prev = p
		n++
		if expect(']') {
			break
		}
		if !expect(',') {
			return false, false
		}
	}
	if n > 0 {
		edge(prev, first)
	}
	return in, true
}
