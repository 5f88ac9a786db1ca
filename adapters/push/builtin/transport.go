package builtin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/switchboardhq/switchboard/core"
)

const (
	// connectTimeout bounds the wait for a WebSocket's connect message.
	connectTimeout = 10 * time.Second
	// maxClientMessage bounds what a device sends (an ack of many ids).
	maxClientMessage = 64 << 10
	// maxAckIDs bounds the ids of one acknowledgement.
	maxAckIDs = 1000
	// writeTimeout bounds one write to a device.
	writeTimeout = 10 * time.Second
)

// Handler serves device connections under the API mount: paths are
// relative to it (/pushChannel, /pushChannel/ack).
func (ch *Channel) Handler(ctx context.Context, identify core.PushIdentifyFunc) http.Handler {
	go func() {
		select {
		case <-ctx.Done():
			ch.hub.closeAll()
		case <-ch.ctx.Done():
		}
	}()
	return &handler{ch: ch, identify: identify}
}

type handler struct {
	ch       *Channel
	identify core.PushIdentifyFunc
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.ch.connsMu.RLock()
	if h.ch.closing.Load() {
		h.ch.connsMu.RUnlock()
		writeError(w, core.Errorf(core.CodeConnectionFailed, "the server is shutting down: connect again"))
		return
	}
	h.ch.conns.Add(1)
	h.ch.connsMu.RUnlock()
	path := strings.Trim(r.URL.Path, "/")
	if path == core.PushChannelSegment && r.Method == http.MethodGet && isUpgrade(r) {
		h.serveWebSocket(w, r) // it calls conns.Done when the connection ends
		return
	}
	defer h.ch.conns.Done()
	switch {
	case path == core.PushChannelSegment && r.Method == http.MethodGet:
		h.serveEvents(w, r)
	case path == core.PushChannelSegment+"/ack" && r.Method == http.MethodPost:
		h.serveAck(w, r)
	default:
		writeError(w, core.Errorf(core.CodeInvalidJSON, "no route for %s /%s: devices connect with GET /%s (WebSocket or Server-Sent Events) and acknowledge with POST /%s/ack",
			r.Method, path, core.PushChannelSegment, core.PushChannelSegment))
	}
}

