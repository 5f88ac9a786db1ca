// Package filekit holds what the remote files providers (s3, qiniu) and
// their fakes share: checks of their config sections and a request body
// that counts what a fake received.
package filekit

import (
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/switchboardhq/switchboard/core"
)

// Required fails, naming every missing option, when a value is empty;
// pairs are option name, value.
func Required(section string, pairs ...string) error {
	var missing []string
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			missing = append(missing, pairs[i])
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s: %s required", section, strings.Join(missing, ", "))
	}
	return nil
}

// CheckBaseURL accepts an http or https URL with a host and no path or
// query: an endpoint or a domain.
func CheckBaseURL(section, option, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return nil, fmt.Errorf("%s: %s %q must be an http or https URL with no path, like https://files.example.com", section, option, raw)
	}
	return u, nil
}

// CheckPrefix accepts a key prefix that keeps every name valid ("app1/").
func CheckPrefix(section, prefix string) error {
	if prefix != "" && core.ValidateFileName(prefix+"x") != nil {
		return fmt.Errorf("%s: prefix %q must be a valid name start such as \"app1/\"", section, prefix)
	}
	return nil
}

// CountingBody counts the bytes read from a request body into n.
type CountingBody struct {
	io.ReadCloser
	N *atomic.Int64
}

func (c CountingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.N.Add(int64(n))
	return n, err
}
