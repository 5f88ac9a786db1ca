package hooks

import "context"

// Backend runs Parse REST calls in process, with no HTTP. It is how scripts
// reach data: every Parse.Object save, Parse.Query find, Parse.User logIn,
// Parse.Config get and Parse.Cloud.run inside cloud code becomes one Request.
// The core implements it over its own request pipeline (keys, ACL/CLP,
// policies, triggers), so a script's write runs the same triggers as a
// client's.
//
// Promises hooks makes to a Backend:
//   - method is GET, POST, PUT or DELETE;
//   - path is relative to the mount path, without a leading slash, exactly as
//     the Parse JS SDK builds it: "classes/Game", "classes/Game/abc123",
//     "users", "users/me", "login", "logout", "functions/name", "jobs/name",
//     "batch", "config", "schemas/Game", "aggregate/Game", "requestPasswordReset",
//     ... Sub-requests inside a "batch" body carry the mount path
//     ("/parse/classes/Game"), as the SDK sends them;
//   - body is decoded JSON in the Parse REST encoding (dates, pointers and
//     files as "__type" maps, update operators as "__op" maps); for GET it
//     holds the query parameters (where, limit, order, keys, include, count,
//     ...) as the SDK sends them in its POST envelope; it may be nil;
//   - ctx carries the calling invocation's deadline, and a marker that lets a
//     trigger fired by this call run without waiting for a free runtime (see
//     Manager): the Backend must pass ctx on to everything it calls.
//
// Promises a Backend makes:
//   - the reply's Body is what the REST route would answer as JSON body,
//     decoded (map[string]any, []any, string, float64, bool or nil) or
//     json.RawMessage, never another Go type; Headers are the reply's extra
//     headers (X-Parse-Job-Status-Id), which the SDK reads for
//     Parse.Cloud.startJob;
//   - err is a *core.Error with the Parse code the route would answer; any
//     other error is reported to the script as an internal error (code 1);
//   - it is safe for concurrent use.
type Backend interface {
	Request(ctx context.Context, method, path string, body map[string]any, as Caller) (Reply, error)
}

// Reply is a Backend's answer to one request.
type Reply struct {
	Body    any
	Headers map[string]string
}

// Caller is who a Backend request runs as. Cloud code acts as an anonymous
// client unless it passes useMasterKey or a sessionToken, as on Parse Server.
type Caller struct {
	// Master: the request holds the master key (useMasterKey: true).
	Master bool
	// SessionToken acts as that session's user (option sessionToken).
	SessionToken string
	// InstallationID is sent as the installation id (option installationId).
	InstallationID string
	// Context is the cloud-code context (option context), which triggers fired
	// by this request see as request.context.
	Context map[string]any
}
