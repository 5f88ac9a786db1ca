package config

// LeanCloud configures the LeanCloud REST dialect at /1.1.
type LeanCloud struct{}

// validate checks the section; c is the whole configuration.
func (s *LeanCloud) validate(c *Config) []error { return nil }
