// Package retry runs a provider call again when it fails in a way worth
// retrying. The sms and mail providers that talk to a remote service share
// it, so every one of them retries the same way:
//
//   - only errors with core.CodeConnectionFailed are retried (network
//     errors, 5xx answers, the provider's throttling); every other error is
//     returned at once;
//   - at most Policy.Attempts calls, with exponential backoff and jitter
//     between them (equal jitter: half the delay is fixed, half random, so
//     concurrent senders spread out but never retry at once);
//   - a provider may ask for a longer wait (a Retry-After header) with
//     After; the wait is still capped at Policy.Max;
//   - the context is honored: a canceled context stops the wait at once,
//     and no wait is started that would end after the context's deadline.
//
// The error returned is the last attempt's, so a persistent outage is
// reported as CodeConnectionFailed, never swallowed.
//
// It is a few lines of our own rather than a backoff library because the
// policy (which codes to retry, the Retry-After hint, cancel reporting) is
// ours anyway and the loop around it is short.
package retry

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// Policy bounds the retries of one call.
type Policy struct {
	// Attempts is the total number of calls, the first one included.
	// Values below 1 mean 1.
	Attempts int
	// Initial is the delay before the first retry; it doubles after each.
	Initial time.Duration
	// Max caps any one delay, including one asked for with After.
	Max time.Duration
}

// DefaultAttempts is the number of calls Default makes.
const DefaultAttempts = 3

// Default is the policy providers use unless configured otherwise: three
// calls, waiting about 0.25s and then 0.5s. A login request that waits on
// an SMS should fail within seconds, not minutes.
var Default = Policy{Attempts: DefaultAttempts, Initial: 250 * time.Millisecond, Max: 4 * time.Second}

// WithAttempts returns p with Attempts set to n when n > 0.
func (p Policy) WithAttempts(n int) Policy {
	if n > 0 {
		p.Attempts = n
	}
	return p
}

// Do calls op until it succeeds, fails with an error that is not
// core.CodeConnectionFailed, the attempts are used up, or ctx is done.
func (p Policy) Do(ctx context.Context, op func(ctx context.Context) error) error {
	for attempt := 1; ; attempt++ {
		err := op(ctx)
		if err == nil || !core.IsCode(err, core.CodeConnectionFailed) || attempt >= p.Attempts {
			return unwrapHint(err)
		}
		if ctx.Err() != nil {
			if errors.Is(err, ctx.Err()) {
				return unwrapHint(err)
			}
			return Canceled(ctx, unwrapHint(err))
		}
		wait := p.delay(attempt, err)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			return unwrapHint(err)
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return Canceled(ctx, unwrapHint(err))
		case <-timer.C:
		}
	}
}

// delay is the wait after the given attempt (1-based).
func (p Policy) delay(attempt int, err error) time.Duration {
	d := p.Initial << (attempt - 1)
	if d <= 0 || d > p.Max { // <= 0: shifted past the int64 range
		d = p.Max
	}
	d = d/2 + rand.N(d/2+1)
	var h *hinted
	if errors.As(err, &h) && h.after > d {
		d = h.after
	}
	return min(d, p.Max)
}

// After marks err as one the provider asked to retry no sooner than d
// (from a Retry-After header). Do strips the mark before returning.
func After(err *core.Error, d time.Duration) error {
	return &hinted{err: err, after: d}
}

type hinted struct {
	err   *core.Error
	after time.Duration
}

func (h *hinted) Error() string { return h.err.Error() }
func (h *hinted) Unwrap() error { return h.err }

func unwrapHint(err error) error {
	if h, ok := err.(*hinted); ok {
		return h.err
	}
	return err
}

// Canceled is the error for a call stopped by its context: retryable
// (CodeConnectionFailed), with the context's error in the chain so that
// errors.Is(err, context.Canceled) holds. last, if not nil, is the failure
// that was being retried; its client-safe message is kept.
func Canceled(ctx context.Context, last error) *core.Error {
	msg := "the request was canceled before the message was sent"
	var ce *core.Error
	if errors.As(last, &ce) && ce.Code == core.CodeConnectionFailed {
		msg = ce.Message
	}
	cause := context.Cause(ctx)
	if cause == nil {
		cause = context.Canceled
	}
	if last != nil {
		cause = errors.Join(cause, last)
	}
	return &core.Error{Code: core.CodeConnectionFailed, Message: msg, Err: cause}
}