func isUpgrade(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// credentials reads a device's credentials from the X-Parse-* headers,
// then from the query string or a body's fields.
func credentials(r *http.Request, fields map[string]any) core.PushCredentials {
	get := func(header, key string) string {
		if v := r.Header.Get(header); v != "" {
			return v
		}
		if s, ok := fields[key].(string); ok && s != "" {
			return s
		}
		return r.URL.Query().Get(key)
	}
	return core.PushCredentials{
		ApplicationID:  get("X-Parse-Application-Id", "applicationId"),
		ClientKey:      firstNonEmpty(r.Header.Get("X-Parse-Client-Key"), r.Header.Get("X-Parse-Javascript-Key"), r.Header.Get("X-Parse-REST-API-Key"), get("", "clientKey")),
		InstallationID: get("X-Parse-Installation-Id", "installationId"),
		SessionToken:   get("X-Parse-Session-Token", "sessionToken"),
	}
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// ---- WebSocket ----

type clientMessage struct {
	Op             string   `json:"op"`
	ApplicationID  string   `json:"applicationId"`
	ClientKey      string   `json:"clientKey"`
	InstallationID string   `json:"installationId"`
	SessionToken   string   `json:"sessionToken"`
	IDs            []string `json:"ids"`
}

type serverMessage struct {
	Op             string         `json:"op"`
	InstallationID string         `json:"installationId,omitempty"`
	ID             string         `json:"id,omitempty"`
	PushID         string         `json:"pushId,omitempty"`
	Data           map[string]any `json:"data,omitempty"`
	ExpiresAt      string         `json:"expiresAt,omitempty"`
	Code           int            `json:"code,omitempty"`
	Error          string         `json:"error,omitempty"`
}

func pushMessage(m *message) serverMessage {
	return serverMessage{Op: "push", ID: m.ID, PushID: m.PushID, Data: m.Data, ExpiresAt: core.FormatTime(m.ExpiresAt)}
}

// serveWebSocket takes the connection over and serves it from a goroutine
// of its own: the request's goroutine, deep in the server's middleware,
// returns, so that an idle device costs two small goroutines (this one
// and its reader) and not the request's stack.
func (h *handler) serveWebSocket(w http.ResponseWriter, r *http.Request) {
	// Devices authenticate with their credentials in the first message,
	// never with cookies, so a page of another origin gains nothing by
	// opening a socket: any origin may connect, as to the REST API.
	ws, err := websocket.Accept(connection(w), r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		h.ch.conns.Done()
		return // Accept answered the client
	}
	go func() {
		defer h.ch.conns.Done()
		h.runWebSocket(ws)
	}()
}

func (h *handler) runWebSocket(ws *websocket.Conn) {
	ws.SetReadLimit(maxClientMessage)
	ctx, cancel := context.WithCancel(h.ch.ctx)
	defer cancel()

	hello, err := readMessage(ctx, ws, connectTimeout)
	if err != nil {
		ws.Close(websocket.StatusPolicyViolation, "send a connect message first")
		return
	}
	if hello.Op != "connect" {
		refuse(ctx, ws, core.Errorf(core.CodeInvalidJSON, `the first message must be {"op": "connect", ...}`))
		return
	}
	id, err := h.identify(ctx, core.PushCredentials{ApplicationID: hello.ApplicationID, ClientKey: hello.ClientKey,
		InstallationID: hello.InstallationID, SessionToken: hello.SessionToken})
	if err != nil {
		refuse(ctx, ws, err)
		return
	}
	c := h.ch.hub.open(id)
	defer h.ch.hub.remove(c)
	if err := writeMessage(ctx, ws, serverMessage{Op: "connected", InstallationID: strings.ToLower(hello.InstallationID)}); err != nil {
		return
	}
	go h.ch.hub.refill(c)

	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		defer c.close(errReplaced)
		for {
			m, err := readMessage(ctx, ws, 0)
			if err != nil {
				return
			}
			switch m.Op {
			case "ack":
				if len(m.IDs) > maxAckIDs {
					refuse(ctx, ws, core.Errorf(core.CodeInvalidValue, "an ack holds at most %d ids", maxAckIDs))
					return
				}
				h.ch.ack(c.acked(m.IDs))
			default:
				refuse(ctx, ws, core.Errorf(core.CodeInvalidJSON, "unknown op %q: send ack", m.Op))
				return
			}
		}
	}()

	ping := time.NewTicker(time.Duration(h.ch.opts.PingInterval))
	defer ping.Stop()
	for {
		select {
		case <-c.wake:
			for _, m := range c.take() {
				if err := writeMessage(ctx, ws, pushMessage(m)); err != nil {
					return
				}
			}
		case <-ping.C:
			pctx, pcancel := context.WithTimeout(ctx, time.Duration(h.ch.opts.PingInterval))
			err := ws.Ping(pctx)
			pcancel()
			if err != nil {
				ws.Close(websocket.StatusGoingAway, "no answer to a ping")
				return
			}
		case <-c.done:
			switch {
			case errors.Is(c.why, errShutdown):
				ws.Close(websocket.StatusGoingAway, "the server is shutting down: reconnect")
			default:
				ws.Close(websocket.StatusNormalClosure, "")
			}
			<-readDone
			return
		}
	}
}

func readMessage(ctx context.Context, ws *websocket.Conn, timeout time.Duration) (clientMessage, error) {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	var m clientMessage
	typ, data, err := ws.Read(ctx)
	if err != nil {
		return m, err
	}
	if typ != websocket.MessageText || json.Unmarshal(data, &m) != nil {
		return m, core.Errorf(core.CodeInvalidJSON, "messages are JSON text")
	}
	return m, nil
}

func writeMessage(ctx context.Context, ws *websocket.Conn, m serverMessage) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	return ws.Write(ctx, websocket.MessageText, b)
}

