package config

import (
	"fmt"
	"strings"
	"time"
)

// CloudCode configures the cloud-code runtime (cloudCode: {timeout,
// poolSize, ...}); cloud: is the folder loaded at start. Zero values mean
// the runtime's defaults, documented in config.example.yaml.
type CloudCode struct {
	// Timeout bounds one function or trigger invocation (default 5s).
	Timeout Duration `yaml:"timeout"`
	// JobTimeout bounds one job run (default 15m).
	JobTimeout Duration `yaml:"jobTimeout"`
	// PoolSize is how many prewarmed runtimes serve calls at once
	// (default 2 × GOMAXPROCS).
	PoolSize int `yaml:"poolSize"`
	// QueueTimeout is how long a call waits for a free runtime (default 2s).
	QueueTimeout Duration `yaml:"queueTimeout"`
	// QueueLength bounds the calls waiting at once (default 64 × poolSize).
	QueueLength int `yaml:"queueLength"`
	// MaxStackDepth bounds the JavaScript call stack (default 2000).
	MaxStackDepth int `yaml:"maxStackDepth"`
	// MemoryLimit is the Go heap size above which running scripts are
	// stopped, as a size ("1gb", "512mb"), or "off" (default 1gb).
	MemoryLimit string `yaml:"memoryLimit"`
	// LogSize is how many log lines each deployment keeps (default 1000).
	LogSize int `yaml:"logSize"`
	// HTTPAllowList lists the hosts Parse.Cloud.httpRequest may reach
	// ("api.example.com", "*.example.com", optionally with :port).
	HTTPAllowList []string `yaml:"httpAllowList"`
}

// MemoryLimitBytes is MemoryLimit in bytes: 0 for the default, -1 for off.
func (s *CloudCode) MemoryLimitBytes() int64 {
	switch strings.ToLower(strings.TrimSpace(s.MemoryLimit)) {
	case "":
		return 0
	case "off", "none":
		return -1
	}
	n, err := ParseSize(s.MemoryLimit)
	if err != nil {
		return 0 // validate reports it
	}
	return n
}

// validate checks the section; c is the whole configuration.
func (s *CloudCode) validate(c *Config) []error {
	var errs []error
	for _, d := range []struct {
		name string
		v    Duration
	}{{"timeout", s.Timeout}, {"jobTimeout", s.JobTimeout}, {"queueTimeout", s.QueueTimeout}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("cloudCode.%s: must not be negative, got %s", d.name, time.Duration(d.v)))
		}
	}
	for _, n := range []struct {
		name string
		v    int
	}{{"poolSize", s.PoolSize}, {"queueLength", s.QueueLength}, {"logSize", s.LogSize}} {
		if n.v < 0 {
			errs = append(errs, fmt.Errorf("cloudCode.%s: must not be negative, got %d", n.name, n.v))
		}
	}
	if s.MaxStackDepth != 0 && s.MaxStackDepth < 200 {
		errs = append(errs, fmt.Errorf("cloudCode.maxStackDepth: %d is too small for the Parse SDK; use at least 200", s.MaxStackDepth))
	}
	if m := strings.ToLower(strings.TrimSpace(s.MemoryLimit)); m != "" && m != "off" && m != "none" {
		if _, err := ParseSize(s.MemoryLimit); err != nil {
			errs = append(errs, fmt.Errorf("cloudCode.memoryLimit: %v, or \"off\"", err))
		}
	}
	for _, h := range s.HTTPAllowList {
		host := strings.TrimPrefix(h, "*.")
		if host == "" || strings.ContainsAny(host, "/ *?#@") {
			errs = append(errs, fmt.Errorf("cloudCode.httpAllowList: %q is not a host (\"api.example.com\", \"*.example.com\", optionally with :port)", h))
		}
	}
	return errs
}
