package hooks

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dop251/goja"
	"github.com/dop251/goja_nodejs/require"
	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/hooks/parsesdk"
)

// Deployment is one loaded version of cloud code: its bundle compiled,
// main.js run in every runtime of its pool, and what it registered. It is
// immutable once built; the Manager swaps whole deployments.
type Deployment struct {
	Info VersionInfo

	bundle   *Bundle
	manager  *Manager
	opts     Options
	backend  Backend
	progs    *programs
	registry *require.Registry
	vms      vmRegistry
	pool     *pool
	mem      *memGuard
	http     *httpClient
	limiter  *rateLimiter
	logs     *logRing

	functions map[string]bool
	jobs      map[string]bool
	triggers  map[string]bool
	// labels are the triggers' labels (triggerLabel).
	labels sync.Map

	inflight atomic.Int64
	// featherRuns counts beforeSaves run on the feather path (feather.go).
	featherRuns atomic.Int64
}

// manifest is what main.js registered.
type manifest struct {
	Functions []string `json:"functions"`
	Jobs      []string `json:"jobs"`
	Triggers  []string `json:"triggers"`
}

// newDeployment checks a bundle, loads it into a first runtime (so that an
// error at load time refuses the version) and prewarms the pool.
func newDeployment(ctx context.Context, m *Manager, info VersionInfo, b *Bundle) (*Deployment, error) {
	if err := b.check(); err != nil {
		return nil, err
	}
	d := &Deployment{
		Info:     info,
		bundle:   b,
		manager:  m,
		opts:     m.opts,
		backend:  m.backend,
		progs:    m.progs,
		mem:      m.mem,
		http:     m.http,
		limiter:  m.limiter,
		logs:     newLogRing(m.opts.LogSize),
		triggers: map[string]bool{},
	}
	d.registry = newRegistry(b, parsesdk.Files(), d.vms.printer)
	create := func(ctx context.Context) (*jsvm, error) { return newVM(ctx, d) }
	d.pool = newPool(m.opts.PoolSize, m.opts.QueueLength, m.opts.MaxNesting, m.opts.QueueTimeout, create, func(err error) {
		m.opts.Logger.Error("cloud code: cannot create a runtime", "version", info.Version, "err", err)
	})
	first, err := newVM(ctx, d)
	if err != nil {
		return nil, loadError(err)
	}
	var man manifest
	if err := json.Unmarshal([]byte(first.manifest), &man); err != nil {
		return nil, core.Internal(fmt.Errorf("reading what %s registered: %w", EntryPoint, err))
	}
	d.functions = setOf(man.Functions)
	d.jobs = setOf(man.Jobs)
	d.triggers = setOf(man.Triggers)
	if err := d.pool.fill(ctx, first); err != nil {
		return nil, loadError(err)
	}
	return d, nil
}

// loadError reports a failure to run main.js as a refused bundle, with the
// script's stack (file:line) in the message: the uploader needs it.
func loadError(err error) error {
	ce := engineError("loading "+EntryPoint, err)
	msg := ce.Message
	if se, ok := ce.Err.(*ScriptError); ok && se.Stack != "" {
		msg = se.Stack
	}
	return &core.Error{Code: core.CodeScriptFailed, Message: "cloud code bundle refused: " + msg, Err: ce.Err}
}

