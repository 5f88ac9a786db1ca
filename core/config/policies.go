package config

import "fmt"

// Policies configures the Rego policy engine (see README, "Permission
// policies").
type Policies struct {
	// Dir is the folder of .rego and data.json files loaded at start
	// (default <dir>/policies; a missing folder means no policies).
	Dir string `yaml:"dir"`
	// AllowUnsafeBuiltins lets policies call http.send, opa.runtime and
	// net.lookup_ip_addr; off, a policy using one is refused when it loads.
	AllowUnsafeBuiltins bool `yaml:"allowUnsafeBuiltins"`
	// ApplyToMaster evaluates policies for the master key too; off, the
	// master key bypasses them as it bypasses ACLs and CLPs.
	ApplyToMaster bool `yaml:"applyToMaster"`
	// Debug names the rule, file:line and failed expression in denials.
	Debug bool `yaml:"debug"`
	// DecisionLog samples decisions into the log.
	DecisionLog DecisionLog `yaml:"decisionLog"`
}

// DecisionLog configures the policy decision log.
type DecisionLog struct {
	// Sample is the fraction of decisions logged, 0 (none) to 1 (all).
	Sample float64 `yaml:"sample"`
}

// validate checks the section; c is the whole configuration.
func (s *Policies) validate(c *Config) []error {
	if s.DecisionLog.Sample < 0 || s.DecisionLog.Sample > 1 {
		return []error{fmt.Errorf("policies.decisionLog.sample: must be between 0 and 1, got %v", s.DecisionLog.Sample)}
	}
	return nil
}
