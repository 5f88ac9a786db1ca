package server

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/syncbuf"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/config"
)

// fakeAPI mimics core/api: it labels the route, maps body errors the way the
// API must, and has a few test routes.
func fakeAPI(t *testing.T) http.Handler {
	mux := http.NewServeMux()
	label := func(r *http.Request, route string) {
		if info := core.RequestInfoFrom(r.Context()); info != nil {
			info.Route = route
		}
	}
	mux.HandleFunc("POST /classes/{class}", func(w http.ResponseWriter, r *http.Request) {
		label(r, "classes.create")
		if _, err := io.ReadAll(r.Body); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				writeError(w, BodyTooLarge(mbe.Limit))
				return
			}
			writeError(w, core.Internal(err))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"objectId":"abcdefghij"}`))
	})
	mux.HandleFunc("GET /echo/{rest...}", func(w http.ResponseWriter, r *http.Request) {
		label(r, "echo")
		info := core.RequestInfoFrom(r.Context())
		core.LoggerFrom(r.Context()).Info("inside api")
		_ = json.NewEncoder(w).Encode(map[string]string{"path": r.URL.Path, "id": info.ID})
	})
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		label(r, "root")
		_, _ = io.WriteString(w, "path="+r.URL.Path)
	})
	mux.HandleFunc("GET /big", func(w http.ResponseWriter, r *http.Request) {
		label(r, "big")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"results":[` + strings.Repeat(`{"name":"switchboard"},`, 400) + `{}]}`))
	})
	mux.HandleFunc("GET /panic", func(w http.ResponseWriter, r *http.Request) {
		label(r, "panic")
		panic("boom")
	})
	mux.HandleFunc("GET /panic-after-write", func(w http.ResponseWriter, r *http.Request) {
		label(r, "panic")
		_, _ = w.Write([]byte(`{"partial":`))
		panic("boom")
	})
	return mux
}