func setOf(names []string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Bundle returns the deployment's files. Do not change them.
func (d *Deployment) Bundle() *Bundle { return d.bundle }

// close stops handing out runtimes; invocations already running finish.
func (d *Deployment) close() { d.pool.close() }

// HasFunction reports whether the deployment defines the function.
func (d *Deployment) HasFunction(name string) bool { return d.functions[name] }

// HasJob reports whether the deployment defines the job.
func (d *Deployment) HasJob(name string) bool { return d.jobs[name] }

// HasTrigger reports whether a trigger of kind is registered for className.
// It costs a map lookup, so the core can skip a stage at no cost.
func (d *Deployment) HasTrigger(kind Kind, className string) bool {
	return d.triggers[string(kind)+"."+className]
}

// Functions lists the defined cloud functions, sorted.
func (d *Deployment) Functions() []string { return sortedKeys(d.functions) }

// Jobs lists the defined jobs, sorted.
func (d *Deployment) Jobs() []string { return sortedKeys(d.jobs) }

// Triggers lists the registered triggers as "kind.className", sorted.
func (d *Deployment) Triggers() []string { return sortedKeys(d.triggers) }

// RunFunction runs the cloud function name (POST /functions/:name). An
// undefined name is 141 Invalid function: "name", as on Parse Server.
func (d *Deployment) RunFunction(ctx context.Context, name string, req *Request) (*Response, error) {
	if !d.functions[name] {
		return nil, core.Errorf(core.CodeScriptFailed, "Invalid function: %q", name)
	}
	return d.invoke(ctx, "function", name, "", "function "+name, d.opts.Timeout, req, nil)
}

// RunJob runs the job name under the job timeout. message, if not nil,
// receives what the job passes to request.message (for _JobStatus).
func (d *Deployment) RunJob(ctx context.Context, name string, req *Request, message func(string)) (*Response, error) {
	if !d.jobs[name] {
		return nil, core.Errorf(core.CodeScriptFailed, "Invalid job: %s", name)
	}
	return d.invoke(ctx, "job", name, "", "job "+name, d.opts.JobTimeout, req, message)
}

// RunTrigger runs the trigger of kind for className. With no such trigger it
// returns (nil, nil): the core goes on as if there were none. An error is a
// *core.Error: the Parse.Error code the script threw, or 141, or 142 from a
// validator; for before* triggers it must refuse the operation.
func (d *Deployment) RunTrigger(ctx context.Context, kind Kind, className string, req *Request) (*Response, error) {
	if !d.HasTrigger(kind, className) {
		return nil, nil
	}
	return d.invoke(ctx, "trigger", string(kind), className, d.triggerLabel(kind, className), d.opts.Timeout, req, nil)
}

// triggerLabel is "kind className", which names a trigger's invocation in
// errors and logs, made once per trigger.
func (d *Deployment) triggerLabel(kind Kind, className string) string {
	key := triggerKey{kind, className}
	if l, ok := d.labels.Load(key); ok {
		return l.(string)
	}
	l := string(kind) + " " + className
	d.labels.Store(key, l)
	return l
}

type triggerKey struct {
	kind      Kind
	className string
}

// jsResponse is the JSON cloud.js answers with.
type jsResponse struct {
	HasResult bool             `json:"hasResult"`
	Result    any              `json:"result"`
	Update    map[string]any   `json:"update"`
	Query     map[string]any   `json:"query"`
	Objects   []map[string]any `json:"objects"`
	File      map[string]any   `json:"file"`
	Context   map[string]any   `json:"context"`
}

type jsError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Stack   string `json:"stack"`
}

// stuckGrace is how long after its timeout a caller still waits for a
// runtime busy in a Go built-in before giving it up.
const stuckGrace = time.Second

func (d *Deployment) invoke(ctx context.Context, what, name, className, label string, timeout time.Duration, req *Request, jobMessage func(string)) (*Response, error) {
	if req == nil {
		req = &Request{}
	}
	level := nestingLevel(ctx, d.manager)
	if level >= d.opts.MaxNesting {
		return nil, core.Errorf(core.CodeScriptFailed, "%s: cloud code calls cloud code more than %d levels deep", label, d.opts.MaxNesting)
	}
	v, err := d.pool.acquire(ctx, level > 0)
	if err != nil {
		return nil, err
	}
	d.inflight.Add(1)
	defer d.inflight.Add(-1)
	inv := d.newInvocationAt(ctx, level, label, timeout)
	inv.jobMessage = jobMessage
	inv.what, inv.name, inv.className, inv.req = what, name, className, req
	// Each invocation answers on a channel of its own: the runtime goes
	// back to the pool before its answer is read, and the next caller must
	// not read this one's.
	inv.results = make(chan execResult, 1)
	v.do(inv)
	// The answer, or abandoned when a Go built-in ignored the timeout's
	// interrupt for longer than stuckGrace (see invocation.timedOut).
	r := <-inv.results
	if r.abandoned {
		// Answer now and let the runtime finish (and be dropped) alone.
		v.abandoned.Store(true)
		d.pool.discard(v)
		d.opts.Logger.Error("cloud code: a runtime did not stop after its timeout; replaced it", "script", label, "version", d.Info.Version)
		err := inv.interruptError()
		d.log("error", label, err.Message)
		return nil, err
	}
	return d.response(label, r)
}

func (d *Deployment) response(label string, r execResult) (*Response, error) {
	if r.err != nil {
		ce := engineError(label, r.err)
		d.logError(label, ce)
		return nil, ce
	}
	if !r.ok {
		var je jsError
		if err := json.Unmarshal([]byte(r.payload), &je); err != nil {
			return nil, core.Internal(fmt.Errorf("%s: unreadable error from the runtime: %w", label, err))
		}
		if je.Code == 0 {
			je.Code = int(core.CodeScriptFailed)
		}
		ce := &core.Error{Code: core.Code(je.Code), Message: je.Message}
		if je.Stack != "" {
			ce.Err = &ScriptError{Label: label, Stack: cleanStack(je.Stack)}
		}
		d.logError(label, ce)
		return nil, ce
	}
	if r.save != nil {
		return r.save, nil
	}
	if r.answer != nil {
		return answerResponse(r.answer), nil
	}
	var jr jsResponse
	if err := json.Unmarshal([]byte(r.payload), &jr); err != nil {
		return nil, core.Internal(fmt.Errorf("%s: unreadable answer from the runtime: %w", label, err))
	}
	return &Response{
		Result:    jr.Result,
		HasResult: jr.HasResult,
		Update:    jr.Update,
		Query:     jr.Query,
		Objects:   jr.Objects,
		File:      jr.File,
		Context:   jr.Context,
	}, nil
}

