package server

import (
	"errors"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// Slow request bodies.
//
// net/http's ReadTimeout bounds the headers and the body together, so any
// value short enough to stop a client that sends one byte every few seconds
// would also cut a large upload on a slow network. What tells the two apart
// is the rate: a body gets BodyReadTimeout to start, and must then keep
// arriving at BodyReadMinRate bytes a second on average. Its deadline is
//
//	start + BodyReadTimeout + received / BodyReadMinRate
//
// moved forward before every read of the connection, so a steady upload at
// any rate above the minimum never meets it, however long it takes, while a
// trickle falls behind it within BodyReadTimeout plus a second for every
// BodyReadMinRate bytes it managed to send. (MaxBodyBytes bounds the
// longest wait at any rate: BodyReadTimeout + MaxBodyBytes / MinRate.)
//
// The deadline is the connection's read deadline (http.ResponseController),
// so a read blocked on a silent client wakes up at it. Once the body has
// been read whole, net/http clears it itself when it starts reading the
// connection to notice the client going away (a deadline left there would
// cancel the request's context while the handler still works;
// TestDeadlineEndsWithTheBody holds net/http to that). Requests without a
// body get no deadline at all.

// DefaultBodyReadTimeout and DefaultBodyReadMinRate are the body limits the
// configuration's defaults set.
const (
	DefaultBodyReadTimeout = 10 * time.Second
	DefaultBodyReadMinRate = 1024 // bytes a second
)

// errSlowBody is what a read of a body that fell behind its deadline
// returns; core/api answers it as it is.
func errSlowBody(timeout time.Duration, rate int64) *core.Error {
	return core.Errorf(core.CodeTimeout,
		"the request body arrived too slowly: a body must start within %s and then arrive at %d bytes a second at least (bodyReadTimeout, bodyReadMinRate)",
		timeout, rate)
}

// rateBody wraps a request body with the deadline above.
type rateBody struct {
	body     io.ReadCloser
	rc       *http.ResponseController
	start    time.Time
	timeout  time.Duration
	rate     int64
	received int64
	done     bool
}

// guardBody installs the rate deadline on r's body, when it has one and the
// connection supports read deadlines. w must unwrap to the server's
// http.ResponseWriter.
func (s *Server) guardBody(w http.ResponseWriter, r *http.Request) {
	timeout, rate := s.opts.BodyReadTimeout, s.opts.BodyReadMinRate
	if timeout <= 0 || rate <= 0 || r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return
	}
	b := &rateBody{body: r.Body, rc: http.NewResponseController(w), start: time.Now(), timeout: timeout, rate: rate}
	if err := b.rc.SetReadDeadline(b.deadline()); err != nil {
		return // a connection without deadlines (not net/http's): nothing to guard with
	}
	r.Body = b
}

func (b *rateBody) deadline() time.Time {
	return b.start.Add(b.timeout + time.Duration(float64(b.received)/float64(b.rate)*float64(time.Second)))
}

func (b *rateBody) Read(p []byte) (int, error) {
	if b.done {
		return b.body.Read(p)
	}
	_ = b.rc.SetReadDeadline(b.deadline())
	n, err := b.body.Read(p)
	b.received += int64(n)
	switch {
	case err == io.EOF:
		b.done = true
	case err != nil && errors.Is(err, os.ErrDeadlineExceeded):
		return n, errSlowBody(b.timeout, b.rate)
	}
	return n, err
}

func (b *rateBody) Close() error { return b.body.Close() }