func newTestServer(t *testing.T, mutate func(o *Options)) (*Server, *httptest.Server, *syncbuf.Buffer) {
	t.Helper()
	logs := &syncbuf.Buffer{}
	o := Options{
		API:          fakeAPI(t),
		MountPath:    "/parse",
		MaxBodyBytes: 1024,
		MetricsPath:  "/metrics",
		Logger:       slog.New(slog.NewJSONHandler(logs, nil)),
	}
	if mutate != nil {
		mutate(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts, logs
}

func do(t *testing.T, c *http.Client, method, url string, body io.Reader, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestMountPath(t *testing.T) {
	_, ts, _ := newTestServer(t, nil)
	tests := []struct {
		path   string
		status int
		body   string
	}{
		{"/parse", 200, "path=/"},
		{"/parse/", 200, "path=/"},
		{"/parse/echo/a%2Fb", 200, `"path":"/echo/a/b"`},
		{"/parsex", 404, ""},
		{"/other", 404, ""},
	}
	for _, tc := range tests {
		resp, body := do(t, nil, "GET", ts.URL+tc.path, nil, nil)
		if resp.StatusCode != tc.status || !strings.Contains(body, tc.body) {
			t.Errorf("GET %s = %d %q, want %d %q", tc.path, resp.StatusCode, body, tc.status, tc.body)
		}
	}
}

func TestRootMount(t *testing.T) {
	_, ts, _ := newTestServer(t, func(o *Options) { o.MountPath = "/" })
	if _, body := do(t, nil, "GET", ts.URL+"/echo/x", nil, nil); !strings.Contains(body, `"path":"/echo/x"`) {
		t.Errorf("body = %q", body)
	}
	if resp, body := do(t, nil, "GET", ts.URL+"/health", nil, nil); resp.StatusCode != 200 || body != `{"status":"ok"}` {
		t.Errorf("health = %d %q", resp.StatusCode, body)
	}
}

func TestCORS(t *testing.T) {
	_, ts, _ := newTestServer(t, func(o *Options) { o.AllowHeaders = []string{"X-Custom"} })
	resp, body := do(t, nil, "OPTIONS", ts.URL+"/parse/classes/Foo", nil, map[string]string{
		"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST",
		"Access-Control-Request-Headers": "x-parse-application-id, content-type",
	})
	if resp.StatusCode != 200 || body != "OK" {
		t.Fatalf("preflight = %d %q", resp.StatusCode, body)
	}
	h := resp.Header
	if got := h.Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("allow-origin = %q", got)
	}
	if got := h.Get("Access-Control-Allow-Methods"); got != "GET, PUT, POST, DELETE, OPTIONS" {
		t.Errorf("allow-methods = %q", got)
	}
	allow := h.Get("Access-Control-Allow-Headers")
	for _, want := range []string{"X-Parse-Master-Key", "X-Parse-REST-API-Key", "X-Parse-Javascript-Key",
		"X-Parse-Application-Id", "X-Parse-Client-Version", "X-Parse-Session-Token", "X-Requested-With",
		"X-Parse-Revocable-Session", "X-Parse-Request-Id", "Content-Type", "Pragma", "Cache-Control", "X-Custom"} {
		if !strings.Contains(allow, want) {
			t.Errorf("allow-headers %q lacks %s", allow, want)
		}
	}
	if got := h.Get("Access-Control-Expose-Headers"); got != "X-Parse-Job-Status-Id, X-Parse-Push-Status-Id, X-Request-Id" {
		t.Errorf("expose-headers = %q", got)
	}
	// Normal responses carry the origin and exposed headers too.
	resp, _ = do(t, nil, "GET", ts.URL+"/parse/", nil, map[string]string{"Origin": "https://a.com"})
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" || resp.Header.Get("Access-Control-Expose-Headers") == "" {
		t.Errorf("headers = %v", resp.Header)
	}
}

func TestCORSSeveralOrigins(t *testing.T) {
	_, ts, _ := newTestServer(t, func(o *Options) { o.AllowOrigin = []string{"https://a.com", "https://b.com"} })
	tests := []struct{ origin, want string }{
		{"https://b.com", "https://b.com"},
		{"https://evil.com", "https://a.com"},
		{"", "https://a.com"},
	}
	for _, tc := range tests {
		resp, _ := do(t, nil, "OPTIONS", ts.URL+"/parse/x", nil, map[string]string{"Origin": tc.origin})
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != tc.want {
			t.Errorf("origin %q: allow-origin = %q, want %q", tc.origin, got, tc.want)
		}
		if resp.Header.Get("Vary") != "Origin" {
			t.Errorf("vary = %q", resp.Header.Get("Vary"))
		}
	}
}

func TestGzip(t *testing.T) {
	_, ts, _ := newTestServer(t, nil)
	raw := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	resp, body := do(t, raw, "GET", ts.URL+"/parse/big", nil, map[string]string{"Accept-Encoding": "gzip"})
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("content-encoding = %q", resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(plain) || len(plain) < 5000 {
		t.Errorf("decompressed %d bytes, valid JSON %v", len(plain), json.Valid(plain))
	}
	// No Accept-Encoding: plain.
	resp, body = do(t, raw, "GET", ts.URL+"/parse/big", nil, nil)
	if resp.Header.Get("Content-Encoding") != "" || !json.Valid([]byte(body)) {
		t.Errorf("plain response: encoding %q", resp.Header.Get("Content-Encoding"))
	}
	// Small responses stay plain.
	resp, _ = do(t, raw, "GET", ts.URL+"/parse/", nil, map[string]string{"Accept-Encoding": "gzip"})
	if resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("small response compressed")
	}
}

func TestRequestID(t *testing.T) {
	_, ts, logs := newTestServer(t, nil)
	resp, body := do(t, nil, "GET", ts.URL+"/parse/echo/x", nil, map[string]string{"X-Request-Id": "client-id-1"})
	if resp.Header.Get("X-Request-Id") != "client-id-1" || !strings.Contains(body, `"id":"client-id-1"`) {
		t.Errorf("echo: header %q body %q", resp.Header.Get("X-Request-Id"), body)
	}
	// The API's logger and the access log carry the id.
	if !strings.Contains(logs.String(), `"msg":"inside api","request_id":"client-id-1"`) {
		t.Errorf("api log lacks request_id: %s", logs.String())
	}
	if !strings.Contains(logs.String(), `"msg":"request","method":"GET","path":"/parse/echo/x","route":"echo","status":200`) {
		t.Errorf("access log: %s", logs.String())
	}
	// Absent or unusable ids are replaced by generated, distinct ones.
	seen := map[string]bool{}
	for _, hdr := range []map[string]string{nil, nil, {"X-Request-Id": strings.Repeat("x", 200)}} {
		resp, _ := do(t, nil, "GET", ts.URL+"/parse/", nil, hdr)
		id := resp.Header.Get("X-Request-Id")
		if id == "" || seen[id] || len(id) > 128 {
			t.Errorf("generated id %q", id)
		}
		seen[id] = true
	}
}

func TestPanicRecovery(t *testing.T) {
	_, ts, logs := newTestServer(t, nil)
	for _, enc := range []string{"", "gzip"} {
		resp, body := do(t, nil, "GET", ts.URL+"/parse/panic", nil, map[string]string{"Accept-Encoding": enc, "X-Request-Id": "p-1"})
		if resp.StatusCode != 500 || body != `{"code":1,"error":"internal server error"}` {
			t.Errorf("panic (%q) = %d %q", enc, resp.StatusCode, body)
		}
		if resp.Header.Get("X-Request-Id") != "p-1" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Errorf("headers = %v", resp.Header)
		}
	}
	l := logs.String()
	if !strings.Contains(l, `"msg":"panic serving request"`) || !strings.Contains(l, `"request_id":"p-1"`) || !strings.Contains(l, "goroutine") {
		t.Errorf("panic log: %s", l)
	}
	if !strings.Contains(l, `"route":"panic","status":500`) {
		t.Errorf("access log lacks the 500: %s", l)
	}
	// A panic after the response started cuts the connection.
	req, _ := http.NewRequest("GET", ts.URL+"/parse/panic-after-write", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode == 200 && json.Valid(b) {
			t.Errorf("partial response looked whole: %q", b)
		}
	}
	// The server keeps serving.
	if resp, _ := do(t, nil, "GET", ts.URL+"/parse/", nil, nil); resp.StatusCode != 200 {
		t.Errorf("after panic: %d", resp.StatusCode)
	}
}

