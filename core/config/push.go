package config

// Push configures push notifications: the providers and the routing of devices to them.
type Push struct{}

// validate checks the section; c is the whole configuration.
func (s *Push) validate(c *Config) []error { return nil }
