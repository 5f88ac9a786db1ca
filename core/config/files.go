package config

// Files configures the files API and its provider (files: {provider: local|qiniu|s3, <provider>: {...}}).
type Files struct{}

// validate checks the section; c is the whole configuration.
func (s *Files) validate(c *Config) []error { return nil }
