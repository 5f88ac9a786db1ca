package conformance

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
)

// BeginHTTP starts serving one request of a fake HTTP provider: it counts
// it, stalls it or drops its connection when told to, and returns the
// failure the fake must answer with (0 for none). ok is false when the
// handler must return at once. The body is read first (at most 4 MiB) and
// put back, because the server notices a client that hangs up (and
// cancels r.Context()) only once the body has been read.
func (f *Faults) BeginHTTP(w http.ResponseWriter, r *http.Request) (mode Failure, ok bool) {
	mode, stall := f.Next()
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		return 0, false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if stall {
		select {
		case <-r.Context().Done():
		case <-f.Released():
		}
		return 0, false
	}
	if mode == Down {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return 0, false
			}
		}
		panic(http.ErrAbortHandler) // HTTP/2: resets the stream
	}
	return mode, true
}

// WriteJSON answers a fake's request with v as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// RandomHex returns n random bytes in hex, for a fake's ids and secrets.
func RandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
