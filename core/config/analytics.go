package config

import (
	"fmt"
	"time"
)

// Analytics configures analytics (see README, "Analytics"): the sink the
// events go to (store keeps them and answers the reports; webhook
// forwards them; none drops them as Parse Server does), the time zone
// days are counted in, and the batching of writes.
type Analytics struct {
	// Provider is the sink: store (default), webhook, or none.
	Provider string `yaml:"provider"`
	// Timezone is the IANA time zone of the app's days ("Asia/Shanghai");
	// every report is bucketed in it (default UTC). Rollups are counted
	// in it when events arrive, so changing it applies to later events.
	Timezone string `yaml:"timezone"`
	// FlushInterval is the longest an event waits in memory before it is
	// written, and so the most a kill -9 loses (0: 200ms).
	FlushInterval Duration `yaml:"flushInterval"`
	// BatchSize is the most events written at once (0: 2000).
	BatchSize int `yaml:"batchSize"`
	// BufferSize is how many events may wait before clients get 155 (0:
	// 200000).
	BufferSize int `yaml:"bufferSize"`
	// SessionGap is the inactivity that ends a session (0: 30m).
	SessionGap Duration `yaml:"sessionGap"`
	// Providers holds one section of options per sink (analytics.webhook).
	Providers map[string]map[string]any `yaml:",inline"`
}

// AnalyticsOff is the analytics.provider value that keeps no events.
const AnalyticsOff = "none"

// Section returns the options section of the named sink (nil if none).
func (s Analytics) Section(name string) map[string]any { return s.Providers[name] }

// Location is the time zone of analytics days (UTC when unset).
func (s Analytics) Location() (*time.Location, error) {
	if s.Timezone == "" {
		return time.UTC, nil
	}
	return time.LoadLocation(s.Timezone)
}

// validate checks the section; c is the whole configuration.
func (s *Analytics) validate(c *Config) []error {
	var errs []error
	if s.Provider == "" {
		errs = append(errs, fmt.Errorf(`analytics.provider: must name a sink ("store" keeps events and answers reports), or be "none"`))
	}
	if _, err := s.Location(); err != nil {
		errs = append(errs, fmt.Errorf(`analytics.timezone: must be an IANA time zone such as "Asia/Shanghai" or "UTC", got %q`, s.Timezone))
	}
	for _, n := range []struct {
		key string
		v   int
	}{{"batchSize", s.BatchSize}, {"bufferSize", s.BufferSize}} {
		if n.v < 0 {
			errs = append(errs, fmt.Errorf("analytics.%s: must not be negative (0 is the default), got %d", n.key, n.v))
		}
	}
	if s.FlushInterval < 0 || s.SessionGap < 0 {
		errs = append(errs, fmt.Errorf("analytics.flushInterval and analytics.sessionGap must not be negative (0 is the default)"))
	}
	for name, sec := range s.Providers {
		if sec == nil {
			errs = append(errs, fmt.Errorf("analytics.%s: must be a map of that sink's options", name))
		}
	}
	return errs
}
