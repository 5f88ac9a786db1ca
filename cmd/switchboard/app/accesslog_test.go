package app

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/core/server"
)

// slogLine is what slog's handler writes for the server's record of e (see
// core/server's finish and its ridHandler, which adds request_id last).
func slogLine(t *testing.T, newHandler func(w io.Writer) slog.Handler, e server.AccessEntry) []byte {
	t.Helper()
	var out bytes.Buffer
	rec := slog.NewRecord(e.Time, slog.LevelInfo, "request", 0)
	rec.AddAttrs(slog.String("method", e.Method), slog.String("path", e.Path), slog.String("route", e.Route),
		slog.Int("status", e.Status), slog.Duration("duration", e.Duration), slog.Int64("bytes", e.Bytes),
		slog.String("remote", e.Remote))
	rec.AddAttrs(slog.String("request_id", e.RequestID))
	if err := newHandler(&out).Handle(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

var accessStrings = []string{"", "GET", "/parse/classes/Item/abc", "/a b", "/a=b", `/q"x`, `/back\slash`, "/tab\there",
	"/nl\nx", "/ctl\x01\x7f", "/bf\b\f", "/é日本🙂", "/bad\xffutf8", "/\u2028\u2029", "/<html>&amp;", "/nbsp\u00a0x", "/zw\u200bx",
	"127.0.0.1:45678", "[::1]:80", "0123456789ab-1a2b", strings.Repeat("x", 300)}

func accessEntries() []server.AccessEntry {
	loc := time.FixedZone("east", 5*3600+1800)
	times := []time.Time{time.Date(2026, 12, 6, 11, 32, 0, 0, time.UTC), time.Date(2026, 12, 6, 11, 32, 1, 999999999, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 120000000, loc), time.Now()}
	durations := []time.Duration{0, 999, 1234567, 3 * time.Second, 90 * time.Minute}
	var out []server.AccessEntry
	for i, s := range accessStrings {
		out = append(out, server.AccessEntry{Time: times[i%len(times)], Method: s, Path: s, Route: "classes.get",
			Remote: accessStrings[(i+1)%len(accessStrings)], RequestID: s, Status: 200 + i, Duration: durations[i%len(durations)], Bytes: int64(i * 1000)})
	}
	return out
}

// Each access line is byte for byte what slog's TextHandler and
// JSONHandler write for the server's record of the request.
func TestAccessLineLikeSlog(t *testing.T) {
	for _, c := range []struct {
		name   string
		format accessFormat
		slog   func(w io.Writer) slog.Handler
	}{
		{"text", accessText, func(w io.Writer) slog.Handler { return slog.NewTextHandler(w, nil) }},
		{"json", accessJSON, func(w io.Writer) slog.Handler { return slog.NewJSONHandler(w, nil) }},
	} {
		for _, e := range accessEntries() {
			out := &recordingWriter{}
			buf := newLogBuffer(out, time.Hour)
			h := flushOnWarn{Handler: c.slog(buf), buf: buf, access: c.format}
			if !h.LogAccess(e) {
				t.Fatalf("%s: LogAccess declined", c.name)
			}
			buf.Close()
			if want := slogLine(t, c.slog, e); out.String() != string(want) {
				t.Errorf("%s:\n got %q\nwant %q", c.name, out.String(), want)
			}
		}
	}
}

// A handler with attributes or groups of its own declines: the server
// then logs the record through it, attributes and all.
func TestAccessLineDeclinedWithAttributes(t *testing.T) {
	buf := newLogBuffer(io.Discard, time.Hour)
	defer buf.Close()
	h := flushOnWarn{Handler: slog.NewTextHandler(buf, nil), buf: buf, access: accessText}
	for name, derived := range map[string]slog.Handler{
		"attrs": h.WithAttrs([]slog.Attr{slog.String("node", "a")}),
		"group": h.WithGroup("g"),
	} {
		if derived.(server.AccessLogger).LogAccess(accessEntries()[0]) {
			t.Errorf("%s: a derived handler wrote the access line itself", name)
		}
	}
}

func FuzzAccessLineLikeSlog(f *testing.F) {
	for _, s := range accessStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := server.AccessEntry{Time: time.Unix(1796554321, 123456789), Method: "GET", Path: s, Route: s, Remote: s, RequestID: s, Status: 200, Duration: 1500}
		for _, c := range []struct {
			format accessFormat
			slog   func(w io.Writer) slog.Handler
		}{
			{accessText, func(w io.Writer) slog.Handler { return slog.NewTextHandler(w, nil) }},
			{accessJSON, func(w io.Writer) slog.Handler { return slog.NewJSONHandler(w, nil) }},
		} {
			var b []byte
			if c.format == accessText {
				b = appendAccessText(nil, e)
			} else {
				b = appendAccessJSON(nil, e)
			}
			if want := slogLine(t, c.slog, e); !bytes.Equal(b, want) {
				t.Fatalf("%q:\n got %q\nwant %q", s, b, want)
			}
		}
	})
}
