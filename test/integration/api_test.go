package integration

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/switchboardhq/switchboard/core"
)

var objectIDPattern = regexp.MustCompile(`^[A-Za-z0-9]{10}$`)
var isoPattern = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

func TestCreateGetUpdateDelete(t *testing.T) {
	h := newHarness(t, nil)
	res := h.do("POST", "/classes/Game", "", map[string]any{"score": 10, "name": "a"})
	if res.status != 201 {
		t.Fatalf("create: %d %s", res.status, res.raw)
	}
	id, _ := res.body["objectId"].(string)
	if !objectIDPattern.MatchString(id) || !isoPattern.MatchString(fmt.Sprint(res.body["createdAt"])) {
		t.Fatalf("create reply %s", res.raw)
	}
	if loc := res.header.Get("Location"); !strings.HasSuffix(loc, "/parse/classes/Game/"+id) {
		t.Fatalf("Location %q", loc)
	}
	res = h.do("PUT", "/classes/Game/"+id, "", map[string]any{"score": map[string]any{"__op": "Increment", "amount": 5}})
	if res.status != 200 || res.body["score"] != 15.0 || !isoPattern.MatchString(fmt.Sprint(res.body["updatedAt"])) {
		t.Fatalf("increment: %d %s", res.status, res.raw)
	}
	res = h.do("GET", "/classes/Game/"+id, "", nil)
	if res.status != 200 || res.body["score"] != 15.0 || res.body["name"] != "a" {
		t.Fatalf("get: %d %s", res.status, res.raw)
	}
	if res = h.do("DELETE", "/classes/Game/"+id, "", nil); res.status != 200 {
		t.Fatalf("delete: %d %s", res.status, res.raw)
	}
	if res = h.do("GET", "/classes/Game/"+id, "", nil); res.status != 404 || res.code() != 101 {
		t.Fatalf("get after delete: %d %s", res.status, res.raw)
	}
}

// TestBadInput is the table of inputs that must get a Parse error and a 4xx,
// never a 500 or a write.
func TestBadInput(t *testing.T) {
	h := newHarness(t, nil)
	if res := h.do("POST", "/classes/Thing", "", map[string]any{"n": 1, "s": "x", "tags": []any{"a"}}); res.status != 201 {
		t.Fatalf("seed: %d %s", res.status, res.raw)
	}
	where := func(w string) string { return "/classes/Thing?where=" + url.QueryEscape(w) }
	tests := []struct {
		name, method, path string
		body               any
		status, code       int
	}{
		{"malformed JSON", "POST", "/classes/Thing", `{"n":`, 400, 107},
		{"JSON array body", "POST", "/classes/Thing", `[1,2]`, 400, 107},
		{"invalid class name", "POST", "/classes/Bad-Name", map[string]any{"a": 1}, 400, 103},
		{"SQL in class name", "POST", "/classes/" + url.PathEscape("T;DROP TABLE x"), map[string]any{"a": 1}, 400, 103},
		{"underscore class", "POST", "/classes/_Secret", map[string]any{"a": 1}, 400, 103},
		{"invalid field name", "POST", "/classes/Thing", map[string]any{"bad name": 1}, 400, 105},
		{"SQL in field name", "POST", "/classes/Thing", map[string]any{`a"); DROP TABLE "Thing`: 1}, 400, 105},
		{"class name differing only in case", "POST", "/classes/thing", map[string]any{"a": 1}, 400, 103},
		{"field name differing only in case", "POST", "/classes/Thing", map[string]any{"N": 1}, 400, 105},
		{"two new fields differing only in case", "POST", "/classes/Thing", map[string]any{"ab": 1, "AB": 2}, 400, 105},
		{"objectId in create", "POST", "/classes/Thing", map[string]any{"objectId": "x"}, 400, 105},
		{"wrong type", "POST", "/classes/Thing", map[string]any{"n": "ten"}, 400, 111},
		{"wrong type with a new field too", "POST", "/classes/Thing", map[string]any{"fresh": 1, "n": "ten"}, 400, 111},
		{"bad ACL", "POST", "/classes/Thing", map[string]any{"ACL": map[string]any{"*": map[string]any{"read": "yes"}}}, 400, 123},
		{"bad pointer", "POST", "/classes/Thing", map[string]any{"p": map[string]any{"__type": "Pointer"}}, 400, 106},
		{"bad date", "POST", "/classes/Thing", map[string]any{"d": map[string]any{"__type": "Date", "iso": "yesterday"}}, 400, 111},
		{"bad geopoint", "POST", "/classes/Thing", map[string]any{"g": map[string]any{"__type": "GeoPoint", "latitude": 91, "longitude": 0}}, 400, 107},
		{"unknown __op", "PUT", "/classes/Thing/x", map[string]any{"n": map[string]any{"__op": "Explode"}}, 400, 107},
		{"unknown operator", "GET", where(`{"n":{"$explode":1}}`), nil, 400, 102},
		{"unknown top-level operator", "GET", where(`{"$where":"sleep(1)"}`), nil, 400, 105},
		{"where not JSON", "GET", where(`{nope`), nil, 400, 107},
		{"bad regex", "GET", where(`{"s":{"$regex":"("}}`), nil, 400, 102},
		{"limit not a number", "GET", "/classes/Thing?limit=abc", nil, 400, 102},
		{"missing object", "GET", "/classes/Thing/nope123456", nil, 404, 101},
		{"schemas without master", "GET", "/schemas", nil, 400, 119},
		{"config write without master", "PUT", "/config", map[string]any{"params": map[string]any{"a": 1}}, 400, 119},
		{"unknown route", "GET", "/nothing/here", nil, 400, 107},
		{"body too large", "POST", "/classes/Thing", `{"s":"` + strings.Repeat("x", 2<<20) + `"}`, 413, 116},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := h.do(tt.method, tt.path, "", tt.body)
			if res.status != tt.status || res.code() != tt.code {
				t.Fatalf("%s %s: got %d %s, want %d code %d", tt.method, tt.path, res.status, res.raw, tt.status, tt.code)
			}
			if msg, _ := res.body["error"].(string); msg == "" {
				t.Fatalf("no error message: %s", res.raw)
			}
		})
	}
	// None of the rejected writes left anything behind: one object, and the
	// schema has no field from a rejected body.
	res := h.do("GET", "/classes/Thing?count=1&limit=0", "", nil)
	if res.body["count"] != 1.0 {
		t.Fatalf("after bad input, count = %v, want 1", res.body["count"])
	}
	res = h.do("GET", "/schemas/Thing", "master", nil)
	fields, _ := res.body["fields"].(map[string]any)
	for _, f := range []string{"fresh", "p", "d", "g", "bad name"} {
		if _, ok := fields[f]; ok {
			t.Errorf("rejected write added field %q to the schema", f)
		}
	}
}

