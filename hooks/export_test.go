package hooks

// MemGuardStats exposes the memory guard's peak heap and stop count to the
// sandbox tests.
func (m *Manager) MemGuardStats() (peak uint64, stopped int) { return m.mem.stats() }
