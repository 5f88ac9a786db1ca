package retry

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

var fast = Policy{Attempts: 3, Initial: time.Millisecond, Max: 5 * time.Millisecond}

func transient() *core.Error { return core.Errorf(core.CodeConnectionFailed, "down") }

func TestDo(t *testing.T) {
	for _, tc := range []struct {
		name      string
		errs      []error // one per call; nil ends with success
		wantCalls int
		wantCode  core.Code // 0: success
	}{
		{"success", []error{nil}, 1, 0},
		{"transient then success", []error{transient(), nil}, 2, 0},
		{"transient until attempts are used up", []error{transient(), transient(), transient(), nil}, 3, core.CodeConnectionFailed},
		{"rate limit is not retried", []error{core.Errorf(core.CodeRequestLimitExceeded, "slow down"), nil}, 1, core.CodeRequestLimitExceeded},
		{"invalid value is not retried", []error{core.Errorf(core.CodeInvalidValue, "bad"), nil}, 1, core.CodeInvalidValue},
		{"internal is not retried", []error{core.Internal(errors.New("x")), nil}, 1, core.CodeInternalServerError},
		{"hint is stripped", []error{After(transient(), time.Millisecond), After(transient(), time.Millisecond), After(transient(), time.Millisecond)}, 3, core.CodeConnectionFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			err := fast.Do(context.Background(), func(context.Context) error {
				calls++
				return tc.errs[calls-1]
			})
			if calls != tc.wantCalls {
				t.Errorf("calls = %d, want %d", calls, tc.wantCalls)
			}
			if tc.wantCode == 0 {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if !core.IsCode(err, tc.wantCode) {
				t.Fatalf("err = %v, want code %d", err, tc.wantCode)
			}
			if _, ok := err.(*core.Error); !ok {
				t.Errorf("err is %T, want *core.Error", err)
			}
		})
	}
}

func TestDelay(t *testing.T) {
	p := Policy{Attempts: 10, Initial: 100 * time.Millisecond, Max: time.Second}
	for attempt, want := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 5: time.Second, 70: time.Second} {
		for range 50 {
			d := p.delay(attempt, transient())
			if d < want/2 || d > want {
				t.Fatalf("delay(%d) = %v, want within [%v, %v]", attempt, d, want/2, want)
			}
		}
	}
	if d := p.delay(1, After(transient(), 700*time.Millisecond)); d != 700*time.Millisecond {
		t.Errorf("delay with a 700ms hint = %v", d)
	}
	if d := p.delay(1, After(transient(), time.Hour)); d != time.Second {
		t.Errorf("delay with a 1h hint = %v, want the 1s cap", d)
	}
}

func TestDoCanceledWhileWaiting(t *testing.T) {
	p := Policy{Attempts: 5, Initial: time.Hour, Max: time.Hour}
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	start := time.Now()
	time.AfterFunc(20*time.Millisecond, cancel)
	err := p.Do(ctx, func(context.Context) error { calls++; return transient() })
	if time.Since(start) > time.Second {
		t.Fatalf("Do waited %v after cancel", time.Since(start))
	}
	if calls != 1 || !core.IsCode(err, core.CodeConnectionFailed) || !errors.Is(err, context.Canceled) {
		t.Fatalf("calls = %d, err = %v; want 1 call and a canceled 100", calls, err)
	}
}

func TestDoStopsBeforeDeadline(t *testing.T) {
	p := Policy{Attempts: 5, Initial: time.Hour, Max: time.Hour}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	calls := 0
	start := time.Now()
	err := p.Do(ctx, func(context.Context) error { calls++; return transient() })
	if time.Since(start) > time.Second || calls != 1 || !core.IsCode(err, core.CodeConnectionFailed) {
		t.Fatalf("took %v, calls = %d, err = %v; want an immediate 100 since the wait outlives the deadline", time.Since(start), calls, err)
	}
}