// answerResponse reads a trigger's exported answer.
func answerResponse(a map[string]any) *Response {
	r := &Response{}
	r.HasResult = a["hasResult"] == true
	r.Result = a["result"]
	r.Update, _ = a["update"].(map[string]any)
	r.Query, _ = a["query"].(map[string]any)
	r.File, _ = a["file"].(map[string]any)
	r.Context, _ = a["context"].(map[string]any)
	if list, ok := a["objects"].([]any); ok {
		r.Objects = make([]map[string]any, 0, len(list))
		for _, o := range list {
			if m, ok := o.(map[string]any); ok {
				r.Objects = append(r.Objects, m)
			}
		}
	}
	return r
}

// plainUpdate reports whether a beforeSave's write is one cloud.js's light
// request.object takes as it is (lightWrite there makes the same checks):
// field names it accepts, values that are plain JSON (dates, pointers,
// files and the like included, but no full objects or relations) and no
// operator but Delete and a numeric Increment. Checked here, natively, it
// spares each beforeSave a walk of the write in JavaScript; a write it
// does not recognise (false) is checked there.
func plainUpdate(update map[string]any) bool {
	for k, v := range update {
		if readOnlyFields[k] {
			continue
		}
		if !lightKeyName(k) {
			return false
		}
		if m, ok := v.(map[string]any); ok {
			if op, isOp := m["__op"].(string); isOp {
				if op == "Delete" {
					continue
				}
				if _, isNumber := m["amount"].(float64); op == "Increment" && isNumber {
					continue
				}
				return false
			}
		}
		if !plainJSONValue(v, 0) {
			return false
		}
	}
	return true
}

// lightKeyName matches cloud.js's KEY_NAME, /^[A-Za-z_][0-9A-Za-z_.]*$/.
func lightKeyName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		case (c >= '0' && c <= '9') || c == '.':
			if i == 0 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// plainJSONValue matches cloud.js's plainJSON for the values JSON decodes
// to; any other Go value is left to cloud.js (false).
func plainJSONValue(v any, depth int) bool {
	switch x := v.(type) {
	case nil, string, bool, float64:
		return true
	case []any:
		if depth > 32 {
			return false
		}
		for _, e := range x {
			if !plainJSONValue(e, depth+1) {
				return false
			}
		}
		return true
	case map[string]any:
		if depth > 32 {
			return false
		}
		if _, isOp := x["__op"].(string); isOp {
			return false
		}
		if t := x["__type"]; t == "Object" || t == "Relation" {
			return false
		}
		for _, e := range x {
			if !plainJSONValue(e, depth+1) {
				return false
			}
		}
		return true
	}
	return false
}

// readOnlyFields are the fields of a write a beforeSave's request.object
// leaves out (the server sets them), as cloud.js's READ_ONLY_KEYS; see
// exportSave.
var readOnlyFields = map[string]bool{"objectId": true, "createdAt": true, "updatedAt": true, "sessionToken": true, "className": true, "__type": true}

func (d *Deployment) logError(label string, ce *core.Error) {
	msg := fmt.Sprintf("failed with code %d: %s", ce.Code, ce.Message)
	if se, ok := ce.Err.(*ScriptError); ok {
		msg += "\n" + se.Stack
	}
	d.log("error", label, msg)
}

func (d *Deployment) log(level, source, msg string) {
	d.logs.add(LogEntry{Time: time.Now().UTC(), Level: level, Source: source, Message: msg, Version: d.Info.Version})
}

// LogEntry is one line of console or request.log output, or a script error.
type LogEntry struct {
	Time    time.Time `json:"timestamp"`
	Level   string    `json:"level"`
	Message string    `json:"message"`
	// Source is what ran: "function hello", "beforeSave Game", "loading main.js".
	Source  string `json:"source,omitempty"`
	Version int    `json:"version"`
}

// maxLogMessage bounds one log line; longer ones are cut.
const maxLogMessage = 8 << 10

// logRing keeps the last n log entries of a deployment.
type logRing struct {
	mu      sync.Mutex
	entries []LogEntry
	next    int
	full    bool
}

func newLogRing(n int) *logRing { return &logRing{entries: make([]LogEntry, n)} }

