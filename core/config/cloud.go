package config

// CloudCode configures the cloud-code runtime (cloudCode: {timeout, poolSize, ...}); cloud: is the folder loaded at start.
type CloudCode struct{}

// validate checks the section; c is the whole configuration.
func (s *CloudCode) validate(c *Config) []error { return nil }
