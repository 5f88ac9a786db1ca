package app

import "context"

// wirePush wires the push feature (not built yet).
func wirePush(ctx context.Context, f *features) error { return nil }
