// Package pushkit holds what the push providers share: the error and
// result constructors that fix the core.PushSender contract's codes, the
// Retry-After reading, batch checks, per-device fan-out inside one batch
// (APNs and WebPush send one request per device) and TLS roots for a
// provider endpoint with its own certificate authority.
package pushkit

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchboardhq/switchboard/adapters/internal/retry"
	"github.com/switchboardhq/switchboard/core"
)

// Timeout bounds one request to a provider when the caller's context has no
// earlier deadline.
const Timeout = 30 * time.Second

// Client returns the HTTP client the REST providers use: the request
// timeout, and enough idle connections per host for the core's concurrent
// batches to reuse them (net/http keeps 2 by default).
func Client() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 32
	return &http.Client{Timeout: Timeout, Transport: t}
}

// Unavailable is the error for a provider that cannot be reached, times out
// or answers with a server error: the batch may be sent again.
func Unavailable(provider string, cause error) *core.Error {
	return &core.Error{
		Code:    core.CodeConnectionFailed,
		Message: "the " + provider + " push service is unavailable; the batch is sent again later",
		Err:     fmt.Errorf("push.%s: %w", provider, cause),
	}
}

// Throttled is Unavailable for a provider's rate limit, carrying the wait
// it asked for (0: none known).
func Throttled(provider string, after time.Duration, cause error) error {
	e := &core.Error{
		Code:    core.CodeConnectionFailed,
		Message: "the " + provider + " push service is rate limiting this app; the batch is sent again after its reset",
		Err:     fmt.Errorf("push.%s: %w", provider, cause),
	}
	return core.WithRetryAfter(e, after)
}

// Misconfigured is the error for a failure only the operator can fix;
// fix says what to check and is shown in _PushStatus, so it must hold no
// secret.
func Misconfigured(provider, fix string, cause error) *core.Error {
	return &core.Error{
		Code:    core.CodePushMisconfigured,
		Message: "push." + provider + " is misconfigured: " + fix,
		Err:     fmt.Errorf("push.%s: %w", provider, cause),
	}
}

// QuotaExceeded is the error for a provider quota that will not clear
// during this push (a daily limit).
func QuotaExceeded(provider string, cause error) *core.Error {
	return &core.Error{
		Code:    core.CodeRequestLimitExceeded,
		Message: "the " + provider + " push quota of this app is used up; try again after it resets",
		Err:     fmt.Errorf("push.%s: %w", provider, cause),
	}
}

// Refused is the error for a notification the provider refuses whatever
// the devices (too large, malformed for it); reason is shown.
func Refused(provider, reason string, cause error) *core.Error {
	return &core.Error{
		Code:    core.CodeInvalidValue,
		Message: reason,
		Err:     fmt.Errorf("push.%s: %w", provider, cause),
	}
}

// Internal is an answer the provider should never give us (a bug on one
// side); the cause goes to the log.
func Internal(provider string, cause error) *core.Error {
	return core.Internal(fmt.Errorf("push.%s: %w", provider, cause))
}

// Delivered is the result for a device the provider accepted.
func Delivered() core.PushResult { return core.PushResult{Outcome: core.PushDelivered} }

// TokenInvalid is the result for a device whose token the provider does not
// know or that is malformed; reason names the provider's verdict and never
// the token.
func TokenInvalid(provider, reason string) core.PushResult {
	return core.PushResult{Outcome: core.PushTokenInvalid, Err: core.Errorf(core.CodeInvalidValue, "%s: %s", provider, reason)}
}

// Failed is the result for a device the provider refused for good.
func Failed(err *core.Error) core.PushResult {
	return core.PushResult{Outcome: core.PushFailed, Err: err}
}

// Retry is the result for a device that failed transiently.
func Retry(err *core.Error, after time.Duration) core.PushResult {
	return core.PushResult{Outcome: core.PushRetry, Err: err, RetryAfter: after}
}

// Canceled returns the error for a send whose context ended, or nil.
func Canceled(ctx context.Context) error {
	if ctx.Err() != nil {
		return retry.Canceled(ctx, nil)
	}
	return nil
}

// RetryAfterHeader reads a Retry-After header: seconds or an HTTP date.
func RetryAfterHeader(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// CheckBatch checks what the core promises about a batch, so a broken
// caller fails loudly instead of sending a malformed request.
func CheckBatch(provider string, b core.PushBatch, max int) error {
	if b.Notification == nil || len(b.Devices) == 0 || len(b.Devices) > max {
		return Internal(provider, fmt.Errorf("a batch must hold a notification and 1 to %d devices, got %d", max, len(b.Devices)))
	}
	return nil
}

// ForEach computes one result per device with send, for providers that
// take one request per device. send returns a device's result, or an error
// that condemns the whole batch (rejected credentials, a payload too
// large). The first device goes alone, so a provider that is misconfigured
// or down costs one request instead of one per device; the rest go at most
// parallel at once. When the first device fails transiently, its failure
// becomes the batch's error (with the wait it asked for), which lets the
// core pause the provider instead of retrying device by device. A context
// that ended is reported as such.
func ForEach(ctx context.Context, n, parallel int, send func(ctx context.Context, i int) (core.PushResult, error)) ([]core.PushResult, error) {
	results := make([]core.PushResult, n)
	first, err := send(ctx, 0)
	if err == nil {
		err = Canceled(ctx)
	}
	if err != nil {
		return nil, err
	}
	results[0] = first
	if first.Outcome == core.PushRetry {
		return nil, core.WithRetryAfter(first.Err, first.RetryAfter)
	}
	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		batchErr error
	)
	sem := make(chan struct{}, max(parallel, 1))
	for i := 1; i < n; i++ {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			r, err := send(ctx, i)
			if err != nil {
				errOnce.Do(func() { batchErr = err })
			}
			results[i] = r
		})
	}
	wg.Wait()
	if err := Canceled(ctx); err != nil {
		return nil, err
	}
	if batchErr != nil {
		return nil, batchErr
	}
	return results, nil
}

// CertPool returns the system roots plus the PEM certificates in file, for
// an endpoint served with a private certificate authority ("" for the
// system roots alone).
func CertPool(file string) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if file == "" {
		return pool, nil
	}
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("caCertFile: %w", err)
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("caCertFile: no PEM certificate found in " + file)
	}
	return pool, nil
}

// TokenChars reports whether a token is 1 to maxLen bytes of ASCII
// letters, digits and the bytes in extra. (A loop, not a regexp: it runs
// for every device of every push.)
func TokenChars(t string, maxLen int, extra string) bool {
	if len(t) == 0 || len(t) > maxLen {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && strings.IndexByte(extra, c) < 0 {
			return false
		}
	}
	return true
}

// Required returns an error naming the first empty option.
func Required(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if strings.TrimSpace(pairs[i+1]) == "" {
			return fmt.Errorf("option %s is required", pairs[i])
		}
	}
	return nil
}
