package plugins

// PID is the process id of the named plugin, for the fault tests.
func PID(h *Host, name string) int { return h.procs[name].pid() }

// FirstRestartDelay and PollInterval bound how soon a crash is seen and
// the plugin started again.
const (
	FirstRestartDelay = firstRestartDelay
	PollInterval      = pollInterval
)
