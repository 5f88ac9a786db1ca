package app

import "context"

// wireCloud wires the cloud feature (not built yet).
func wireCloud(ctx context.Context, f *features) error { return nil }
