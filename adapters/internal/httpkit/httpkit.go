// Package httpkit holds the small HTTP helpers the remote providers share
// (sms, mail, authData): keeping secrets and URLs out of errors and logs.
package httpkit

import (
	"errors"
	"net/url"
	"strings"
)

// Redact drops the URL that net/http puts into its errors (*url.Error),
// keeping the cause: provider URLs can carry tokens in their query.
func Redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Snippet returns the first n bytes of a provider's answer for a log line.
func Snippet(body []byte, n int) string {
	s := strings.TrimSpace(string(body))
	if len(s) > n {
		s = s[:n] + "..."
	}
	return s
}
