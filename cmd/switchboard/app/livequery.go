package app

import "context"

// wireLiveQuery wires the livequery feature (not built yet).
func wireLiveQuery(ctx context.Context, f *features) error { return nil }