func TestBodyLimit(t *testing.T) {
	_, ts, _ := newTestServer(t, nil) // 1 KiB
	small := strings.Repeat("a", 100)
	big := strings.Repeat("a", 2000)
	resp, _ := do(t, nil, "POST", ts.URL+"/parse/classes/Foo", strings.NewReader(small), nil)
	if resp.StatusCode != 201 {
		t.Errorf("small body: %d", resp.StatusCode)
	}
	want := `{"code":116,"error":"request body is larger than the limit of 1024 bytes"}`
	// Known length: refused before the API runs.
	resp, body := do(t, nil, "POST", ts.URL+"/parse/classes/Foo", strings.NewReader(big), nil)
	if resp.StatusCode < 400 || resp.StatusCode >= 500 || body != want {
		t.Errorf("big body: %d %q", resp.StatusCode, body)
	}
	// Unknown length (chunked): the API's read fails with *http.MaxBytesError.
	resp, body = do(t, nil, "POST", ts.URL+"/parse/classes/Foo", io.MultiReader(strings.NewReader(big)), nil)
	if resp.StatusCode < 400 || resp.StatusCode >= 500 || body != want {
		t.Errorf("chunked big body: %d %q", resp.StatusCode, body)
	}
}

func TestHealth(t *testing.T) {
	var fail error
	var mu sync.Mutex
	_, ts, _ := newTestServer(t, func(o *Options) {
		o.Ready = func(ctx context.Context) error { mu.Lock(); defer mu.Unlock(); return fail }
	})
	resp, body := do(t, nil, "GET", ts.URL+"/health", nil, nil)
	if resp.StatusCode != 200 || body != `{"status":"ok"}` {
		t.Errorf("health = %d %q", resp.StatusCode, body)
	}
	if resp, _ := do(t, nil, "GET", ts.URL+"/parse/health", nil, nil); resp.StatusCode != 200 {
		t.Errorf("mount health = %d", resp.StatusCode)
	}
	// The JS SDK's EventuallyQueue.poll sends its envelope: POST, text/plain.
	resp, body = do(t, nil, "POST", ts.URL+"/parse/health", strings.NewReader(`{"_method":"GET","_ApplicationId":"x"}`), map[string]string{"Content-Type": "text/plain"})
	if resp.StatusCode != 200 || body != `{"status":"ok"}` {
		t.Errorf("POST /parse/health = %d %q", resp.StatusCode, body)
	}
	if resp, _ := do(t, nil, "PUT", ts.URL+"/parse/health", nil, nil); resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD, POST" {
		t.Errorf("PUT /parse/health = %d %v", resp.StatusCode, resp.Header)
	}
	mu.Lock()
	fail = errors.New("database is down")
	mu.Unlock()
	resp, body = do(t, nil, "GET", ts.URL+"/health", nil, nil)
	if resp.StatusCode != 503 || strings.Contains(body, "database") {
		t.Errorf("unready health = %d %q", resp.StatusCode, body)
	}
	if resp, _ := do(t, nil, "POST", ts.URL+"/health", nil, nil); resp.StatusCode != 405 {
		t.Errorf("POST health = %d", resp.StatusCode)
	}
}

type statsStore struct{ core.Store }

func (statsStore) PoolStats() core.PoolStats {
	return core.PoolStats{Open: 4, InUse: 1, Idle: 3, WaitCount: 7, WaitDurationSecs: 0.5}
}

