package app

import "context"

// wireLeanCloud wires the leancloud feature (not built yet).
func wireLeanCloud(ctx context.Context, f *features) error { return nil }