func TestWrongAppID(t *testing.T) {
	h := newHarness(t, nil)
	req := h.url + "/classes/Thing"
	res, err := httpGet(t, req, map[string]string{"X-Parse-Application-Id": "nope"})
	if err != nil {
		t.Fatal(err)
	}
	if res.status != 403 || res.body["error"] != "unauthorized" {
		t.Fatalf("wrong app id: %d %s", res.status, res.raw)
	}
}

func TestTransactionalBatchRollsBack(t *testing.T) {
	h := newHarness(t, nil)
	h.do("POST", "/classes/Acct", "", map[string]any{"n": 1})
	res := h.do("POST", "/batch", "", map[string]any{"transaction": true, "requests": []any{
		map[string]any{"method": "POST", "path": "/parse/classes/Acct", "body": map[string]any{"n": 2}},
		map[string]any{"method": "POST", "path": "/parse/classes/Acct", "body": map[string]any{"n": "not a number"}},
	}})
	if res.status != 400 || res.code() != 111 {
		t.Fatalf("failing transaction: %d %s", res.status, res.raw)
	}
	res = h.do("GET", "/classes/Acct?count=1&limit=0", "", nil)
	if res.body["count"] != 1.0 {
		t.Fatalf("rolled-back batch left objects: count %v", res.body["count"])
	}
	// Without transaction, each request stands alone.
	res = h.do("POST", "/batch", "", `{"requests":[{"method":"POST","path":"/parse/classes/Acct","body":{"n":3}},{"method":"POST","path":"/parse/classes/Acct","body":{"n":"x"}}]}`)
	if res.status != 200 || !strings.Contains(string(res.raw), `"success"`) || !strings.Contains(string(res.raw), `"code":111`) {
		t.Fatalf("plain batch: %d %s", res.status, res.raw)
	}
}

// TestConcurrentIncrementsAllCount: concurrent Increments of a field, and
// of a key inside an Object field (which is read and written back), all
// count.
func TestConcurrentIncrementsAllCount(t *testing.T) {
	h := newHarness(t, nil)
	res := h.do("POST", "/classes/Counter", "", map[string]any{"n": 0, "stats": map[string]any{"level": map[string]any{"xp": 0}}})
	id := res.body["objectId"].(string)
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			h.do("PUT", "/classes/Counter/"+id, "", map[string]any{"n": map[string]any{"__op": "Increment", "amount": 1}})
		}()
		go func() {
			defer wg.Done()
			h.do("PUT", "/classes/Counter/"+id, "", map[string]any{"stats.level.xp": map[string]any{"__op": "Increment", "amount": 1}})
		}()
	}
	wg.Wait()
	res = h.do("GET", "/classes/Counter/"+id, "", nil)
	if res.body["n"] != 50.0 {
		t.Fatalf("after 50 concurrent increments n = %v", res.body["n"])
	}
	if xp := res.body["stats"].(map[string]any)["level"].(map[string]any)["xp"]; xp != 50.0 {
		t.Fatalf("after 50 concurrent increments of stats.level.xp it is %v", xp)
	}
}

func TestIdempotency(t *testing.T) {
	h := newHarness(t, func(o *core.Options) { o.Idempotency.Paths = []string{"classes/.*"} })
	post := func(reqID string) response {
		return h.doWithHeaders("POST", "/classes/Order", map[string]any{"n": 1}, map[string]string{"X-Parse-Request-Id": reqID})
	}
	if res := post("req-1"); res.status != 201 {
		t.Fatalf("first: %d %s", res.status, res.raw)
	}
	if res := post("req-1"); res.status != 400 || res.code() != 159 {
		t.Fatalf("duplicate: %d %s", res.status, res.raw)
	}
	if res := post("req-2"); res.status != 201 {
		t.Fatalf("second id: %d %s", res.status, res.raw)
	}
	if res := h.do("GET", "/classes/Order?count=1&limit=0", "", nil); res.body["count"] != 2.0 {
		t.Fatalf("count %v, want 2", res.body["count"])
	}
}
