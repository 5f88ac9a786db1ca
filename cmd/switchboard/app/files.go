package app

import "context"

// wireFiles wires the files feature (not built yet).
func wireFiles(ctx context.Context, f *features) error { return nil }
