// Package server is the HTTP shell around the Parse REST API: request ids,
// access logs, panic recovery, CORS, gzip, a body-size limit, Prometheus
// metrics, the health check, and graceful shutdown.
//
// The API itself (core/api) is passed in as an http.Handler that serves paths
// relative to the mount path, so this package depends on neither the App nor
// the API and can be tested alone.
//
// A request goes through, outermost first:
//
//	instrument  request id in/out, core.RequestInfo + logger in the context,
//	            in-flight gauge, metrics, access log, last-resort recover
//	cors        Parse's CORS headers; OPTIONS answered here
//	router      /health, the metrics path, and the mount path:
//	  gzip      compress responses the client accepts (≥ 1 KiB)
//	  api       body limits (size, slow bodies), recover → Parse 500 JSON,
//	            strip the mount path, call the API
//
// The recover that answers a panic with Parse JSON sits inside gzip, so a
// panic cannot let the compressor flush half a response first.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/gzhttp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/config"
)

// Options configure a Server. The zero value of every field but API is
// usable; OptionsFromConfig fills the configured ones.
type Options struct {
	// API serves the Parse REST routes, with paths relative to MountPath
	// ("/classes/Foo"). It sets core.RequestInfo.Route for metrics and logs.
	API http.Handler
	// Ready reports whether the app can serve (the store answers); /health
	// answers 503 while it fails. Nil means always ready.
	Ready func(ctx context.Context) error
	// Store, when it implements core.StoreStats, has its pool in /metrics.
	Store core.Store
	// WebSocket, when set, serves WebSocket upgrade requests to the mount
	// path itself ("/parse", where the Parse SDKs open LiveQuery), ahead
	// of gzip and the API.
	WebSocket http.Handler
	// Extra serves other APIs at the root beside the mount path, by path
	// prefix ("/1.1": the LeanCloud dialect): a request whose path is the
	// prefix or starts with prefix + "/" goes to its handler with the full
	// path, through the same chain as the API (gzip, body limit, recover).
	Extra map[string]http.Handler
	// MountPath is where the API is served (default "/parse").
	MountPath string
	// AllowOrigin lists the origins for Access-Control-Allow-Origin
	// (default "*"). With several, the request's Origin is echoed if listed.
	AllowOrigin []string
	// AllowHeaders are added to Parse's default Access-Control-Allow-Headers.
	AllowHeaders []string
	// MaxBodyBytes limits request bodies (0: no limit).
	MaxBodyBytes int64
	// BodyReadTimeout and BodyReadMinRate bound how slowly a request body
	// may arrive (slowbody.go): it must start within BodyReadTimeout and
	// then keep up BodyReadMinRate bytes a second. 0 for either: no limit.
	BodyReadTimeout time.Duration
	BodyReadMinRate int64
	// MetricsPath serves Prometheus metrics (empty: no metrics endpoint,
	// metrics are still collected in Registry()).
	MetricsPath string
	// Logger receives access and error logs (default slog.Default()).
	Logger *slog.Logger
	// ShutdownTimeout bounds how long Serve waits for in-flight requests once
	// its context is done (default 15s).
	ShutdownTimeout time.Duration
}

// OptionsFromConfig returns the Options that the configuration sets; the
// caller adds API, Ready, Store and Logger.
func OptionsFromConfig(c *config.Config) Options {
	o := Options{
		MountPath:       c.MountPath,
		AllowOrigin:     append([]string(nil), c.AllowOrigin...),
		AllowHeaders:    append([]string(nil), c.AllowHeaders...),
		MaxBodyBytes:    c.MaxUploadBytes(),
		BodyReadTimeout: time.Duration(c.BodyReadTimeout),
		BodyReadMinRate: c.BodyReadMinBytes(),
		ShutdownTimeout: time.Duration(c.ShutdownTimeout),
	}
	if c.Metrics.Enabled {
		o.MetricsPath = c.Metrics.Path
	}
	return o
}

