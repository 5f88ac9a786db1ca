package config

// LiveQuery configures Parse LiveQuery over WebSocket (liveQuery: {classNames, ...}).
type LiveQuery struct{}

// validate checks the section; c is the whole configuration.
func (s *LiveQuery) validate(c *Config) []error { return nil }
