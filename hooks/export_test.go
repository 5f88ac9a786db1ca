package hooks

import "context"

// MemGuardStats exposes the memory guard's peak heap and stop count to the
// sandbox tests.
func (m *Manager) MemGuardStats() (peak uint64, stopped int) { return m.mem.stats() }

// NewRuntimeForBench creates and drops one runtime of the active deployment.
func NewRuntimeForBench(m *Manager) error {
	_, err := newVM(context.Background(), m.Active())
	return err
}

// PlainUpdate exposes the native check of a beforeSave's write.
var PlainUpdate = plainUpdate

// FeatherRuns counts the active deployment's beforeSaves run on the
// feather path.
func FeatherRuns(m *Manager) int64 { return m.Active().featherRuns.Load() }