// refuse tells the device why and closes the connection.
func refuse(ctx context.Context, ws *websocket.Conn, err error) {
	e := core.AsError(err)
	_ = writeMessage(ctx, ws, serverMessage{Op: "error", Code: int(e.Code), Error: e.Message})
	ws.Close(websocket.StatusPolicyViolation, truncate(e.Message, 120))
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// connection returns the writer of the connection itself, under the API's
// wrappers: the WebSocket handshake takes the connection over, which the
// response compressor in front of the API would refuse.
func connection(w http.ResponseWriter) http.ResponseWriter {
	for {
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return w
		}
		w = u.Unwrap()
	}
}

// ---- Server-Sent Events ----

func (h *handler) serveEvents(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	id, err := h.identify(ctx, credentials(r, nil))
	if err != nil {
		writeError(w, err)
		return
	}
	c := h.ch.hub.open(id)
	defer h.ch.hub.remove(c)
	hdr := w.Header()
	hdr.Set("Content-Type", "text/event-stream")
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	send := func(event, id string, v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if id != "" {
			fmt.Fprintf(w, "id: %s\n", id)
		}
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b); err != nil {
			return err
		}
		_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout))
		return rc.Flush()
	}
	if err := send("connected", "", serverMessage{Op: "connected", InstallationID: strings.ToLower(credentials(r, nil).InstallationID)}); err != nil {
		return
	}
	go h.ch.hub.refill(c)
	ping := time.NewTicker(time.Duration(h.ch.opts.PingInterval))
	defer ping.Stop()
	for {
		select {
		case <-c.wake:
			for _, m := range c.take() {
				if err := send("push", m.ID, pushMessage(m)); err != nil {
					return
				}
			}
		case <-ping.C:
			if _, err := io.WriteString(w, ": ping\n\n"); err != nil {
				return
			}
			if rc.Flush() != nil {
				return
			}
		case <-c.done:
			return
		case <-ctx.Done():
			return
		}
	}
}

// serveAck takes the acknowledgements of a device on Server-Sent Events.
func (h *handler) serveAck(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxClientMessage+1))
	if err != nil {
		writeError(w, core.Errorf(core.CodeInvalidJSON, "reading the body: %v", err))
		return
	}
	if len(body) > maxClientMessage {
		writeError(w, core.Errorf(core.CodeObjectTooLarge, "an ack is at most %d bytes", maxClientMessage))
		return
	}
	var fields map[string]any
	if err := json.Unmarshal(body, &fields); err != nil || fields == nil {
		writeError(w, core.Errorf(core.CodeInvalidJSON, `the body must be JSON: {"ids": [...]}`))
		return
	}
	raw, _ := fields["ids"].([]any)
	if len(raw) == 0 || len(raw) > maxAckIDs {
		writeError(w, core.Errorf(core.CodeInvalidValue, "ids must list 1 to %d message ids", maxAckIDs))
		return
	}
	ids := make([]string, 0, len(raw))
	for _, v := range raw {
		s, ok := v.(string)
		if !ok {
			writeError(w, core.Errorf(core.CodeInvalidValue, "ids must be strings"))
			return
		}
		ids = append(ids, s)
	}
	id, err := h.identify(r.Context(), credentials(r, fields))
	if err != nil {
		writeError(w, err)
		return
	}
	// The acknowledgement may come to another node than the one holding
	// the stream (no sticky sessions): the messages are deleted here, for
	// this installation only, and any stream of it here stops waiting for
	// them.
	h.ch.hub.mu.RLock()
	conns := append([]*conn(nil), h.ch.hub.conns[id]...)
	h.ch.hub.mu.RUnlock()
	for _, c := range conns {
		c.acked(ids)
	}
	n, err := h.ch.deleteMessages(r.Context(), ids, id)
	if err == nil && n == int64(len(ids)) {
		// All were this device's: none is sent again. (Otherwise some
		// were another device's, which must not be held back here.)
		h.ch.remember(ids)
	}
	if err != nil {
		writeError(w, core.Errorf(core.CodeConnectionFailed, "the acknowledgement could not be stored; send it again"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"acked": n})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeError(w http.ResponseWriter, err error) {
	e := core.AsError(err)
	writeJSON(w, e.HTTPStatus(), map[string]any{"code": int(e.Code), "error": e.Message})
}
