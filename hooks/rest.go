package hooks

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// The REST routes for deployments and logs, relative to the mount path.
// They need the master key: the core checks it before calling the handler.
//
//	POST /deployments            {"files": {"main.js": "<base64>", ...}, "encoding": "base64", "note": "..."}
//	                             → 201 {version, hash, createdAt, note, files, bytes, active: true}
//	                             (encoding may be omitted: file contents are then plain strings)
//	GET  /deployments            → {"results": [VersionInfo, ...]} newest first
//	PUT  /deployments/:version   {"active": true} → VersionInfo (rollback)
//	GET  /scriptlog              ?level=info&size=10&order=desc&from=ISO&until=ISO&version=N
//	                             → [{timestamp, level, message, source, version}, ...] (Parse's route)
type restHandler struct {
	m         *Manager
	authorize func(*http.Request) error
}

// NewHandler serves the deployment routes and GET /scriptlog on paths
// relative to the mount path ("/deployments", "/scriptlog"). authorize must
// return nil only for master-key requests (a *core.Error otherwise, e.g.
// 119); the core passes its own key check.
func NewHandler(m *Manager, authorize func(*http.Request) error) http.Handler {
	return &restHandler{m: m, authorize: authorize}
}

// maxUploadBytes bounds a deployment request body: the bundle limit, grown
// by base64 and JSON.
const maxUploadBytes = MaxBundleBytes*4/3 + 1<<20

type uploadBody struct {
	Files    map[string]string `json:"files"`
	Encoding string            `json:"encoding"`
	Note     string            `json:"note"`
}

func (h *restHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := h.authorize(r); err != nil {
		writeError(w, err)
		return
	}
	path := strings.Trim(r.URL.Path, "/")
	switch {
	case path == "deployments" && r.Method == http.MethodPost:
		h.upload(w, r)
	case path == "deployments" && r.Method == http.MethodGet:
		list, err := h.m.Versions(r.Context())
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"results": list})
	case strings.HasPrefix(path, "deployments/") && r.Method == http.MethodPut:
		v, err := strconv.Atoi(strings.TrimPrefix(path, "deployments/"))
		if err != nil || v < 1 {
			writeError(w, core.Errorf(core.CodeInvalidJSON, "deployment version must be a positive number, got %q", strings.TrimPrefix(path, "deployments/")))
			return
		}
		var body struct {
			Active *bool `json:"active"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&body); err != nil || body.Active == nil || !*body.Active {
			writeError(w, core.Errorf(core.CodeInvalidJSON, `send {"active": true} to activate version %d`, v))
			return
		}
		info, err := h.m.Activate(r.Context(), v)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, info)
	case path == "scriptlog" && r.Method == http.MethodGet:
		h.logs(w, r)
	default:
		writeError(w, core.Errorf(core.CodeInvalidJSON, "no route %s /%s", r.Method, path))
	}
}

func (h *restHandler) upload(w http.ResponseWriter, r *http.Request) {
	var body uploadBody
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxUploadBytes)).Decode(&body); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, core.Errorf(core.CodeObjectTooLarge, "the deployment is larger than %d bytes", maxUploadBytes))
			return
		}
		writeError(w, core.Errorf(core.CodeInvalidJSON, `the body must be {"files": {"main.js": "..."}, "encoding": "base64", "note": "..."}: %v`, err))
		return
	}
	files := make(map[string][]byte, len(body.Files))
	for p, content := range body.Files {
		switch body.Encoding {
		case "base64":
			b, err := base64.StdEncoding.DecodeString(content)
			if err != nil {
				writeError(w, core.Errorf(core.CodeInvalidJSON, "file %q is not valid base64", p))
				return
			}
			files[p] = b
		case "", "utf8":
			files[p] = []byte(content)
		default:
			writeError(w, core.Errorf(core.CodeInvalidJSON, "encoding must be base64 or utf8, not %q", body.Encoding))
			return
		}
	}
	b, err := NewBundle(files)
	if err != nil {
		writeError(w, err)
		return
	}
	if len(body.Note) > 500 {
		body.Note = body.Note[:500]
	}
	info, err := h.m.Deploy(r.Context(), b, body.Note)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, info)
}

func (h *restHandler) logs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	lq := LogQuery{Level: q.Get("level"), Ascending: q.Get("order") == "asc"}
	for _, p := range []struct {
		name string
		dst  *int
	}{{"size", &lq.Size}, {"version", &lq.Version}} {
		if s := q.Get(p.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				writeError(w, core.Errorf(core.CodeInvalidJSON, "%s must be a non-negative number", p.name))
				return
			}
			*p.dst = n
		}
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &lq.From}, {"until", &lq.Until}} {
		if s := q.Get(p.name); s != "" {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				writeError(w, core.Errorf(core.CodeInvalidJSON, "%s must be an ISO-8601 date", p.name))
				return
			}
			*p.dst = t
		}
	}
	writeJSON(w, http.StatusOK, h.m.Logs(lq))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, err error) {
	ce := core.AsError(err)
	writeJSON(w, ce.HTTPStatus(), map[string]any{"code": ce.Code, "error": ce.Message})
}
