package config

import (
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Console configures the admin console served at /dashboard (see README,
// "Admin console"). It is on by default: with no admins configured, only
// the master key (or the read-only master key) signs in.
type Console struct {
	// Enabled serves the console (default true).
	Enabled bool `yaml:"enabled"`
	// Admins are console accounts that sign in with a password instead of
	// the master key. The server never keeps their passwords, only bcrypt
	// hashes (htpasswd -nbB USER PASS, or any bcrypt tool).
	Admins []ConsoleAdmin `yaml:"admins"`
	// SessionLength is how long a console sign-in lasts (default 12h).
	SessionLength Duration `yaml:"sessionLength"`
	// LoginAttempts bounds sign-in attempts per client IP and per account
	// name in LoginWindow (defaults 10 per 5 minutes); -1: no limit.
	LoginAttempts int      `yaml:"loginAttempts"`
	LoginWindow   Duration `yaml:"loginWindow"`
}

// ConsoleAdmin is one console account.
type ConsoleAdmin struct {
	Username     string `yaml:"username"`
	PasswordHash string `yaml:"passwordHash"`
	// ReadOnly admins act with the read-only master key: they can look at
	// everything and change nothing.
	ReadOnly bool `yaml:"readOnly"`
}

func defaultConsole() Console {
	return Console{Enabled: true, SessionLength: Duration(12 * time.Hour), LoginAttempts: 10, LoginWindow: Duration(5 * time.Minute)}
}

// validate checks the section; c is the whole configuration.
func (s *Console) validate(c *Config) []error {
	var errs []error
	if s.SessionLength <= 0 {
		errs = append(errs, fmt.Errorf("console.sessionLength: must be positive, got %s", s.SessionLength))
	}
	if s.LoginAttempts < -1 || s.LoginAttempts == 0 {
		errs = append(errs, fmt.Errorf("console.loginAttempts: must be positive, or -1 for no limit, got %d", s.LoginAttempts))
	}
	if s.LoginWindow <= 0 {
		errs = append(errs, fmt.Errorf("console.loginWindow: must be positive, got %s", s.LoginWindow))
	}
	seen := map[string]bool{}
	for i, a := range s.Admins {
		at := fmt.Sprintf("console.admins[%d]", i)
		switch {
		case strings.TrimSpace(a.Username) == "":
			errs = append(errs, fmt.Errorf("%s.username: required", at))
		case seen[a.Username]:
			errs = append(errs, fmt.Errorf("%s.username: %q is listed twice", at, a.Username))
		}
		seen[a.Username] = true
		if _, err := bcrypt.Cost([]byte(a.PasswordHash)); err != nil {
			errs = append(errs, fmt.Errorf("%s.passwordHash: not a bcrypt hash (make one with htpasswd -nbB %s PASSWORD): %v", at, a.Username, err))
		}
		if a.ReadOnly && c.ReadOnlyMasterKey == "" {
			errs = append(errs, fmt.Errorf("%s.readOnly: set readOnlyMasterKey too; read-only admins act with it", at))
		}
	}
	return errs
}
