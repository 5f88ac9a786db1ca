package sqlite

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"

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

// boundedCache caches values by string key, up to 1024 of them; past that
// it stops adding, since keys come from queries and must not grow memory
// without bound.
type boundedCache[T any] struct {
	m sync.Map
	n atomic.Int64
}

func (c *boundedCache[T]) get(key string, make func(string) (T, error)) (T, error) {
	if v, ok := c.m.Load(key); ok {
		return v.(T), nil
	}
	v, err := make(key)
	if err == nil && c.n.Load() < 1024 {
		if _, loaded := c.m.LoadOrStore(key, v); !loaded {
			c.n.Add(1)
		}
	}
	return v, err
}

var regexps boundedCache[*regexp.Regexp]

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

var polygons boundedCache[[][2]float64]

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

// sqlPolygonContains(polygon, lat, lng).
func sqlPolygonContains(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	s, ok := text(args[0])
	if !ok {
		return nil, nil
	}
	poly, err := parsePolygon(s)
	if err != nil {
		return nil, nil
	}
	lat, ok1 := num(args[1])
	lng, ok2 := num(args[2])
	if !ok1 || !ok2 {
		return nil, nil
	}
	return boolValue(inPolygon(poly, lat, lng)), nil
}
