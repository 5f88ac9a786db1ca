package hooks

import (
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"time"
)

// Options configure the cloud-code runtime. The zero value of each field
// means its default. Config keys (YAML) are given in brackets.
type Options struct {
	// AppID is the application id the SDK inside scripts is initialized with
	// (Parse.applicationId). [appId]
	AppID string
	// MountPath is where the REST API is mounted ("/parse"); the SDK puts it
	// in front of the paths of batch sub-requests. [mountPath]
	MountPath string

	// Timeout bounds one function or trigger invocation (default 5s); the
	// caller then gets 141 "timed out". [cloudCode.timeout]
	Timeout time.Duration
	// JobTimeout bounds one job run (default 15m). [cloudCode.jobTimeout]
	JobTimeout time.Duration
	// PoolSize is how many prewarmed runtimes serve a deployment (default
	// 2×GOMAXPROCS): at most that many invocations run at once; the others
	// wait. [cloudCode.poolSize]
	PoolSize int
	// QueueTimeout is how long a caller waits for a free runtime (default
	// 2s) before it gets 155 "cloud code is busy". [cloudCode.queueTimeout]
	QueueTimeout time.Duration
	// QueueLength bounds how many callers may wait at once (default
	// 64×PoolSize); one more is refused at once with 155. [cloudCode.queueLength]
	QueueLength int
	// MaxStackDepth bounds the JavaScript call stack (default 2000 frames);
	// deeper recursion ends the invocation with a RangeError.
	// [cloudCode.maxStackDepth]
	MaxStackDepth int
	// MemoryLimit is the Go heap size (bytes) above which running scripts are
	// interrupted, the oldest first, until the heap is below it again
	// (default 1 GiB; negative turns the guard off). [cloudCode.memoryLimit]
	MemoryLimit int64
	// HTTPAllowList lists the hosts Parse.Cloud.httpRequest may reach:
	// "api.example.com" (exactly that host), "*.example.com" (its
	// subdomains), optionally with ":port". Empty: no host at all.
	// [cloudCode.httpAllowList]
	HTTPAllowList []string
	// HTTPMaxResponse bounds a httpRequest response body (default 10 MiB).
	HTTPMaxResponse int64
	// LogSize is how many console/request.log lines each deployment keeps
	// (default 1000). [cloudCode.logSize]
	LogSize int
	// MaxNesting bounds how deeply cloud code may call cloud code (a function
	// that saves an object whose beforeSave runs a query whose afterFind
	// ...; default 8). Nested invocations do not wait for the pool.
	MaxNesting int

	// Logger receives operational messages (deployments, interrupted
	// scripts); default slog.Default().
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.MountPath == "" {
		o.MountPath = "/parse"
	}
	o.MountPath = "/" + strings.Trim(o.MountPath, "/")
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.JobTimeout <= 0 {
		o.JobTimeout = 15 * time.Minute
	}
	if o.PoolSize <= 0 {
		o.PoolSize = 2 * runtime.GOMAXPROCS(0)
	}
	if o.QueueTimeout <= 0 {
		o.QueueTimeout = 2 * time.Second
	}
	if o.QueueLength <= 0 {
		o.QueueLength = 64 * o.PoolSize
	}
	if o.MaxStackDepth <= 0 {
		o.MaxStackDepth = 2000
	}
	if o.MemoryLimit == 0 {
		o.MemoryLimit = 1 << 30
	}
	if o.HTTPMaxResponse <= 0 {
		o.HTTPMaxResponse = 10 << 20
	}
	if o.LogSize <= 0 {
		o.LogSize = 1000
	}
	if o.MaxNesting <= 0 {
		o.MaxNesting = 8
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

func (o Options) validate() error {
	if o.AppID == "" {
		return fmt.Errorf("cloud code: appId is required (the SDK inside scripts is initialized with it)")
	}
	if o.MaxStackDepth < 200 {
		return fmt.Errorf("cloud code: maxStackDepth %d is too small for the Parse SDK; use at least 200", o.MaxStackDepth)
	}
	for _, h := range o.HTTPAllowList {
		if _, err := parseAllowEntry(h); err != nil {
			return fmt.Errorf("cloud code: httpAllowList: %w", err)
		}
	}
	return nil
}