// Server is the HTTP front of one App. It is an http.Handler; Serve runs it
// on a listener with graceful shutdown.
type Server struct {
	opts    Options
	log     *slog.Logger
	mount   string // "" for a root mount, else "/parse"
	handler http.Handler
	apiGzip http.Handler
	// extraGzip serves Options.Extra like the API.
	extraGzip http.Handler
	metrics   *metrics
	ids       idGenerator
	cors      corsHeaders
	stopping  atomic.Bool
}

// New builds a Server. It fails only on options that cannot work.
func New(opts Options) (*Server, error) {
	if opts.API == nil {
		return nil, errors.New("server: Options.API is nil")
	}
	if opts.MountPath == "" {
		opts.MountPath = "/parse"
	}
	if !strings.HasPrefix(opts.MountPath, "/") {
		return nil, fmt.Errorf("server: mount path %q must start with /", opts.MountPath)
	}
	if len(opts.AllowOrigin) == 0 {
		opts.AllowOrigin = []string{"*"}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = 15 * time.Second
	}
	s := &Server{
		opts:  opts,
		log:   opts.Logger,
		mount: strings.TrimSuffix(opts.MountPath, "/"),
		cors:  newCORSHeaders(opts.AllowOrigin, opts.AllowHeaders),
	}
	s.ids.init()
	s.metrics = newMetrics(opts.Store)
	gz, err := gzhttp.NewWrapper(gzhttp.EnableZstd(false))
	if err != nil {
		return nil, fmt.Errorf("server: gzip: %w", err)
	}
	s.apiGzip = gz(http.HandlerFunc(s.serveAPI))
	for prefix := range opts.Extra {
		if !strings.HasPrefix(prefix, "/") || strings.HasSuffix(prefix, "/") || prefix == s.mount {
			return nil, fmt.Errorf("server: extra prefix %q must start with / and not end with it, and differ from the mount path", prefix)
		}
	}
	s.extraGzip = gz(http.HandlerFunc(s.serveExtra))
	s.handler = s.instrument(s.withCORS(http.HandlerFunc(s.route)))
	return s, nil
}

// ServeHTTP serves one request through the whole chain.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Registry returns the Prometheus registry the server's metrics live in, so
// other parts of the binary can register their own collectors.
func (s *Server) Registry() *prometheus.Registry { return s.metrics.reg }

// route dispatches to health, metrics or the API.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case p == "/health":
		setRoute(r, "health")
		s.serveHealth(w, r, false)
	case s.mount != "" && p == s.mount+"/health":
		// Under the mount path the SDKs call it as any route: the JS SDK
		// (EventuallyQueue.poll) POSTs its envelope with _method GET.
		setRoute(r, "health")
		s.serveHealth(w, r, true)
	case s.opts.MetricsPath != "" && p == s.opts.MetricsPath:
		setRoute(r, "metrics")
		s.metrics.handler.ServeHTTP(w, r)
	case s.opts.WebSocket != nil && (p == s.mount || p == s.mount+"/" || (s.mount == "" && p == "/")) && isWebSocketUpgrade(r):
		setRoute(r, "websocket")
		s.opts.WebSocket.ServeHTTP(w, r)
	case s.extraFor(p) != nil:
		s.extraGzip.ServeHTTP(w, r)
	case s.mount == "" || p == s.mount || (len(p) > len(s.mount) && p[len(s.mount)] == '/' && p[:len(s.mount)] == s.mount):
		s.apiGzip.ServeHTTP(w, r)
	default:
		setRoute(r, "not_found")
		http.NotFound(w, r)
	}
}

// isWebSocketUpgrade reports whether r asks to switch to WebSocket.
func isWebSocketUpgrade(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.EqualFold(r.Header.Get("Upgrade"), "websocket") &&
		headerHasToken(r.Header.Values("Connection"), "upgrade")
}

