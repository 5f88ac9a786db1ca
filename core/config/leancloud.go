package config

import (
	"errors"
	"time"
)

// LeanCloud configures the LeanCloud REST dialect at /1.1 (leancloud:
// {...}), served beside the Parse API for apps built on LeanCloud's SDKs.
// Its keys are the Parse ones: X-LC-Key is checked against javascriptKey,
// restAPIKey and clientKey, and ",master" against masterKey.
type LeanCloud struct {
	// Disabled turns the dialect off (it is on by default: it answers only
	// requests with the app id in X-LC-Id).
	Disabled bool `yaml:"disabled"`
	// SignatureWindow is how far the timestamp of an X-LC-Sign signature
	// may be from the server's clock, either way (default 15m).
	SignatureWindow Duration `yaml:"signatureWindow"`
}

// DefaultSignatureWindow is SignatureWindow when unset.
const DefaultSignatureWindow = 15 * time.Minute

// Window is the signature window in force.
func (s *LeanCloud) Window() time.Duration {
	if s.SignatureWindow == 0 {
		return DefaultSignatureWindow
	}
	return time.Duration(s.SignatureWindow)
}

// validate checks the section; c is the whole configuration.
func (s *LeanCloud) validate(c *Config) []error {
	if s.SignatureWindow < 0 || time.Duration(s.SignatureWindow) > 24*time.Hour {
		return []error{errors.New("leancloud.signatureWindow: must be between 0 (the default, 15m) and 24h")}
	}
	return nil
}
