package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// Header values shared by every response. Assigning these slices directly to
// the header map saves an allocation per header; nothing appends to them.
var (
	jsonContentType = []string{"application/json; charset=utf-8"}
	noStore         = []string{"no-store"}
	internalBody    = []byte(`{"code":1,"error":"internal server error"}`)
)

const requestIDHeader = "X-Request-Id"

// reqState is everything the server keeps per request, in one allocation.
type reqState struct {
	info core.RequestInfo
	sw   statusWriter
	lh   ridHandler
}

// instrument is the outermost layer: request id, request info and logger in
// the context, in-flight gauge, metrics, access log, and a last-resort
// recover for panics outside the API's own.
func (s *Server) instrument(next http.Handler) http.Handler {
	base := s.log.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(requestIDHeader)
		if !validRequestID(id) {
			id = s.ids.next()
		}
		w.Header()[requestIDHeader] = []string{id}

		st := &reqState{}
		st.lh = ridHandler{base: base, id: id}
		st.info = core.RequestInfo{ID: id, Logger: slog.New(&st.lh)}
		st.sw = statusWriter{ResponseWriter: w}
		r = r.WithContext(core.WithRequestInfo(r.Context(), &st.info))

		s.metrics.inFlight.Inc()
		defer func() {
			p := recover()
			if p != nil && p != http.ErrAbortHandler {
				st.info.Logger.Error("panic serving request", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if !st.sw.wroteHeader {
					writeInternal(&st.sw)
					p = nil // answered
				}
			}
			s.finish(r, st, start)
			if p != nil {
				// The response is already partly written: abort the
				// connection so the client cannot take it for a whole one.
				panic(http.ErrAbortHandler)
			}
		}()
		next.ServeHTTP(&st.sw, r)
	})
}

// finish records metrics and writes the access log line.
func (s *Server) finish(r *http.Request, st *reqState, start time.Time) {
	elapsed := time.Since(start)
	s.metrics.inFlight.Dec()
	status := st.sw.status
	if status == 0 {
		status = http.StatusOK // nothing written: net/http sends 200
	}
	route := st.info.Route
	if route == "" {
		route = "unknown"
	}
	s.metrics.observe(route, status, elapsed)
	if st.lh.base.Enabled(r.Context(), slog.LevelInfo) {
		now := time.Now()
		if al, ok := st.lh.base.(AccessLogger); ok && al.LogAccess(AccessEntry{Time: now, Method: r.Method, Path: r.URL.Path,
			Route: route, Status: status, Duration: elapsed, Bytes: st.sw.written, Remote: r.RemoteAddr, RequestID: st.lh.id}) {
			return
		}
		// The record is made here rather than by Logger.LogAttrs, which
		// looks up its caller's program counter on every call (a tenth of
		// the line's cost) for a source the access line never shows.
		rec := slog.NewRecord(now, slog.LevelInfo, "request", 0)
		rec.AddAttrs(
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("route", route),
			slog.Int("status", status),
			slog.Duration("duration", elapsed),
			slog.Int64("bytes", st.sw.written),
			slog.String("remote", r.RemoteAddr),
		)
		_ = st.lh.Handle(r.Context(), rec)
	}
}

// AccessLogger is implemented by log handlers that write a request's
// access line themselves, faster than from a slog record: the line is an
// Info record "request" with the attributes method, path, route, status,
// duration, bytes, remote and request_id, in that order, and LogAccess
// must write exactly what the handler would write for that record. It
// reports false when it cannot (the handler has attributes or groups of
// its own, say); the server then logs the record.
type AccessLogger interface {
	LogAccess(e AccessEntry) bool
}

// AccessEntry is what a request's access line says.
type AccessEntry struct {
	Time                        time.Time
	Method, Path, Route, Remote string
	Status                      int
	Duration                    time.Duration
	Bytes                       int64
	RequestID                   string
}

