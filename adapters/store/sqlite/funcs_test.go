package sqlite

import (
	"encoding/json"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// TestCompiledCacheBounds: Hole 2 (regex DoS): the cache of compiled
// patterns is bounded by entries and by bytes, and the pattern in use
// stays cached however many others pass through.
func TestCompiledCacheBounds(t *testing.T) {
	c := newCompiledCache[*regexp.Regexp](8, 1<<20, 64)
	compiles := 0
	compile := func(s string) (*regexp.Regexp, error) { compiles++; return regexp.Compile(s) }
	big := func(i int) string { return strings.Repeat("a", 4000) + strings.Repeat("b", i) }
	for i := range 50 {
		if _, err := c.get(big(i), compile); err != nil {
			t.Fatal(err)
		}
		if c.size() > 1<<20 || c.len() > 8 {
			t.Fatalf("after %d patterns the cache holds %d entries, %d bytes: over its bounds", i+1, c.len(), c.size())
		}
		// The pattern a statement uses is looked up once per row.
		before := compiles
		for range 100 {
			if _, err := c.get(big(i), compile); err != nil {
				t.Fatal(err)
			}
		}
		if compiles != before {
			t.Fatalf("pattern %d was compiled %d more times while in use", i, compiles-before)
		}
	}
	for range 20 {
		if _, err := c.get("x", compile); err != nil {
			t.Fatal(err)
		}
	}
	// A pattern larger than the whole budget is used, never kept.
	huge := strings.Repeat("c", 1<<15)
	if _, err := c.get(huge, compile); err != nil {
		t.Fatal(err)
	}
	if c.lru.Contains(huge) || c.size() > 1<<20 {
		t.Fatalf("a pattern over the byte budget was cached")
	}
	if _, err := c.get("(", compile); err == nil {
		t.Fatal("a bad pattern compiled")
	}
}

// TestContainsPoint checks the one-pass reading of a polygon column
// against inPolygon on the decoded polygon.
func TestContainsPoint(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		n := 3 + r.IntN(12)
		poly := make([][2]float64, n)
		for i := range poly {
			poly[i] = [2]float64{r.Float64()*20 - 10, r.Float64()*20 - 10}
		}
		js, _ := json.Marshal(poly)
		for range 20 {
			lat, lng := r.Float64()*24-12, r.Float64()*24-12
			got, ok := containsPoint(string(js), lat, lng)
			if !ok || got != inPolygon(poly, lat, lng) {
				t.Fatalf("containsPoint(%s, %v, %v) = %v, %v; inPolygon says %v", js, lat, lng, got, ok, inPolygon(poly, lat, lng))
			}
		}
	}
	for _, bad := range []string{"", "[", "[[1,2]", "[[1,2],[3]]", `{"a":1}`, "[[1,2],[3,4],[5,x]]", "[[1,2] [3,4]]"} {
		if _, ok := containsPoint(bad, 0, 0); ok {
			t.Errorf("containsPoint(%q) read it as a polygon", bad)
		}
	}
	if in, ok := containsPoint(" [ [0, 0] , [0,10],[10,10] , [10, 0] ] ", 5, 5); !in || !ok {
		t.Errorf("spaces: %v %v", in, ok)
	}
}
