package livequery

import (
	"encoding/json"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// testRelay is a relay whose Server only queues what it receives.
func testRelay() (*relay, *Server) {
	s := &Server{events: make(chan *core.ChangeEvent, 100), log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	return &relay{s: s, node: "me", partial: map[string]*partialEvent{}}, s
}

func TestWireRoundTrip(t *testing.T) {
	when := time.Date(2024, 5, 6, 7, 8, 9, 123e6, time.UTC)
	obj := core.Object{
		"objectId": "abc", "createdAt": when, "updatedAt": when,
		"ACL": core.ACL{"*": {Read: true}, "u1": {Read: true, Write: true}},
		"s":   "é\u0000x", "n": 1.5, "b": true, "d": when,
		"o": map[string]any{"k": []any{1.0, map[string]any{"__type": "Pointer", "className": "X", "objectId": "y"}}},
		"a": []any{"x", nil}, "p": core.Pointer{ClassName: "_User", ObjectID: "u1"},
		"g": core.GeoPoint{Latitude: 1, Longitude: 2}, "poly": core.Polygon{{0, 0}, {0, 1}, {1, 1}},
		"by": core.Bytes{Base64: "AAE="}, "f": core.File{Name: "a.txt", URL: "http://x/a.txt"},
		"_hashed_password": "secret",
	}
	got, err := decodeFromWire(encodeForWire(obj))
	if err != nil {
		t.Fatal(err)
	}
	delete(obj, "_hashed_password")
	if !reflect.DeepEqual(got, obj) {
		t.Errorf("round trip:\n got %#v\nwant %#v", got, obj)
	}
}

func wirePayload(events ...wireEvent) string {
	b, _ := json.Marshal(events)
	return "1 other e " + string(b)
}

func TestRelayReceive(t *testing.T) {
	r, s := testRelay()
	ev := wireEvent{Kind: core.Updated, ClassName: "C", Object: map[string]any{"objectId": "a", "t": strings.Repeat("ü", 10_000)}, Original: map[string]any{"objectId": "a"}}
	full, _ := json.Marshal(ev)
	text := string(full)
	// Split as sendParts does, in three parts, delivered interleaved with
	// another node's message and with garbage.
	var parts []string
	for i := 0; i < 3; i++ {
		n := len(text) / (3 - i)
		for n < len(text) && n > 0 && text[n]&0xC0 == 0x80 {
			n--
		}
		parts = append(parts, text[:n])
		text = text[n:]
	}
	for _, p := range []string{
		"*",
		"1 other p 7 0 3 " + parts[0],
		wirePayload(wireEvent{Kind: core.Created, ClassName: "D", Object: map[string]any{"objectId": "b"}}),
		"garbage",
		"2 other e []",                 // a newer version: ignored
		"1 me e " + wirePayload()[10:], // our own: ignored
		"1 other p 7 9 3 x",            // index out of range
		"1 other p 7 x 3 x",            // not a number
		"1 other e [{\"k\":1,\"c\":\"bad name!\",\"o\":{}}]",
		"1 other e [{\"k\":1,\"c\":\"C\",\"o\":{\"ACL\":3}}]",
		"1 other e not json",
		"1 other p 7 1 3 " + parts[1],
		"1 other p 7 2 3 " + parts[2],
	} {
		r.receive(p)
	}
	if len(s.events) != 2 {
		t.Fatalf("queued %d events, want 2 (D, then the reassembled C)", len(s.events))
	}
	first, second := <-s.events, <-s.events
	if first.ClassName != "D" || second.ClassName != "C" || second.Object["t"] != ev.Object["t"] || second.Original.ID() != "a" {
		t.Errorf("got %v and %v", first, second)
	}
	// A duplicate part voids the message instead of corrupting it.
	r.receive("1 other p 8 0 2 " + parts[0])
	r.receive("1 other p 8 0 2 " + parts[0])
	r.receive("1 other p 8 1 2 x")
	if len(s.events) != 0 || len(r.partial) != 1 {
		t.Errorf("a duplicate part: %d events, %d partial", len(s.events), len(r.partial))
	}
}