func TestMetrics(t *testing.T) {
	_, ts, _ := newTestServer(t, func(o *Options) { o.Store = statsStore{} })
	do(t, nil, "POST", ts.URL+"/parse/classes/Foo", strings.NewReader("{}"), nil)
	do(t, nil, "POST", ts.URL+"/parse/classes/Bar", strings.NewReader("{}"), nil)
	do(t, nil, "GET", ts.URL+"/parse/nothing/here", nil, nil)
	resp, body := do(t, nil, "GET", ts.URL+"/metrics", nil, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("metrics = %d", resp.StatusCode)
	}
	for _, want := range []string{
		`switchboard_http_requests_total{route="classes.create",status="201"} 2`,
		`switchboard_http_request_duration_seconds_count{route="classes.create"} 2`,
		`switchboard_http_requests_total{route="root",status="200"} 1`,
		`switchboard_http_requests_in_flight 1`, // the scrape itself
		`switchboard_db_pool_open_connections 4`,
		`switchboard_db_pool_wait_count_total 7`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, "Bar") || strings.Contains(body, "/parse/") {
		t.Error("metrics are labelled by raw path")
	}
	// Disabled: the path is not served.
	_, ts2, _ := newTestServer(t, func(o *Options) { o.MetricsPath = "" })
	if resp, _ := do(t, nil, "GET", ts2.URL+"/metrics", nil, nil); resp.StatusCode != 404 {
		t.Errorf("disabled metrics = %d", resp.StatusCode)
	}
}

func TestGracefulShutdown(t *testing.T) {
	for _, tc := range []struct {
		name    string
		timeout time.Duration
		release bool
	}{
		{"waits for in-flight request", 5 * time.Second, true},
		{"gives up after timeout", 200 * time.Millisecond, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			started, release := make(chan struct{}), make(chan struct{})
			api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				close(started)
				select {
				case <-release:
				case <-r.Context().Done():
					return
				}
				_, _ = io.WriteString(w, "done")
			})
			s, err := New(Options{API: api, ShutdownTimeout: tc.timeout, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			served := make(chan error, 1)
			go func() { served <- s.Serve(ctx, ln) }()

			type result struct {
				body string
				err  error
			}
			got := make(chan result, 1)
			go func() {
				resp, err := http.Get("http://" + ln.Addr().String() + "/parse/slow")
				if err != nil {
					got <- result{err: err}
					return
				}
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				got <- result{string(b), err}
			}()
			<-started
			cancel()
			select {
			case err := <-served:
				if tc.release {
					t.Fatalf("Serve returned before the in-flight request finished: %v", err)
				}
			case <-time.After(100 * time.Millisecond):
			}
			// New connections are refused once shutdown began.
			if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil && tc.release {
				t.Error("listener still accepting during shutdown")
			}
			if tc.release {
				close(release)
				if r := <-got; r.err != nil || r.body != "done" {
					t.Errorf("in-flight request: %q %v", r.body, r.err)
				}
				if err := <-served; err != nil {
					t.Errorf("Serve: %v", err)
				}
				return
			}
			if err := <-served; err == nil || !strings.Contains(err.Error(), "cut off") {
				t.Errorf("Serve after timeout: %v", err)
			}
			close(release)
		})
	}
}

func TestOptionsFromConfig(t *testing.T) {
	c := config.Default()
	c.Metrics.Enabled = false
	c.AllowHeaders = []string{"X-A"}
	o := OptionsFromConfig(c)
	if o.MountPath != "/parse" || o.MaxBodyBytes != 20<<20 || o.MetricsPath != "" || o.AllowOrigin[0] != "*" ||
		o.AllowHeaders[0] != "X-A" || o.ShutdownTimeout != 15*time.Second ||
		o.BodyReadTimeout != DefaultBodyReadTimeout || o.BodyReadMinRate != DefaultBodyReadMinRate {
		t.Errorf("options = %+v", o)
	}
}

func TestNewRejects(t *testing.T) {
	if _, err := New(Options{}); err == nil {
		t.Error("nil API accepted")
	}
	if _, err := New(Options{API: http.NotFoundHandler(), MountPath: "parse"}); err == nil {
		t.Error("relative mount accepted")
	}
}

func BenchmarkServeHTTP(b *testing.B) {
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		core.RequestInfoFrom(r.Context()).Route = "classes.get"
		w.Header()["Content-Type"] = jsonContentType
		_, _ = w.Write([]byte(`{"objectId":"abcdefghij","createdAt":"2024-01-01T00:00:00.000Z"}`))
	})
	s, err := New(Options{API: api, MaxBodyBytes: 1 << 20, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/parse/classes/Foo/abcdefghij", nil)
	req.Header.Set("Accept-Encoding", "gzip, deflate, br")
	req.Header.Set("X-Parse-Application-Id", "app")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		w := &discardWriter{h: http.Header{}}
		for pb.Next() {
			clear(w.h)
			s.ServeHTTP(w, req)
		}
	})
}

type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}
