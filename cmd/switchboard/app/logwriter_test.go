package app

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// slowWriter records writes, each taking a while, so that lines pile up.
type slowWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
}

func (s *slowWriter) Write(p []byte) (int, error) {
	time.Sleep(200 * time.Microsecond)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	return s.buf.Write(p)
}

// Every line written through a groupWriter reaches the writer whole, once,
// in an order that keeps each goroutine's lines in order, and none is left
// behind when the writes stop.
func TestGroupWriterKeepsEveryLine(t *testing.T) {
	out := &slowWriter{}
	g := newGroupWriter(out)
	const goroutines, lines = 16, 200
	var wg sync.WaitGroup
	for i := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range lines {
				if n, err := fmt.Fprintf(g, "g%d line %d\n", i, j); err != nil || n == 0 {
					t.Errorf("write: %d %v", n, err)
				}
			}
		}()
	}
	wg.Wait()
	got := strings.Split(strings.TrimSuffix(out.buf.String(), "\n"), "\n")
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
	if out.writes >= goroutines*lines {
		t.Errorf("%d writes for %d lines: nothing was grouped", out.writes, goroutines*lines)
	}
	// Alone, a line is written before Write returns.
	before := out.writes
	fmt.Fprintln(g, "alone")
	if out.writes != before+1 || !strings.HasSuffix(out.buf.String(), "alone\n") {
		t.Error("a line written alone was not written at once")
	}
}
