package core

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestQueryContext: Hole 2: the query time limit bounds a request's reads,
// and a read it cut reports the limit to the client.
func TestQueryContext(t *testing.T) {
	a := &App{opts: Options{Limits: QueryLimits{QueryTimeout: 20 * time.Millisecond}}.WithDefaults()}
	ctx, cancel := a.QueryContext(context.Background())
	defer cancel()
	<-ctx.Done()
	storeErr := &Error{Code: CodeTimeout, Message: "the database call was cancelled or timed out"}
	err := TimeoutError(ctx, storeErr)
	var pe *Error
	if !errors.As(err, &pe) || pe.Code != CodeTimeout || !strings.Contains(pe.Message, "queryLimits.queryTimeout") {
		t.Fatalf("a read past the limit: got %v, want 124 naming queryLimits.queryTimeout", err)
	}
	// Errors of reads that finished in time pass through.
	other := Errorf(CodeInvalidQuery, "bad")
	live, stop := a.QueryContext(context.Background())
	defer stop()
	if got := TimeoutError(live, other); got != other {
		t.Errorf("an error within the limit became %v", got)
	}
	// A negative limit turns it off; zero is the default.
	off := &App{opts: Options{Limits: QueryLimits{QueryTimeout: -1}}.WithDefaults()}
	if ctx, _ := off.QueryContext(context.Background()); ctx.Done() != nil {
		t.Errorf("a negative queryTimeout still bounds reads")
	}
	if d := (Options{}).WithDefaults().Limits.QueryTimeout; d != 15*time.Second {
		t.Errorf("default queryTimeout %v, want 15s", d)
	}
}
