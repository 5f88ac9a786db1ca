// Package authkit holds what the authData providers under adapters/auth
// share: reading authData fields, the error constructors that fix the
// contract's codes, option types, and one HTTP helper that turns an
// unreachable or failing provider into CodeConnectionFailed.
package authkit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/switchboardhq/switchboard/adapters/internal/httpkit"
	"io"
	"maps"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// DefaultTimeout bounds one call to a provider when the caller's context
// has no earlier deadline.
const DefaultTimeout = 10 * time.Second

// maxBody caps how much of a provider's answer is read.
const maxBody = 1 << 20

// Missing is the error for authData without a required field (250); need
// says what is required ("id and access_token").
func Missing(provider, need string) *core.Error {
	return core.Errorf(core.CodeLinkedIDMissing, "%s authData needs %s", provider, need)
}

// Invalid is the error for a token that is invalid, expired, or for another
// user or app (251). reason is shown to the client; cause is only logged.
func Invalid(provider, reason string, cause error) *core.Error {
	return &core.Error{
		Code:    core.CodeInvalidLinkedSession,
		Message: fmt.Sprintf("%s auth is invalid for this user: %s", provider, reason),
		Err:     cause,
	}
}

// Unavailable is the error for a provider that cannot be reached or
// answers with a server error: the client may retry.
func Unavailable(provider string, cause error) *core.Error {
	return &core.Error{
		Code:    core.CodeConnectionFailed,
		Message: fmt.Sprintf("%s login is unavailable right now; try again later", provider),
		Err:     cause,
	}
}

// Misconfigured is the error for a failure only the operator can fix (a
// wrong endpoint or secret). The client sees an internal error; the cause,
// which says what to fix, goes to the log.
func Misconfigured(provider string, format string, args ...any) *core.Error {
	return core.Internal(fmt.Errorf("auth.%s: %s", provider, fmt.Sprintf(format, args...)))
}

// String returns authData[key] when it is a non-empty string.
func String(authData map[string]any, key string) (string, bool) {
	s, ok := authData[key].(string)
	return s, ok && s != ""
}

// ID returns authData["id"] as a string. Besides a non-empty string it
// accepts a whole JSON number, because some SDKs send numeric provider ids
// (GitHub) as numbers.
func ID(authData map[string]any) (string, bool) {
	switch v := authData["id"].(type) {
	case string:
		return v, v != ""
	case json.Number:
		if _, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			return string(v), true
		}
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return strconv.FormatInt(int64(v), 10), true
		}
	case int:
		return strconv.Itoa(v), true
	case int64:
		return strconv.FormatInt(v, 10), true
	}
	return "", false
}

// Stored returns the authData a provider asks core to keep: a shallow copy
// of authData with "id" set to the validated id as a string (so that a
// numeric id and its string form find the same user).
func Stored(authData map[string]any, id string) map[string]any {
	out := maps.Clone(authData)
	if out == nil {
		out = map[string]any{}
	}
	out["id"] = id
	return out
}

// StringList is an option that takes one string or a list of strings. A
// single string may hold several values separated by commas, which is how a
// list arrives from an environment variable.
type StringList []string

// UnmarshalJSON accepts "a", "a,b" and ["a", "b"].
func (l *StringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = splitList(one)
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("expected a string or a list of strings")
	}
	var out StringList
	for _, s := range many {
		out = append(out, splitList(s)...)
	}
	*l = out
	return nil
}

func splitList(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// CheckURL reports whether s is an absolute http(s) URL, as every endpoint
// option must be.
func CheckURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", s)
	}
	return nil
}

// Client returns the HTTP client providers use.
func Client() *http.Client {
	return &http.Client{Timeout: DefaultTimeout}
}

// Response is a provider's answer that was neither a transport error nor a
// server error.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// DecodeJSON decodes the body into dst.
func (r *Response) DecodeJSON(dst any) error {
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	return dec.Decode(dst)
}

// Get sends a GET request. A transport error, a timeout, a 5xx or a 429
// answer is Unavailable; any other answer is returned for the caller to
// interpret. The URL never appears in the error, because it may carry a
// token or a secret.
func Get(ctx context.Context, client *http.Client, provider, endpoint string, header http.Header) (*Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return nil, Misconfigured(provider, "bad endpoint URL: %v", redact(err))
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "Switchboard")
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, Unavailable(provider, fmt.Errorf("GET %s: %w", req.URL.Host+req.URL.Path, redact(err)))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, Unavailable(provider, fmt.Errorf("GET %s: reading answer: %w", req.URL.Host+req.URL.Path, redact(err)))
	}
	if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
		return nil, Unavailable(provider, fmt.Errorf("GET %s: %s: %s", req.URL.Host+req.URL.Path, resp.Status, Snippet(body)))
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// redact keeps provider URLs (and the secrets in their queries) out of errors.
func redact(err error) error { return httpkit.Redact(err) }

// Snippet returns the start of a provider's answer for a log line.
func Snippet(body []byte) string { return httpkit.Snippet(body, 200) }
