package core

import "time"

// Options configures an App. The config package fills it from YAML and the
// environment; tests fill it directly. Zero values mean the documented
// defaults (see WithDefaults).
type Options struct {
	AppID             string
	MasterKey         string
	ReadOnlyMasterKey string
	// MasterKeyIPs lists the IPs or CIDR ranges the master key is accepted
	// from. Empty means anywhere.
	MasterKeyIPs []string
	// ClientKeys, when any is set, must be presented by non-master requests
	// (X-Parse-REST-API-Key, X-Parse-Javascript-Key, X-Parse-Client-Key,
	// X-Parse-Windows-Key). Empty means the app id alone is enough, as on
	// Parse Server.
	ClientKeys []string
	// AllowClientClassCreation lets requests without the master key create
	// classes and add fields by saving objects.
	AllowClientClassCreation bool
	// MaxLimit caps the limit of a query (default 1000; 0 = default).
	MaxLimit int
	// DefaultLimit is the limit of a query that sets none (default 100).
	DefaultLimit int
	// Idempotency turns on X-Parse-Request-Id deduplication for these paths.
	Idempotency IdempotencyOptions
	// Limits bound query complexity.
	Limits QueryLimits
	// ServerURL is the public URL of the API mount, used in serverInfo and
	// file URLs.
	ServerURL string
}

// IdempotencyOptions mirrors Parse Server's idempotencyOptions.
type IdempotencyOptions struct {
	// Paths are regular expressions matched against the route path after the
	// mount path (e.g. "classes/.*", "functions/.*"). Empty disables.
	Paths []string
	// TTL is how long a request id is remembered (default 5m).
	TTL time.Duration
}

// QueryLimits bound how much work one query may ask for.
type QueryLimits struct {
	MaxOrWidth      int // children of one $or/$and/$nor (default 100)
	MaxDepth        int // nesting of $or/$and/$nor and subqueries (default 10)
	MaxIncludeDepth int // dot-segments in one include path (default 5)
	MaxIncludeCount int // include paths in one query (default 50)
	MaxInValues     int // values in one $in/$nin/$all (default 10000)
}

// WithDefaults returns o with zero values replaced by the defaults.
func (o Options) WithDefaults() Options {
	if o.AppID == "" {
		o.AppID = "switchboard"
	}
	if o.MaxLimit <= 0 {
		o.MaxLimit = 1000
	}
	if o.DefaultLimit <= 0 {
		o.DefaultLimit = 100
	}
	if o.Idempotency.TTL <= 0 {
		o.Idempotency.TTL = 5 * time.Minute
	}
	l := &o.Limits
	if l.MaxOrWidth <= 0 {
		l.MaxOrWidth = 100
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = 10
	}
	if l.MaxIncludeDepth <= 0 {
		l.MaxIncludeDepth = 5
	}
	if l.MaxIncludeCount <= 0 {
		l.MaxIncludeCount = 50
	}
	if l.MaxInValues <= 0 {
		l.MaxInValues = 10000
	}
	return o
}
