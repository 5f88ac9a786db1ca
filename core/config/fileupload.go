package config

import (
	"fmt"
	"regexp"
	"strings"
)

// FileUpload configures Parse Server's fileUpload option: who may upload
// files and which kinds. Same names and meaning as Parse Server's.
type FileUpload struct {
	// EnableForPublic lets callers without a session upload.
	EnableForPublic bool `yaml:"enableForPublic"`
	// EnableForAnonymousUser lets anonymous users (authData.anonymous)
	// upload.
	EnableForAnonymousUser bool `yaml:"enableForAnonymousUser"`
	// EnableForAuthenticatedUser lets logged-in users upload.
	EnableForAuthenticatedUser bool `yaml:"enableForAuthenticatedUser"`
	// FileExtensions are regular expressions (Go's RE2 syntax); a file is
	// accepted when its extension and its content type's subtype each
	// match one ("*" allows everything). Unset: everything but the types
	// a browser runs as a page or script (HTML, SVG, XML, JavaScript).
	FileExtensions []string `yaml:"fileExtensions"`
}

// defaultFileUpload is Parse Server's default: logged-in users only.
func defaultFileUpload() FileUpload {
	return FileUpload{EnableForAuthenticatedUser: true}
}

// validate checks the section; c is the whole configuration.
func (s *FileUpload) validate(c *Config) []error {
	var errs []error
	if s.FileExtensions != nil && len(s.FileExtensions) == 0 {
		errs = append(errs, fmt.Errorf(`fileUpload.fileExtensions: is an empty list, which would refuse every file; list patterns like "^png$", "*" for all, or leave it out for the default (everything but HTML, SVG, XML and JavaScript)`))
	}
	for _, p := range s.FileExtensions {
		if p == "*" {
			continue
		}
		if _, err := regexp.Compile(p); err != nil {
			hint := ""
			if strings.Contains(p, "(?!") || strings.Contains(p, "(?=") || strings.Contains(p, "(?<") {
				hint = " (Go's RE2 syntax has no lookaround: list the extensions to allow instead, like \"^(png|jpe?g|gif)$\")"
			}
			errs = append(errs, fmt.Errorf("fileUpload.fileExtensions: %q is not a valid regular expression%s: %v", p, hint, err))
		}
	}
	return errs
}
