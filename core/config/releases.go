package config

import "fmt"

// Releases configures app versions (releases: {...}): releases of iOS,
// Android and JS-bundle builds, the public update check and the binary
// patches built between releases. Zero values mean the defaults below.
type Releases struct {
	// PatchFrom is how many earlier releases of the same platform and
	// channel get a patch to a newly published one (default 3; -1: none).
	PatchFrom int `yaml:"patchFrom"`
	// PatchConcurrency bounds the patch builds one node runs at once
	// (default 1: a build holds about 5 bytes per byte of the older file).
	PatchConcurrency int `yaml:"patchConcurrency"`
	// MaxPatchSource is the largest artifact patches are built from or to,
	// as a size ("512mb"); larger ones are served whole (default 1gb).
	MaxPatchSource string `yaml:"maxPatchSource"`
	// CheckRequestsPerMinute bounds the update checks of one client IP
	// per minute on each node (default 120; -1: unlimited).
	CheckRequestsPerMinute int `yaml:"checkRequestsPerMinute"`
}

// Release defaults.
const (
	DefaultPatchFrom              = 3
	DefaultPatchConcurrency       = 1
	DefaultMaxPatchSource         = 1 << 30
	DefaultCheckRequestsPerMinute = 120
)

// PatchFromCount is PatchFrom in force (0 when patches are off).
func (s *Releases) PatchFromCount() int {
	switch {
	case s.PatchFrom < 0:
		return 0
	case s.PatchFrom == 0:
		return DefaultPatchFrom
	}
	return s.PatchFrom
}

// Concurrency is PatchConcurrency in force.
func (s *Releases) Concurrency() int {
	if s.PatchConcurrency <= 0 {
		return DefaultPatchConcurrency
	}
	return s.PatchConcurrency
}

// MaxPatchSourceBytes is MaxPatchSource in bytes.
func (s *Releases) MaxPatchSourceBytes() int64 {
	if s.MaxPatchSource == "" {
		return DefaultMaxPatchSource
	}
	n, err := ParseSize(s.MaxPatchSource)
	if err != nil {
		return DefaultMaxPatchSource // validate reports it
	}
	return n
}

// CheckLimit is CheckRequestsPerMinute in force (-1: unlimited).
func (s *Releases) CheckLimit() int {
	if s.CheckRequestsPerMinute == 0 {
		return DefaultCheckRequestsPerMinute
	}
	if s.CheckRequestsPerMinute < 0 {
		return -1
	}
	return s.CheckRequestsPerMinute
}

// validate checks the section; c is the whole configuration.
func (s *Releases) validate(c *Config) []error {
	var errs []error
	if s.PatchFrom < -1 || s.PatchFrom > 50 {
		errs = append(errs, fmt.Errorf("releases.patchFrom: must be between -1 (no patches) and 50, got %d", s.PatchFrom))
	}
	if s.PatchConcurrency < 0 || s.PatchConcurrency > 64 {
		errs = append(errs, fmt.Errorf("releases.patchConcurrency: must be between 0 (the default, 1) and 64, got %d", s.PatchConcurrency))
	}
	if s.MaxPatchSource != "" {
		if _, err := ParseSize(s.MaxPatchSource); err != nil {
			errs = append(errs, fmt.Errorf("releases.maxPatchSource: %v", err))
		}
	}
	if s.CheckRequestsPerMinute < -1 {
		errs = append(errs, fmt.Errorf("releases.checkRequestsPerMinute: must be -1 (unlimited), 0 (the default, %d) or more, got %d", DefaultCheckRequestsPerMinute, s.CheckRequestsPerMinute))
	}
	return errs
}
