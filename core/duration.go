package core

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration written in config as a Go duration ("30s",
// "1m30s") or as a number of seconds. It is the one duration type of the
// config file and of every provider's options (DecodeOptions), so that
// they all read durations alike.
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

// UnmarshalText accepts "30s" or "30"; YAML decodes scalars through it.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// UnmarshalJSON accepts "30s" or 30.
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

// MarshalText writes the Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// String returns the Go duration string.
func (d Duration) String() string { return time.Duration(d).String() }