func (r *logRing) add(e LogEntry) {
	if len(e.Message) > maxLogMessage {
		e.Message = e.Message[:maxLogMessage] + " …(cut)"
	}
	r.mu.Lock()
	r.entries[r.next] = e
	r.next = (r.next + 1) % len(r.entries)
	if r.next == 0 {
		r.full = true
	}
	r.mu.Unlock()
}

// all returns the kept entries, oldest first.
func (r *logRing) all() []LogEntry {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.full {
		return append([]LogEntry(nil), r.entries[:r.next]...)
	}
	out := make([]LogEntry, 0, len(r.entries))
	out = append(out, r.entries[r.next:]...)
	return append(out, r.entries[:r.next]...)
}

// rateLimiter counts calls per key in fixed windows, for the validator
// option rateLimit. It is per node: with n nodes a caller gets up to n times
// the count, which is what "where cheap" buys.
type rateLimiter struct {
	mu      sync.Mutex
	windows map[string]*rateWindow
	sweep   time.Time
}

type rateWindow struct {
	start time.Time
	count int
	span  time.Duration
}

func newRateLimiter() *rateLimiter { return &rateLimiter{windows: map[string]*rateWindow{}} }

func (l *rateLimiter) allow(key string, limit int, span time.Duration) bool {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.sweep) > time.Minute {
		for k, w := range l.windows {
			if now.Sub(w.start) > w.span {
				delete(l.windows, k)
			}
		}
		l.sweep = now
	}
	w := l.windows[key]
	if w == nil || now.Sub(w.start) >= span {
		w = &rateWindow{start: now, span: span}
		l.windows[key] = w
	}
	w.count++
	return w.count <= limit
}

// The fields of the object requestValue fills, by index.
const (
	pMaster = iota
	pUser
	pInstallationID
	pIP
	pHeaders
	pContext
	pParams
	pObject
	pOriginal
	pUpdate
	pQuery
	pFile
	pEvent
	pObjects
	pIsGet
	pCount
	pFileSize
	pPlainUpdate
	pFields
)

var payloadKeys = [pFields]string{"master", "user", "installationId", "ip", "headers", "context", "params", "object",
	"original", "update", "query", "file", "event", "objects", "isGet", "count", "fileSize", "plainUpdate"}

// requestValue is the request as the JavaScript object cloud.js reads,
// built without a JSON round trip: maps and slices are wrapped, not
// copied. cloud.js copies what it hands to scripts (params, context,
// headers) and decodes the rest into new values, so scripts never write
// into the caller's maps.
//
// The object itself is the runtime's own, refilled for each invocation:
// cloud.js reads it during the invocation and never hands it to a script,
// and filling the fields an object already has costs a fraction of making
// a new one. Fields the request lacks are undefined; only those the last
// invocation set are cleared (payloadSet).
func (v *jsvm) requestValue(rt *goja.Runtime, req *Request) goja.Value {
	if v.payload == nil {
		v.payload = rt.NewObject()
		for _, k := range payloadKeys {
			_ = v.payload.Set(k, goja.Undefined())
		}
	}
	o := v.payload
	var set uint32
	put := func(i int, val any) {
		set |= 1 << i
		_ = o.Set(payloadKeys[i], val)
	}
	put(pMaster, req.Master)
	if req.User != nil {
		put(pUser, req.User)
	}
	if req.InstallationID != "" {
		put(pInstallationID, req.InstallationID)
	}
	if req.IP != "" {
		put(pIP, req.IP)
	}
	if len(req.Headers) > 0 {
		// Scripts see it as request.headers (headersValue).
		put(pHeaders, v.headersValue(rt, req.Headers))
	}
	for _, m := range [...]struct {
		i int
		v map[string]any
	}{{pContext, req.Context}, {pParams, req.Params}, {pObject, req.Object}, {pOriginal, req.Original},
		{pUpdate, req.Update}, {pQuery, req.Query}, {pFile, req.File}, {pEvent, req.Event}} {
		if m.v != nil {
			put(m.i, m.v)
		}
	}
	if req.Objects != nil {
		list := make([]any, len(req.Objects))
		for i, obj := range req.Objects {
			list[i] = obj
		}
		put(pObjects, list)
	}
	if req.IsGet {
		put(pIsGet, true)
	}
	if req.Count {
		put(pCount, true)
	}
	if req.FileSize != 0 {
		put(pFileSize, req.FileSize)
	}
	if req.Update != nil && plainUpdate(req.Update) {
		put(pPlainUpdate, true)
	}
	for i := range pFields {
		if v.payloadSet&^set&(1<<i) != 0 {
			_ = o.Set(payloadKeys[i], goja.Undefined())
		}
	}
	v.payloadSet = set
	return o
}
