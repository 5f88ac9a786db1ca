package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// slowBodyServer serves an API that reads the whole body and answers its
// length, or the Parse error the read failed with; /work reads the body
// and then works for workFor, answering whether the request's context
// was still alive afterwards.
func slowBodyServer(t *testing.T, timeout time.Duration, rate int64, workFor time.Duration) string {
	t.Helper()
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		var pe *core.Error
		switch {
		case errors.As(err, &pe):
			writeError(w, pe)
			return
		case err != nil:
			writeError(w, core.Internal(err))
			return
		}
		if r.URL.Path == "/work" {
			select {
			case <-time.After(workFor):
			case <-r.Context().Done():
				_, _ = fmt.Fprintf(w, `{"read":%d,"ctx":"cancelled"}`, len(b))
				return
			}
		}
		_, _ = fmt.Fprintf(w, `{"read":%d,"ctx":"alive"}`, len(b))
	})
	s, err := New(Options{API: api, BodyReadTimeout: timeout, BodyReadMinRate: rate, MaxBodyBytes: 10 << 20,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts.Listener.Addr().String()
}

// rawRequest opens a TCP connection and sends a POST's head.
func rawRequest(t *testing.T, addr, path string, length int) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := fmt.Fprintf(conn, "POST /parse%s HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", path, length); err != nil {
		t.Fatal(err)
	}
	return conn
}

// TestSlowBodyIsCut: a body sent a byte at a time is answered with 124 and
// the connection closed, long before the client would have finished.
func TestSlowBodyIsCut(t *testing.T) {
	addr := slowBodyServer(t, 300*time.Millisecond, 1000, 0)
	const length = 1000
	conn := rawRequest(t, addr, "/classes/Foo", length)
	// The client would take 100 s for its 1000 bytes.
	stop := make(chan struct{})
	sent := make(chan int, 1)
	go func() {
		n := 0
		defer func() { sent <- n }()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for n < length {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			if _, err := conn.Write([]byte("x")); err != nil {
				return
			}
			n++
		}
	}()
	// A bound on the test, not an assertion on the server's speed.
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a slow body: %v", err)
	}
	body, _ := io.ReadAll(res.Body)
	close(stop)
	n := <-sent
	if res.StatusCode != 400 || !strings.Contains(string(body), `"code":124`) || !strings.Contains(string(body), "too slowly") {
		t.Fatalf("answer: %d %s", res.StatusCode, body)
	}
	if n >= length {
		t.Fatalf("the whole body was read (%d bytes): nothing was cut", n)
	}
	if !res.Close && res.Header.Get("Connection") != "close" {
		// The server must not keep reading a connection whose body it
		// gave up on: the next read is EOF.
		if _, err := bufio.NewReader(conn).ReadByte(); err == nil {
			t.Fatal("the connection stays open after a cut body")
		}
	}
}

// TestSilentBodyIsCut: a client that sends the head and then nothing is
// cut once the body's start time has passed.
func TestSilentBodyIsCut(t *testing.T) {
	addr := slowBodyServer(t, 200*time.Millisecond, 1000, 0)
	conn := rawRequest(t, addr, "/classes/Foo", 10)
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a silent body: %v", err)
	}
	body, _ := io.ReadAll(res.Body)
	if !strings.Contains(string(body), `"code":124`) {
		t.Fatalf("answer: %d %s", res.StatusCode, body)
	}
}

// TestSteadyUploadOutlastsTheTimeout: a large body sent steadily above the
// minimum rate is read whole, though it takes longer than the timeout;
// and the deadline never reaches a request once its body is read.
func TestSteadyUploadOutlastsTheTimeout(t *testing.T) {
	addr := slowBodyServer(t, 200*time.Millisecond, 1000, 600*time.Millisecond)
	const chunk, chunks = 16 << 10, 12 // 192 KiB in ~0.6 s: 300 KiB/s
	conn := rawRequest(t, addr, "/work", chunk*chunks)
	go func() {
		part := []byte(strings.Repeat("y", chunk))
		for range chunks {
			if _, err := conn.Write(part); err != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	if want := fmt.Sprintf(`{"read":%d,"ctx":"alive"}`, chunk*chunks); res.StatusCode != 200 || string(body) != want {
		t.Fatalf("answer: %d %s, want %s", res.StatusCode, body, want)
	}
}

// TestBodylessRequestsHaveNoDeadline: GETs and empty POSTs that work
// longer than the timeout are untouched.
func TestBodylessRequestsHaveNoDeadline(t *testing.T) {
	addr := slowBodyServer(t, 100*time.Millisecond, 1000, 400*time.Millisecond)
	for _, method := range []string{"GET", "POST"} {
		req, _ := http.NewRequestWithContext(context.Background(), method, "http://"+addr+"/parse/work", nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || string(body) != `{"read":0,"ctx":"alive"}` {
			t.Errorf("%s: %d %s", method, res.StatusCode, body)
		}
	}
}

// TestBodyReadTimeoutOff: with no timeout a slow body is waited for.
func TestBodyReadTimeoutOff(t *testing.T) {
	addr := slowBodyServer(t, 0, 0, 0)
	conn := rawRequest(t, addr, "/classes/Foo", 3)
	for range 3 {
		time.Sleep(100 * time.Millisecond)
		if _, err := conn.Write([]byte("z")); err != nil {
			t.Fatal(err)
		}
	}
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	if string(body) != `{"read":3,"ctx":"alive"}` {
		t.Fatalf("answer: %d %s", res.StatusCode, body)
	}
}

// TestDeadlineEndsWithTheBody: a small body read at once, then work longer
// than the body's deadline: the request's context stays alive, since the
// deadline is cleared when the body ends (a deadline left on the
// connection would cancel it).
func TestDeadlineEndsWithTheBody(t *testing.T) {
	addr := slowBodyServer(t, 100*time.Millisecond, 1000, 500*time.Millisecond)
	res, err := http.Post("http://"+addr+"/parse/work", "application/json", strings.NewReader(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(body) != `{"read":7,"ctx":"alive"}` {
		t.Fatalf("answer: %d %s", res.StatusCode, body)
	}
}