func headerHasToken(values []string, token string) bool {
	for _, v := range values {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// serveAPI applies the body limits (size, slow bodies) and the Parse-JSON
// recover, strips the mount path and calls the API.
func (s *Server) serveAPI(rw http.ResponseWriter, r *http.Request) {
	s.guarded(rw, r, func(w http.ResponseWriter, r *http.Request) {
		r2 := new(http.Request)
		*r2 = *r
		r2.URL = stripPrefix(r.URL, s.mount)
		s.opts.API.ServeHTTP(w, r2)
	})
}

// guarded runs serve with the body limit and the Parse-JSON recover.
func (s *Server) guarded(rw http.ResponseWriter, r *http.Request, serve func(w http.ResponseWriter, r *http.Request)) {
	w := &apiWriter{ResponseWriter: rw}
	defer s.recoverAPI(w, r)
	s.guardBody(w, r)
	if max := s.opts.MaxBodyBytes; max > 0 && r.Body != nil && r.Body != http.NoBody {
		if r.ContentLength > max {
			writeError(w, BodyTooLarge(max))
			return
		}
		// Reads past the limit fail with *http.MaxBytesError, which the
		// API maps to the same Parse error as above.
		r.Body = http.MaxBytesReader(w, r.Body, max)
	}
	serve(w, r)
}

// extraFor returns the Options.Extra handler for path p, or nil.
func (s *Server) extraFor(p string) http.Handler {
	for prefix, h := range s.opts.Extra {
		if strings.HasPrefix(p, prefix) && (len(p) == len(prefix) || p[len(prefix)] == '/') {
			return h
		}
	}
	return nil
}

// serveExtra serves an Options.Extra handler like the API, with the
// path whole.
func (s *Server) serveExtra(rw http.ResponseWriter, r *http.Request) {
	s.guarded(rw, r, func(w http.ResponseWriter, r *http.Request) { s.extraFor(r.URL.Path).ServeHTTP(w, r) })
}

// BodyTooLarge is the Parse error for a request body over the limit; it is
// the same error core/api returns when reading the body fails with
// *http.MaxBytesError, so both paths look alike to clients.
func BodyTooLarge(limit int64) *core.Error {
	return core.Errorf(core.CodeObjectTooLarge, "request body is larger than the limit of %d bytes", limit)
}

func setRoute(r *http.Request, route string) {
	if info := core.RequestInfoFrom(r.Context()); info != nil {
		info.Route = route
	}
}

// serveHealth answers GET and HEAD, and POST when envelope is set.
func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request, envelope bool) {
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Cache-Control"] = noStore
	if r.Method != http.MethodGet && r.Method != http.MethodHead && !(envelope && r.Method == http.MethodPost) {
		h["Allow"] = []string{"GET, HEAD"}
		if envelope {
			h["Allow"] = []string{"GET, HEAD, POST"}
		}
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	if s.stopping.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"status":"shutting down"}`))
		return
	}
	if s.opts.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		err := s.opts.Ready(ctx)
		cancel()
		if err != nil {
			core.LoggerFrom(r.Context()).Warn("health check failed", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"status":"unavailable"}`))
			return
		}
	}
	_, _ = w.Write([]byte(`{"status":"ok"}`))
}

// Serve serves on ln until ctx is done, then shuts down gracefully: it
// stops accepting, marks /health unavailable, and waits up to
// ShutdownTimeout for in-flight requests before closing what is left. It
// returns nil after a clean shutdown. Closing the app is the caller's job,
// after Serve returns.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving http: %w", err)
	case <-ctx.Done():
	}
	s.stopping.Store(true)
	s.log.Info("shutting down: waiting for in-flight requests", "timeout", s.opts.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if err != nil {
		_ = srv.Close()
		<-errc
		return fmt.Errorf("shutdown: requests still running after %s were cut off: %w", s.opts.ShutdownTimeout, err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving http: %w", err)
	}
	return nil
}