// recoverAPI turns a panic in the API into Parse's internal-error JSON. It
// runs inside gzip, so the compressor cannot flush a partial body first.
func (s *Server) recoverAPI(w *apiWriter, r *http.Request) {
	p := recover()
	if p == nil {
		return
	}
	if p == http.ErrAbortHandler {
		panic(p)
	}
	core.LoggerFrom(r.Context()).Error("panic serving request", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
	if w.started {
		panic(http.ErrAbortHandler) // too late for a clean answer
	}
	writeInternal(w.ResponseWriter)
}

// apiWriter notes whether the API started its response, so a panic after
// that aborts the connection instead of appending an error to it.
type apiWriter struct {
	http.ResponseWriter
	started bool
}

func (w *apiWriter) WriteHeader(code int) {
	if code >= 200 {
		w.started = true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *apiWriter) Write(b []byte) (int, error) {
	w.started = true
	return w.ResponseWriter.Write(b)
}

func (w *apiWriter) Flush() {
	w.started = true
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *apiWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func writeInternal(w http.ResponseWriter) {
	h := w.Header()
	h.Del("Content-Encoding")
	h.Del("Content-Length")
	h["Content-Type"] = jsonContentType
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = w.Write(internalBody)
}

// writeError writes a Parse error: {"code":N,"error":"..."}.
func writeError(w http.ResponseWriter, e *core.Error) {
	h := w.Header()
	h["Content-Type"] = jsonContentType
	w.WriteHeader(e.HTTPStatus())
	b := make([]byte, 0, 64+len(e.Message))
	b = append(b, `{"code":`...)
	b = strconv.AppendInt(b, int64(e.Code), 10)
	b = append(b, `,"error":`...)
	b = strconv.AppendQuote(b, e.Message)
	b = append(b, '}')
	_, _ = w.Write(b)
}

// stripPrefix returns u with the mount path removed from its path.
func stripPrefix(u *url.URL, mount string) *url.URL {
	u2 := new(url.URL)
	*u2 = *u
	if mount == "" {
		return u2
	}
	u2.Path = strings.TrimPrefix(u.Path, mount)
	if u2.Path == "" {
		u2.Path = "/"
	}
	if u.RawPath != "" {
		u2.RawPath = strings.TrimPrefix(u.RawPath, mount)
		if u2.RawPath == "" {
			u2.RawPath = "/"
		}
	}
	return u2
}

// statusWriter records the status and the bytes written.
type statusWriter struct {
	http.ResponseWriter
	status      int
	written     int64
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader && code >= 200 {
		w.status = code
		w.wroteHeader = true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.status = http.StatusOK
		w.wroteHeader = true
	}
	n, err := w.ResponseWriter.Write(b)
	w.written += int64(n)
	return n, err
}

// Flush lets streaming handlers flush through the wrapper.
func (w *statusWriter) Flush() {
	if !w.wroteHeader {
		w.status = http.StatusOK
		w.wroteHeader = true
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap exposes the underlying writer to http.ResponseController.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ridHandler adds request_id to every record. It costs nothing until a
// record is logged, unlike Logger.With, which pre-formats at creation.
type ridHandler struct {
	base slog.Handler
	id   string
}

func (h *ridHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.base.Enabled(ctx, l) }

func (h *ridHandler) Handle(ctx context.Context, r slog.Record) error {
	r.AddAttrs(slog.String("request_id", h.id))
	return h.base.Handle(ctx, r)
}

func (h *ridHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &ridHandler{base: h.base.WithAttrs(as), id: h.id}
}

// WithGroup fixes request_id at the top level before opening the group.
func (h *ridHandler) WithGroup(name string) slog.Handler {
	return h.base.WithAttrs([]slog.Attr{slog.String("request_id", h.id)}).WithGroup(name)
}

// idGenerator makes request ids: a random per-process prefix and a counter,
// unique across nodes and restarts and cheap (one small allocation).
type idGenerator struct {
	prefix [12]byte
	n      atomic.Uint64
}

func (g *idGenerator) init() {
	var b [6]byte
	_, _ = rand.Read(b[:])
	hex.Encode(g.prefix[:], b[:])
}

func (g *idGenerator) next() string {
	var buf [12 + 1 + 13]byte
	b := append(buf[:0], g.prefix[:]...)
	b = append(b, '-')
	b = strconv.AppendUint(b, g.n.Add(1), 36)
	return string(b)
}

// validRequestID accepts a client's id if it is 1–128 visible ASCII
// characters, so it can go into logs and headers unchanged.
func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return false
		}
	}
	return true
}

// corsHeaders holds the precomputed CORS header values.
type corsHeaders struct {
	origin       []string // nil when several origins are allowed
	origins      []string
	allowHeaders []string
}

var (
	allowMethods  = []string{"GET, PUT, POST, DELETE, OPTIONS"}
	exposeHeaders = []string{"X-Parse-Job-Status-Id, X-Parse-Push-Status-Id, X-Request-Id"}
	varyOrigin    = "Origin"
	okBody        = []byte("OK")
)

// DefaultAllowHeaders are the request headers Parse Server allows in CORS,
// plus the two Switchboard reads (X-Parse-Installation-Id, X-Request-Id).
var DefaultAllowHeaders = []string{
	"X-Parse-Master-Key", "X-Parse-REST-API-Key", "X-Parse-Javascript-Key",
	"X-Parse-Application-Id", "X-Parse-Client-Version", "X-Parse-Session-Token",
	"X-Requested-With", "X-Parse-Revocable-Session", "X-Parse-Request-Id",
	"Content-Type", "Pragma", "Cache-Control", "X-Parse-Installation-Id", "X-Request-Id",
}

func newCORSHeaders(origins, extra []string) corsHeaders {
	c := corsHeaders{origins: origins}
	if len(origins) == 1 || slices.Contains(origins, "*") {
		o := origins[0]
		if slices.Contains(origins, "*") {
			o = "*"
		}
		c.origin = []string{o}
	}
	headers := slices.Clone(DefaultAllowHeaders)
	for _, h := range extra {
		if !slices.ContainsFunc(headers, func(x string) bool { return strings.EqualFold(x, h) }) {
			headers = append(headers, h)
		}
	}
	c.allowHeaders = []string{strings.Join(headers, ", ")}
	return c
}

// withCORS sets Parse's CORS headers and answers OPTIONS itself, as Parse
// Server does (200 "OK"), without reaching the API.
func (s *Server) withCORS(next http.Handler) http.Handler {
	c := s.cors
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if c.origin != nil {
			h["Access-Control-Allow-Origin"] = c.origin
		} else {
			// Several origins: echo the request's if listed, else the first,
			// as Parse Server does.
			o := r.Header.Get("Origin")
			if !slices.Contains(c.origins, o) {
				o = c.origins[0]
			}
			h["Access-Control-Allow-Origin"] = []string{o}
			h.Add("Vary", varyOrigin)
		}
		h["Access-Control-Expose-Headers"] = exposeHeaders
		if r.Method == http.MethodOptions {
			setRoute(r, "preflight")
			h["Access-Control-Allow-Methods"] = allowMethods
			h["Access-Control-Allow-Headers"] = c.allowHeaders
			h["Content-Type"] = []string{"text/plain; charset=utf-8"}
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(okBody)
			return
		}
		next.ServeHTTP(w, r)
	})
}
