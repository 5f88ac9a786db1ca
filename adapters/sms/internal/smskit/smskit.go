// Package smskit holds what the remote sms providers share: the error
// constructors that fix the contract's codes, the options every provider
// takes, and one HTTP helper that turns an unreachable or failing provider
// into a retryable CodeConnectionFailed.
package smskit

import (
	"context"
	"fmt"
	"github.com/switchboardhq/switchboard/adapters/internal/httpkit"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/adapters/internal/retry"
	"github.com/switchboardhq/switchboard/core"
)

// Timeout bounds one request to a provider when the caller's context has
// no earlier deadline.
const Timeout = 10 * time.Second

// maxBody caps how much of a provider's answer is read.
const maxBody = 1 << 20

// Unavailable is the error for a provider that cannot be reached, answers
// with a server error or throttles the account: the send may be retried.
func Unavailable(provider string, cause error) *core.Error {
	return &core.Error{
		Code:    core.CodeConnectionFailed,
		Message: "the text message service is unavailable right now; try again later",
		Err:     fmt.Errorf("sms.%s: %w", provider, cause),
	}
}

// Limited is the error for a provider that refuses for rate reasons that
// will not clear soon (too many messages to this number today).
func Limited(provider string, cause error) *core.Error {
	return &core.Error{
		Code:    core.CodeRequestLimitExceeded,
		Message: "too many text messages were sent to this number; try again later",
		Err:     fmt.Errorf("sms.%s: %w", provider, cause),
	}
}

// Rejected is the error for a number or message the provider refuses;
// reason is shown to the client.
func Rejected(provider, reason string, cause error) *core.Error {
	return &core.Error{
		Code:    core.CodeInvalidValue,
		Message: reason,
		Err:     fmt.Errorf("sms.%s: %w", provider, cause),
	}
}

// InvalidNumber is Rejected for a phone number.
func InvalidNumber(provider string, cause error) *core.Error {
	return Rejected(provider, "the phone number cannot receive text messages; check it is a full number in E.164 form (+8613800138000)", cause)
}

// Misconfigured is the error for a failure only the operator can fix (a
// wrong key, an unapproved template). The client sees an internal error;
// the cause, which says what to fix, goes to the log.
func Misconfigured(provider string, format string, args ...any) *core.Error {
	return core.Internal(fmt.Errorf("sms.%s: %s", provider, fmt.Sprintf(format, args...)))
}

// Options are the options every remote provider takes besides its own.
type Options struct {
	// Endpoint is the API's base URL: scheme and host, no path.
	Endpoint string `json:"endpoint"`
	// MaxAttempts bounds the tries of one send (default 3; 1 turns
	// retries off).
	MaxAttempts int `json:"maxAttempts"`
}

// Check validates the shared options and returns the endpoint with the
// path "/".
func (o Options) Check() (*url.URL, error) {
	if o.MaxAttempts < 0 || o.MaxAttempts > 10 {
		return nil, fmt.Errorf("maxAttempts: %d is out of range; use 1 to 10", o.MaxAttempts)
	}
	u, err := url.Parse(o.Endpoint)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("endpoint: %q is not an absolute http(s) URL", o.Endpoint)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("endpoint: %q must be a base URL with no path or query (https://host/)", o.Endpoint)
	}
	u.Path = "/"
	return u, nil
}

// Retry is the retry policy the options ask for.
func (o Options) Retry() retry.Policy { return retry.Default.WithAttempts(o.MaxAttempts) }

// Required returns an error naming the first empty option.
func Required(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if strings.TrimSpace(pairs[i+1]) == "" {
			return fmt.Errorf("option %s is required", pairs[i])
		}
	}
	return nil
}

// Client returns the HTTP client providers use.
func Client() *http.Client {
	return &http.Client{Timeout: Timeout}
}

// Response is a provider's answer that was neither a transport error nor a
// server error.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends req. A transport error, a timeout or a 5xx answer is
// Unavailable; any other answer is returned for the provider to interpret.
// Errors never carry the URL, which may hold a signature or key id.
func Do(client *http.Client, provider string, req *http.Request) (*Response, error) {
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "Switchboard")
	}
	where := req.Method + " " + req.URL.Host + req.URL.Path
	resp, err := client.Do(req)
	if err != nil {
		return nil, Unavailable(provider, fmt.Errorf("%s: %w", where, redact(err)))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, Unavailable(provider, fmt.Errorf("%s: reading the answer: %w", where, redact(err)))
	}
	if resp.StatusCode >= 500 {
		return nil, Unavailable(provider, fmt.Errorf("%s: %s: %s", where, resp.Status, Snippet(body)))
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// Canceled returns the error for a send whose context ended before it
// started, or nil.
func Canceled(ctx context.Context) error {
	if ctx.Err() != nil {
		return retry.Canceled(ctx, nil)
	}
	return nil
}

// redact keeps provider URLs (and the secrets in their queries) out of errors.
func redact(err error) error { return httpkit.Redact(err) }

// Snippet returns the start of a provider's answer for a log line.
func Snippet(body []byte) string { return httpkit.Snippet(body, 300) }

// CheckTemplates checks that templates maps at least one purpose and that
// each has an id; id reads it and form says what an entry looks like.
func CheckTemplates[T any](templates map[string]T, id func(T) string, form string) error {
	if len(templates) == 0 {
		return fmt.Errorf("option templates is required: map each message purpose (login, verify, ...) to %s", form)
	}
	for purpose, t := range templates {
		if strings.TrimSpace(id(t)) == "" {
			return fmt.Errorf("templates.%s: no template id", purpose)
		}
	}
	return nil
}

// Template returns the template for a purpose, or the internal error that
// says it is missing.
func Template[T any](provider string, templates map[string]T, purpose string) (T, error) {
	t, ok := templates[purpose]
	if !ok {
		return t, Misconfigured(provider, "no template for purpose %q; add it to templates (have %s)", purpose, strings.Join(slices.Sorted(maps.Keys(templates)), ", "))
	}
	return t, nil
}
