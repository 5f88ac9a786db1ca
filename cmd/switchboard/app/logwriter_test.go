package app

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// recordingWriter records what reaches the log output, write by write.
type recordingWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
}

func (s *recordingWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	return s.buf.Write(p)
}

func (s *recordingWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

func (s *recordingWriter) Writes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

// Every line written through a logBuffer reaches the writer whole, once,
// in an order that keeps each goroutine's lines in order, in far fewer
// writes than lines, and none is left behind after Flush.
func TestLogBufferKeepsEveryLine(t *testing.T) {
	out := &recordingWriter{}
	b := newLogBuffer(out, time.Hour) // only size and Flush write here
	defer b.Close()
	const goroutines, lines = 16, 2000
	var wg sync.WaitGroup
	for i := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range lines {
				if n, err := fmt.Fprintf(b, "g%d line %d\n", i, j); err != nil || n == 0 {
					t.Errorf("write: %d %v", n, err)
				}
			}
		}()
	}
	wg.Wait()
	b.Flush()
	got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(got) != goroutines*lines {
		t.Fatalf("%d lines written, want %d", len(got), goroutines*lines)
	}
	next := make([]int, goroutines)
	for _, l := range got {
		var i, j int
		if _, err := fmt.Sscanf(l, "g%d line %d", &i, &j); err != nil {
			t.Fatalf("mangled line %q", l)
		}
		if j != next[i] {
			t.Fatalf("goroutine %d: line %d after line %d", i, j, next[i]-1)
		}
		next[i]++
	}
	if w := out.Writes(); w > goroutines*lines/100 {
		t.Errorf("%d writes for %d lines: the lines were not batched", w, goroutines*lines)
	}
}

// A line written alone reaches the output without any further write or
// Flush: the timer writes it.
func TestLogBufferWritesALoneLineOnItsOwn(t *testing.T) {
	out := &recordingWriter{}
	b := newLogBuffer(out, 10*time.Millisecond)
	defer b.Close()
	for round := range 3 { // the timer is armed again after each batch
		line := fmt.Sprintf("alone %d\n", round)
		fmt.Fprint(b, line)
		deadline := time.Now().Add(10 * time.Second)
		for !strings.HasSuffix(out.String(), line) {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: the line never reached the output; got %q", round, out.String())
			}
			time.Sleep(time.Millisecond)
		}
	}
}

// Warnings and errors are written before the logging call returns, after
// the info lines logged before them; info lines wait for the batch.
func TestWarningsAreNotHeld(t *testing.T) {
	out := &recordingWriter{}
	b := newLogBuffer(out, time.Hour)
	defer b.Close()
	log := slog.New(flushOnWarn{Handler: slog.NewTextHandler(b, nil), buf: b}).With("node", "a")
	log.Info("first")
	if out.String() != "" {
		t.Fatalf("an info line was written at once: %q", out.String())
	}
	log.WithGroup("g").Warn("second", "k", 1)
	got := out.String()
	first, second := strings.Index(got, "msg=first"), strings.Index(got, "msg=second")
	if first < 0 || second < first {
		t.Fatalf("after a warning the output is %q, want the info line and then the warning", got)
	}
	log.Error("third")
	if !strings.Contains(out.String(), "msg=third") {
		t.Fatalf("an error was held: %q", out.String())
	}
}

// stuckWriter blocks every write until release is closed.
type stuckWriter struct {
	recordingWriter
	started chan struct{}
	release chan struct{}
	once    sync.Once
}

func (s *stuckWriter) Write(p []byte) (int, error) {
	s.once.Do(func() { close(s.started) })
	<-s.release
	return s.recordingWriter.Write(p)
}

// A request that logs never waits for the output: while a batch is stuck
// in a slow write, lines keep being accepted (up to logBufferMax), and
// none is lost once the output moves again. After Close, lines go out at
// once.
func TestLogBufferDoesNotMakeWritersWait(t *testing.T) {
	out := &stuckWriter{started: make(chan struct{}), release: make(chan struct{})}
	b := newLogBuffer(out, time.Hour)
	line := strings.Repeat("x", 99) + "\n"
	n := 0
	for n*len(line) <= logBufferSize { // enough for a batch: the writer starts and sticks
		fmt.Fprint(b, line)
		n++
	}
	select {
	case <-out.started:
	case <-time.After(10 * time.Second):
		t.Fatal("a full batch was not written")
	}
	accepted := make(chan int)
	go func() {
		m := 0
		for m*len(line) < logBufferMax/2 { // half the hard limit more while the write is stuck
			fmt.Fprint(b, line)
			m++
		}
		accepted <- m
	}()
	var more int
	select {
	case more = <-accepted:
	case <-time.After(10 * time.Second):
		t.Fatal("writers waited for a stuck output")
	}
	close(out.release)
	b.Close()
	if got, want := strings.Count(out.String(), line), n+more; got != want {
		t.Fatalf("%d lines reached the output, want %d", got, want)
	}
	fmt.Fprint(b, "after close\n")
	if !strings.HasSuffix(out.String(), "after close\n") {
		t.Fatal("a line written after Close was held")
	}
}
