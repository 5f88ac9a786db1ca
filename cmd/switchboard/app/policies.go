package app

import "context"

// wirePolicies wires the policies feature (not built yet).
func wirePolicies(ctx context.Context, f *features) error { return nil }
