package config

import (
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
)

// Plugin is one out-of-process provider program (see README, "Plugins"):
// a provider named "plugin:NAME" of any kind (files, push, sms, mail) is
// served by the entry NAME. The server starts every entry at startup, after
// checking the binary against SHA256, and restarts it when it crashes.
type Plugin struct {
	// Name is what providers call the plugin: files: {provider: plugin:NAME}.
	Name string `yaml:"name"`
	// Path is the executable (relative paths are relative to the server's
	// working directory).
	Path string `yaml:"path"`
	// SHA256 is the executable's SHA-256 in hex (`sha256sum PATH`); the
	// server refuses to start a binary that does not match.
	SHA256 string `yaml:"sha256"`
	// Args and Env are the plugin's own configuration: its command-line
	// arguments and its environment variables (KEY: value); of the server's
	// environment it gets only PATH, HOME, TMPDIR, LANG, LC_ALL and TZ.
	Args []string          `yaml:"args"`
	Env  map[string]string `yaml:"env"`
	// Timeout bounds every call to the plugin (a stream: every chunk);
	// 0 means the host's default, 30s (plugins.DefaultTimeout).
	Timeout Duration `yaml:"timeout"`
}

var pluginNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// validatePlugins checks the plugins list.
func (c *Config) validatePlugins() []error {
	var errs []error
	seen := map[string]bool{}
	for i, p := range c.Plugins {
		key := fmt.Sprintf("plugins[%d]", i)
		bad := func(field, format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s.%s: %s", key, field, fmt.Sprintf(format, args...)))
		}
		switch {
		case !pluginNameRE.MatchString(p.Name):
			bad("name", "must be 1 to 63 lower-case letters, digits, '-' or '_' (providers name it plugin:NAME), got %q", p.Name)
		case seen[p.Name]:
			bad("name", "%q is listed twice", p.Name)
		}
		seen[p.Name] = true
		if strings.TrimSpace(p.Path) == "" {
			bad("path", "must be the plugin's executable")
		}
		if sum, err := hex.DecodeString(p.SHA256); err != nil || len(sum) != 32 {
			bad("sha256", "must be the executable's SHA-256 as 64 hex digits (run: sha256sum %s)", p.Path)
		}
		if p.Timeout < 0 {
			bad("timeout", "must not be negative")
		}
	}
	return errs
}
