package core

import (
	"context"
	"testing"
	"time"
)

// TestAfterAnswerWaitsForTheAnswer: work offered during a request starts
// only once the API says the answer is out, and Close waits for it.
func TestAfterAnswerWaitsForTheAnswer(t *testing.T) {
	a := &App{}
	ctx, ans := WithAnswer(context.Background())
	if ans.Pending() {
		t.Fatal("pending before any work")
	}
	started := make(chan struct{})
	a.afterAnswer(ctx, "test", func(context.Context) error { close(started); return nil })
	if !ans.Pending() {
		t.Fatal("not pending with work waiting")
	}
	select {
	case <-started:
		t.Fatal("the work started before the answer")
	case <-time.After(50 * time.Millisecond):
	}
	ans.Done()
	ans.Done() // twice is fine
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the work never started after the answer")
	}
	if ans.Pending() {
		t.Fatal("still pending after Done")
	}
	// Work offered after the answer starts at once; Close waits for it.
	ran := make(chan struct{})
	a.afterAnswer(ctx, "late", func(context.Context) error { time.Sleep(20 * time.Millisecond); close(ran); return nil })
	a.bg.close()
	select {
	case <-ran:
	default:
		t.Fatal("close returned before the work finished")
	}
	// Once closed, new work is dropped (and logged), never run.
	a.afterAnswer(context.Background(), "dropped", func(context.Context) error { t.Error("ran after close"); return nil })
}
