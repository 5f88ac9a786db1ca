package config

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// StringList is a list that may also be written as a single string, as
// Parse Server accepts for allowOrigin.
type StringList []string

// UnmarshalYAML accepts a scalar or a sequence of scalars.
func (l *StringList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*l = StringList{n.Value}
		return nil
	}
	var s []string
	if err := n.Decode(&s); err != nil {
		return err
	}
	*l = s
	return nil
}

// Duration is a time.Duration written as a Go duration ("30s", "1m30s") or
// as a number of seconds.
type Duration time.Duration

// ParseDuration parses a Go duration string or a plain number of seconds.
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	if secs, err := strconv.ParseFloat(s, 64); err == nil {
		return Duration(secs * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("expected a duration like \"30s\" or a number of seconds, got %q", s)
	}
	return Duration(d), nil
}

// UnmarshalYAML accepts "30s" or 30.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: expected a duration like \"30s\"", n.Line)
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %v", n.Line, err)
	}
	*d = v
	return nil
}

// UnmarshalJSON accepts "30s" or 30, so that providers can use Duration in
// the options they decode with core.DecodeOptions.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case string:
		p, err := ParseDuration(x)
		*d = p
		return err
	case float64:
		*d = Duration(x * float64(time.Second))
		return nil
	}
	return fmt.Errorf("expected a duration like \"30s\" or a number of seconds, got %s", b)
}

// MarshalYAML writes the Go duration string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// String returns the Go duration string.
func (d Duration) String() string { return time.Duration(d).String() }

// ParseSize parses a size the way Parse Server's maxUploadSize does: a number
// with an optional unit b, kb, mb, gb or tb (1024-based, case-insensitive,
// fractions allowed: "1.5mb"). A bare number is bytes.
func ParseSize(s string) (int64, error) {
	bad := fmt.Errorf("expected a size like \"20mb\", got %q", s)
	t := strings.ToLower(strings.TrimSpace(s))
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := t, ""
	if i >= 0 {
		num, unit = t[:i], strings.TrimSpace(t[i:])
	}
	n, err := strconv.ParseFloat(num, 64)
	if err != nil || n <= 0 {
		return 0, bad
	}
	mult := map[string]float64{"": 1, "b": 1, "kb": 1 << 10, "mb": 1 << 20, "gb": 1 << 30, "tb": 1 << 40}[unit]
	if mult == 0 {
		return 0, bad
	}
	size := int64(n * mult)
	if size <= 0 {
		return 0, bad
	}
	return size, nil
}
