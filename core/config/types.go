package config

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/switchboardhq/switchboard/core"
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

// Duration is core.Duration: the config file and the providers' options
// read durations alike ("30s", or a number of seconds).
type Duration = core.Duration

// ParseDuration parses a Go duration string or a plain number of seconds.
func ParseDuration(s string) (Duration, error) { return core.ParseDuration(s) }

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
