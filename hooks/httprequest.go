package hooks

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// httpClient serves Parse.Cloud.httpRequest: only to hosts on the allow
// list, redirects included, with a bounded response.
type httpClient struct {
	allow   []allowEntry
	client  *http.Client
	maxBody int64
}

// allowEntry is one httpAllowList item: an exact host or "*." + a domain
// (any subdomain, not the domain itself), optionally with a port.
type allowEntry struct {
	host     string
	wildcard bool
	port     string
}

func parseAllowEntry(s string) (allowEntry, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || strings.Contains(s, "/") {
		return allowEntry{}, fmt.Errorf("%q: give a host name such as api.example.com, *.example.com or localhost:8080", s)
	}
	var e allowEntry
	host := s
	if h, p, err := net.SplitHostPort(s); err == nil {
		host, e.port = h, p
	}
	if rest, ok := strings.CutPrefix(host, "*."); ok {
		e.wildcard, host = true, rest
	}
	if host == "" || strings.Contains(host, "*") {
		return allowEntry{}, fmt.Errorf("%q: a wildcard may only be a leading *", s)
	}
	e.host = host
	return e, nil
}

func (e allowEntry) matches(u *url.URL) bool {
	host := strings.ToLower(u.Hostname())
	if e.port != "" && u.Port() != e.port {
		return false
	}
	if e.wildcard {
		return strings.HasSuffix(host, "."+e.host)
	}
	return host == e.host
}

func newHTTPClient(list []string, maxBody int64) *httpClient {
	c := &httpClient{maxBody: maxBody}
	for _, s := range list {
		if e, err := parseAllowEntry(s); err == nil {
			c.allow = append(c.allow, e)
		}
	}
	c.client = &http.Client{
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 10 {
				return errors.New("stopped after 10 redirects")
			}
			if !c.allowed(req.URL) {
				return &core.Error{Code: core.CodeOperationForbidden, Message: fmt.Sprintf("httpRequest: redirect to %s, a host not on the cloud code allow-list (cloudCode.httpAllowList)", req.URL.Host)}
			}
			return nil
		},
	}
	return c
}

func (c *httpClient) allowed(u *url.URL) bool {
	if u.Scheme != "http" && u.Scheme != "https" {
		return false
	}
	for _, e := range c.allow {
		if e.matches(u) {
			return true
		}
	}
	return false
}

type httpOptions struct {
	Method          string            `json:"method"`
	URL             string            `json:"url"`
	Headers         map[string]string `json:"headers"`
	Body            string            `json:"body"` // base64
	FollowRedirects bool              `json:"followRedirects"`
}

type httpAnswer struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"` // base64
	Cookies map[string]any    `json:"cookies"`
}

// do performs one request described by optionsJSON and returns the answer
// as JSON. Errors are *core.Error: 119 for a host off the allow list, 100
// for a network failure, 124 for a timeout.
func (c *httpClient) do(ctx context.Context, optionsJSON string) (string, error) {
	var o httpOptions
	if err := json.Unmarshal([]byte(optionsJSON), &o); err != nil {
		return "", core.Errorf(core.CodeInvalidJSON, "httpRequest: bad options: %v", err)
	}
	u, err := url.Parse(o.URL)
	if err == nil && u.Scheme != "http" && u.Scheme != "https" {
		return "", core.Errorf(core.CodeOperationForbidden, "httpRequest: only http and https URLs are allowed, not %q", u.Scheme)
	}
	if err != nil || u.Host == "" {
		return "", core.Errorf(core.CodeInvalidValue, "httpRequest: %q is not an absolute http(s) URL", o.URL)
	}
	if !c.allowed(u) {
		return "", core.Errorf(core.CodeOperationForbidden, "httpRequest: %s is not on the cloud code allow-list (cloudCode.httpAllowList)", u.Host)
	}
	body, err := base64.StdEncoding.DecodeString(o.Body)
	if err != nil {
		return "", core.Errorf(core.CodeInvalidValue, "httpRequest: bad body encoding")
	}
	var rdr io.Reader
	if len(body) > 0 {
		rdr = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, o.Method, u.String(), rdr)
	if err != nil {
		return "", core.Errorf(core.CodeInvalidValue, "httpRequest: %v", err)
	}
	for k, v := range o.Headers {
		req.Header.Set(k, v)
	}
	client := c.client
	if !o.FollowRedirects {
		cp := *c.client
		cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		client = &cp
	}
	resp, err := client.Do(req)
	if err != nil {
		var ce *core.Error
		if errors.As(err, &ce) {
			return "", ce
		}
		if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
			return "", core.Errorf(core.CodeTimeout, "httpRequest to %s timed out", u.Host)
		}
		return "", core.Errorf(core.CodeConnectionFailed, "httpRequest to %s failed: %v", u.Host, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		return "", core.Errorf(core.CodeConnectionFailed, "httpRequest: reading the answer of %s: %v", u.Host, err)
	}
	if int64(len(data)) > c.maxBody {
		return "", core.Errorf(core.CodeObjectTooLarge, "httpRequest: the answer of %s is larger than %d bytes", u.Host, c.maxBody)
	}
	ans := httpAnswer{Status: resp.StatusCode, Headers: map[string]string{}, Body: base64.StdEncoding.EncodeToString(data), Cookies: map[string]any{}}
	for k := range resp.Header {
		ans.Headers[k] = resp.Header.Get(k)
	}
	for _, ck := range resp.Cookies() {
		ans.Cookies[ck.Name] = map[string]any{"name": ck.Name, "value": ck.Value, "path": ck.Path, "domain": ck.Domain, "httpOnly": ck.HttpOnly, "secure": ck.Secure}
		if !ck.Expires.IsZero() {
			ans.Cookies[ck.Name].(map[string]any)["expires"] = ck.Expires.UTC().Format(time.RFC1123)
		}
	}
	out, err := json.Marshal(ans)
	if err != nil {
		return "", core.Internal(err)
	}
	return string(out), nil
}
