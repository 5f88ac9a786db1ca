package config

// FileUpload configures Parse Server's fileUpload option: who may upload.
type FileUpload struct{}

// validate checks the section; c is the whole configuration.
func (s *FileUpload) validate(c *Config) []error { return nil }
