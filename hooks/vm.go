package hooks

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dop251/goja"
	"github.com/dop251/goja_nodejs/buffer"
	"github.com/dop251/goja_nodejs/console"
	"github.com/dop251/goja_nodejs/eventloop"
	"github.com/dop251/goja_nodejs/require"
	"github.com/dop251/goja_nodejs/url"
	"github.com/switchboardhq/switchboard/core"
)

var (
	//go:embed js/prelude.js
	preludeSource string
	//go:embed js/ctors.js
	ctorsSource string
	//go:embed js/cloud.js
	cloudSource string
	//go:embed js/events.js
	eventsSource string
)

// sdkRoot is where the SDK's modules live in a runtime's module namespace;
// bundle paths cannot start with "@", so they never collide.
const sdkRoot = "/@parse/"

// programs are compiled once per Manager and shared by every runtime.
type programs struct {
	prelude, ctors, cloud *goja.Program
}

func compilePrograms() (*programs, error) {
	var p programs
	for _, c := range []struct {
		dst  **goja.Program
		name string
		src  string
	}{
		{&p.prelude, "prelude.js", preludeSource},
		{&p.ctors, "ctors.js", ctorsSource},
		{&p.cloud, "cloud.js", cloudSource},
	} {
		prg, err := goja.Compile(c.name, c.src, true)
		if err != nil {
			return nil, fmt.Errorf("compiling the built-in %s: %w", c.name, err)
		}
		*c.dst = prg
	}
	return &p, nil
}

// newRegistry makes the module registry of one deployment: the bundle's
// files at "/", the SDK at /@parse/, a few Node modules the SDK or cloud
// code expects, and nothing from the host's filesystem. It caches compiled
// modules, so every runtime of the deployment shares them.
func newRegistry(b *Bundle, sdk fs.FS, printerFor func(*goja.Runtime) console.Printer) *require.Registry {
	load := func(p string) ([]byte, error) {
		if rest, ok := strings.CutPrefix(p, sdkRoot); ok {
			src, err := fs.ReadFile(sdk, rest)
			if err != nil {
				return nil, require.ModuleFileDoesNotExistError
			}
			return src, nil
		}
		if src, ok := b.Files[strings.TrimPrefix(p, "/")]; ok {
			return src, nil
		}
		return nil, require.ModuleFileDoesNotExistError
	}
	reg := require.NewRegistry(
		require.WithLoader(load),
		// Pure path arithmetic: no symlinks, no host paths.
		require.WithPathResolver(func(base, p string) string { return path.Join("/", base, p) }),
	)
	reg.RegisterNativeModule("console", func(rt *goja.Runtime, m *goja.Object) {
		console.RequireWithPrinter(printerFor(rt))(rt, m)
	})
	parseModule := func(rt *goja.Runtime, m *goja.Object) {
		p := rt.Get("Parse")
		m.Set("exports", p)
		m.Get("exports").ToObject(rt).Set("Parse", p)
	}
	for _, name := range []string{"parse", "parse/node"} {
		reg.RegisterNativeModule(name, parseModule)
	}
	reg.RegisterNativeModule("events", func(rt *goja.Runtime, m *goja.Object) {
		fn, err := rt.RunScript("events.js", "(function(module){"+eventsSource+"\n})")
		if err != nil {
			panic(err)
		}
		call, _ := goja.AssertFunction(fn)
		if _, err := call(goja.Undefined(), m); err != nil {
			panic(err)
		}
	})
	reg.RegisterNativeModule("crypto", cryptoModule)
	// Modules the SDK requires for features that have no meaning here
	// (browser storage, encrypted local users, Node streams, WebSockets):
	// empty, so loading succeeds and using them fails clearly.
	unavailable := func(name string) require.ModuleLoader {
		return func(rt *goja.Runtime, m *goja.Object) {
			o := m.Get("exports").ToObject(rt)
			o.Set("encrypt", func() { panic(rt.NewTypeError(name + " is not available in cloud code")) })
			o.Set("decrypt", func() { panic(rt.NewTypeError(name + " is not available in cloud code")) })
		}
	}
	for _, name := range []string{"crypto-js/aes", "crypto-js/enc-utf8", "idb-keyval", "stream"} {
		reg.RegisterNativeModule(name, unavailable(name))
	}
	return reg
}

// jsvm is one prewarmed runtime of a deployment. One invocation at a time
// uses it, on one goroutine at a time.
type jsvm struct {
	dep  *Deployment
	loop *eventloop.EventLoop
	rt   *goja.Runtime
	req  *require.RequireModule
	run  goja.Callable
	// manifest is what main.js registered, as JSON.
	manifest string

	// inv is the invocation running now (nil between invocations).
	inv *invocation
	// broken: interrupted or failed in a way that may leave bad state; the
	// pool replaces it instead of reusing it.
	broken bool
	// overflow: created beyond the pool size for a nested call.
	overflow bool
	// abandoned: the caller stopped waiting (stuck in a Go built-in); the
	// goroutine running it drops it when it returns.
	abandoned atomic.Bool

	// work feeds the runtime's own goroutine (see do).
	work chan *invocation
	// timer interrupts the invocation timing holds at its timeout (exec).
	timer  *time.Timer
	timing atomic.Pointer[invocation]
	// startFn starts an invocation of invoke (see serve); strs are the
	// names it passes, as JavaScript strings (see str).
	startFn func(*goja.Runtime) error
	strs    map[string]goja.Value
	// doneFn is the JavaScript function cloud.js calls with the outcome;
	// settled and result hold it for the invocation running now.
	doneFn       goja.Value
	rawParse     goja.Value
	rawStringify goja.Value
	settled      bool
	result       execResult
	// payload is the request object cloud.js reads (requestValue);
	// payloadSet, the fields it holds values in.
	payload    *goja.Object
	payloadSet uint32
	// feather is the feather path's state (feather.go).
	feather feather
}

// newVM creates a runtime and loads the deployment into it: guards, Node
// globals, the SDK, the Parse.Cloud API, then main.js. Loading runs under
// the same limits as an invocation.
func newVM(ctx context.Context, d *Deployment) (*jsvm, error) {
	v := &jsvm{dep: d}
	v.loop = eventloop.NewEventLoop(eventloop.WithRegistry(d.registry), eventloop.EnableConsole(false))
	v.loop.Run(func(rt *goja.Runtime) { v.rt = rt }) // the loop's runtime, which invocations use directly
	inv := d.newInvocation(ctx, "loading "+EntryPoint, d.opts.Timeout)
	res := v.exec(inv, func(rt *goja.Runtime) error {
		d.vms.Store(rt, v)
		if err := v.setup(rt); err != nil {
			return err
		}
		v.settle(true, "")
		return nil
	})
	inv.cancel()
	if res.err != nil {
		d.vms.Delete(v.rt)
		return nil, res.err
	}
	if v.broken {
		d.vms.Delete(v.rt)
		return nil, core.Errorf(core.CodeScriptFailed, "loading %s left the runtime unusable", EntryPoint)
	}
	return v, nil
}

func (v *jsvm) setup(rt *goja.Runtime) error {
	d := v.dep
	rt.SetMaxCallStackSize(d.opts.MaxStackDepth)
	// JSON.parse before its guard, for the text the server itself hands to
	// cloud.js (payloads, backend answers): Go's encoder bounds its nesting.
	v.rawParse = rt.Get("JSON").ToObject(rt).Get("parse")
	v.rawStringify = rt.Get("JSON").ToObject(rt).Get("stringify")
	if err := installGuards(rt, v.stopping); err != nil {
		return fmt.Errorf("installing guards: %w", err)
	}
	v.req = d.registry.Enable(rt)
	if _, err := rt.RunProgram(d.progs.prelude); err != nil {
		return fmt.Errorf("prelude: %w", err)
	}
	rt.Set("console", require.Require(rt, console.ModuleName))
	buffer.Enable(rt)
	url.Enable(rt)
	ctors, err := rt.RunProgram(d.progs.ctors)
	if err != nil {
		return fmt.Errorf("constructor guards: %w", err)
	}
	ctorsFn, _ := goja.AssertFunction(ctors)
	if _, err := ctorsFn(goja.Undefined(), rt.ToValue(v.checkDynamicSource), rt.ToValue(maxBufferBytes)); err != nil {
		return fmt.Errorf("constructor guards: %w", err)
	}

	sdk, err := v.req.Require(sdkRoot + "Parse.js")
	if err != nil {
		return fmt.Errorf("loading the Parse SDK: %w", err)
	}
	parse := sdk.ToObject(rt).Get("default")
	rt.Set("Parse", parse)

	glue, err := rt.RunProgram(d.progs.cloud)
	if err != nil {
		return fmt.Errorf("Parse.Cloud API: %w", err)
	}
	glueFn, _ := goja.AssertFunction(glue)
	api, err := glueFn(goja.Undefined(), v.bridge(rt))
	if err != nil {
		return fmt.Errorf("Parse.Cloud API: %w", err)
	}
	apiObj := api.ToObject(rt)
	v.run, _ = goja.AssertFunction(apiObj.Get("run"))
	v.feather.logger = apiObj.Get("logger")
	v.feather.inflate, _ = goja.AssertFunction(apiObj.Get("inflate"))
	v.feather.failWith, _ = goja.AssertFunction(apiObj.Get("failWith"))
	v.feather.featherAwait, _ = goja.AssertFunction(apiObj.Get("featherAwait"))
	v.feather.featherAns, _ = goja.AssertFunction(apiObj.Get("featherAnswer"))
	v.feather.featherProto, _ = goja.AssertFunction(apiObj.Get("featherProto"))
	v.doneFn = rt.ToValue(func(c goja.FunctionCall) goja.Value {
		ok, answer := c.Argument(0).ToBoolean(), c.Argument(1)
		if keys, isDelta := c.Argument(2).(*goja.Object); ok && isDelta {
			// A beforeSave's light answer: the fields it changed, their
			// values, and the context.
			values, _ := c.Argument(3).(*goja.Object)
			save, err := v.exportSave(keys, values, c.Argument(4))
			if err != nil {
				panic(rt.NewGoError(err))
			}
			v.settleSave(save)
			return goja.Undefined()
		}
		if _, isObject := answer.(*goja.Object); !isObject || !ok {
			v.settle(ok, answer.String())
			return goja.Undefined()
		}
		// A trigger's answer, as an object: exported without JSON.
		m, err := v.exportAnswer(answer)
		if err != nil {
			panic(rt.NewGoError(err))
		}
		v.settleValue(m)
		return goja.Undefined()
	})
	manifest, _ := goja.AssertFunction(apiObj.Get("manifest"))

	if _, err := v.req.Require("/" + EntryPoint); err != nil {
		return err
	}
	m, err := manifest(goja.Undefined())
	if err != nil {
		return err
	}
	v.manifest = m.String()
	return nil
}

// stopping reports whether the current invocation was interrupted, for
// guards that loop in Go.
func (v *jsvm) stopping() bool {
	inv := v.inv
	return inv != nil && inv.state.Load() == invInterrupted
}

func (v *jsvm) checkDynamicSource(call goja.FunctionCall) goja.Value {
	args := call.Argument(0).Export()
	list, _ := args.([]any)
	total := 0
	for _, a := range list {
		s, ok := a.(string)
		if !ok {
			continue
		}
		total += len(s)
		if total > maxDynamicSource {
			panic(v.rt.NewGoError(&guardError{msg: fmt.Sprintf("source given to eval or new Function is longer than %d bytes", maxDynamicSource)}))
		}
		if err := checkSourceNesting(s, maxNestingDepth); err != nil {
			panic(v.rt.NewGoError(&guardError{msg: "eval/new Function: " + err.Error()}))
		}
	}
	return goja.Undefined()
}

// Log, Warn and Error make jsvm the console's printer.
func (v *jsvm) Log(s string)   { v.dep.log("info", v.label(), s) }
func (v *jsvm) Warn(s string)  { v.dep.log("warn", v.label(), s) }
func (v *jsvm) Error(s string) { v.dep.log("error", v.label(), s) }

func (v *jsvm) label() string {
	if v.inv != nil {
		return v.inv.label
	}
	return ""
}

// bridge is the object cloud.js receives: the only way from JavaScript to
// the server.
func (v *jsvm) bridge(rt *goja.Runtime) *goja.Object {
	d := v.dep
	b := rt.NewObject()
	b.Set("appId", d.opts.AppID)
	b.Set("parse", v.rawParse)
	b.Set("rawStringify", v.rawStringify)
	b.Set("serverURL", "http://switchboard.internal"+d.opts.MountPath)
	b.Set("request", v.backendRequest)
	b.Set("httpRequest", func(optionsJSON string) []any {
		out, err := d.http.do(v.ctx(), optionsJSON)
		if err != nil {
			ce := core.AsError(err)
			return []any{false, int(ce.Code), ce.Message}
		}
		return []any{true, out}
	})
	b.Set("log", func(level, msg string) { d.log(level, v.label(), msg) })
	b.Set("rateLimit", func(key string, count int, windowMS float64) bool {
		return d.limiter.allow(key, count, time.Duration(windowMS*float64(time.Millisecond)))
	})
	b.Set("jobMessage", func(msg string) {
		if inv := v.inv; inv != nil && inv.jobMessage != nil {
			inv.jobMessage(msg)
		}
	})
	v.featherBridge(rt, b)
	return b
}

func (v *jsvm) ctx() context.Context {
	if v.inv != nil {
		return v.inv.ctx()
	}
	return context.Background()
}

// backendRequest is the SDK's RESTController: one Backend call, answered
// synchronously (the runtime belongs to this invocation alone, so blocking
// it costs nobody else), as [true, resultJSON, headersJSON] or [false, code,
// message].
func (v *jsvm) backendRequest(method, p, body string, master bool, token, installation, ctxJSON string) []any {
	d := v.dep
	fail := func(err error) []any {
		ce := core.AsError(err)
		if ce.Code == core.CodeInternalServerError {
			d.opts.Logger.Warn("cloud code: backend request failed", "method", method, "path", p, "err", ce)
		}
		return []any{false, int(ce.Code), ce.Message}
	}
	if d.backend == nil {
		return fail(core.Errorf(core.CodeCommandUnavailable, "cloud code has no data backend on this server"))
	}
	var bodyMap map[string]any
	if body != "" {
		if err := json.Unmarshal([]byte(body), &bodyMap); err != nil {
			return fail(core.Errorf(core.CodeInvalidJSON, "request body must be a JSON object: %v", err))
		}
	}
	caller := Caller{Master: master, SessionToken: token, InstallationID: installation}
	if ctxJSON != "" {
		if err := json.Unmarshal([]byte(ctxJSON), &caller.Context); err != nil {
			return fail(core.Errorf(core.CodeInvalidJSON, "context must be a JSON object: %v", err))
		}
	}
	rep, err := d.backend.Request(v.ctx(), strings.ToUpper(method), strings.TrimPrefix(p, "/"), bodyMap, caller)
	if err != nil {
		return fail(err)
	}
	headers := ""
	if len(rep.Headers) > 0 {
		h, _ := json.Marshal(rep.Headers)
		headers = string(h)
	}
	if rep.Body == nil {
		return []any{true, "", headers}
	}
	out, err := json.Marshal(rep.Body)
	if err != nil {
		return fail(core.Internal(fmt.Errorf("encoding the backend's answer to %s %s: %w", method, p, err)))
	}
	return []any{true, string(out), headers}
}

// execResult is what one exec produced.
type execResult struct {
	ok      bool
	payload string
	// answer is the exported answer of a trigger (payload is then empty).
	answer map[string]any
	err    error
	// save is a beforeSave's answer from a light object (exportSave).
	save *Response
	// abandoned: no result, the runtime did not stop in time (giveUp).
	abandoned bool
}

// exec runs start on the runtime's event loop and waits until the
// invocation settles (start's done is called), the loop has nothing left to
// do, or the invocation is interrupted (timeout, memory guard, caller gone).
// Timers still pending when it settles are cancelled.
func (v *jsvm) exec(inv *invocation, start func(rt *goja.Runtime) error) execResult {
	v.settled, v.result = false, execResult{}
	inv.vm = v
	v.inv = inv
	d := v.dep
	d.mem.add(inv)
	if v.timer == nil {
		v.timer = time.AfterFunc(time.Hour, v.timedOut)
		v.timer.Stop()
	}
	v.timing.Store(inv)
	v.timer.Reset(inv.timeout)
	// A caller that goes away stops the script: the memory guard, which
	// watches running invocations anyway, notices it (memGuard.check);
	// without the guard, a callback on the caller's context does.
	stopCancel := noStop
	if !d.mem.watching() {
		stopCancel = context.AfterFunc(inv.parent, func() { inv.interrupt(errCancelled) })
	}
	// The invocation starts outside the event loop: most settle at once
	// (a synchronous handler, promise reactions run when the call returns)
	// and never need it. Timers, intervals and pending callbacks start it.
	if err := start(v.rt); err != nil && !v.settled {
		v.settled = true
		v.result.err = err
	}
	if !v.settled && inv.state.Load() == invRunning {
		v.loop.Run(func(*goja.Runtime) {})
	}
	v.timer.Stop()
	v.timing.Store(nil)
	stopCancel()
	d.mem.remove(inv)
	res := v.result
	// Whoever moves the state first wins: a result that arrives after an
	// interrupt is dropped, an interrupt after the result does nothing.
	if !inv.state.CompareAndSwap(invRunning, invDone) {
		v.broken = true
		res = execResult{err: inv.interruptError()}
	} else if !v.settled {
		res.err = core.Errorf(core.CodeScriptFailed, "%s: the script's promise never settled (nothing was left to wait for)", inv.label)
	}
	if res.err != nil && isEngineStop(res.err) {
		v.broken = true
	}
	v.loop.Terminate()
	v.inv = nil
	return res
}

func noStop() bool { return false }

// timedOut is the runtime's timeout timer, reset for each invocation. A
// firing meant for an earlier invocation (its Stop came too late) finds one
// that has not run for its timeout yet, and does nothing.
func (v *jsvm) timedOut() {
	if inv := v.timing.Load(); inv != nil && time.Since(inv.started) >= inv.timeout {
		inv.timedOut()
	}
}

// settle records the invocation's outcome (the first one counts) and stops
// the event loop: timers still pending are cancelled.
func (v *jsvm) settle(ok bool, payload string) {
	if v.settled {
		return
	}
	v.settled = true
	v.result.ok, v.result.payload = ok, payload
	v.loop.StopNoWait()
}

// settleValue records a trigger's answer, exported (see exportAnswer).
func (v *jsvm) settleValue(m map[string]any) {
	if v.settled {
		return
	}
	v.settled = true
	v.result.ok, v.result.answer = true, m
	v.loop.StopNoWait()
}

// do runs inv on the runtime's own goroutine (serve). The goroutine lives
// as long as the runtime, so the stack goja's interpreter grows is kept
// between invocations instead of being grown again (copied) by each new
// one.
func (v *jsvm) do(inv *invocation) {
	if v.work == nil {
		v.work = make(chan *invocation)
		go func(work chan *invocation) {
			for inv := range work {
				v.serve(inv)
			}
		}(v.work)
	}
	v.work <- inv
}

// serve runs an invocation of invoke on the runtime's goroutine, gives the
// runtime back to the pool and answers the caller on inv.results, unless
// the caller gave up on it (invocation.giveUp).
func (v *jsvm) serve(inv *invocation) {
	d := v.dep
	if v.startFn == nil {
		// Made once per runtime: exec sets v.inv before calling it.
		v.startFn = func(rt *goja.Runtime) error {
			inv := v.inv
			if v.featherCandidate(inv) {
				if ran, err := v.runFeather(); ran || err != nil {
					return err
				}
			}
			_, err := v.run(goja.Undefined(), v.str(inv.what), v.str(inv.name), v.str(inv.className), v.requestValue(rt, inv.req), v.doneFn)
			return err
		}
	}
	r := v.exec(inv, v.startFn)
	v.feather.cur, v.feather.req = nil, nil
	inv.cancel()
	if !inv.claimed.CompareAndSwap(false, true) {
		// The caller gave up on this runtime and already replaced it.
		d.vms.Delete(v.rt)
		v.stop()
		return
	}
	if v.broken {
		d.vms.Delete(v.rt)
	}
	d.pool.release(v)
	inv.results <- r
}

// str is s as a JavaScript string, kept for the names invocations pass
// again and again (what, trigger kinds, class and function names).
func (v *jsvm) str(s string) goja.Value {
	if val, ok := v.strs[s]; ok {
		return val
	}
	val := v.rt.ToValue(s)
	if v.strs == nil {
		v.strs = map[string]goja.Value{}
	}
	if len(v.strs) < 1024 {
		v.strs[s] = val
	}
	return val
}

// stop ends the runtime's goroutine once it is done with the current
// invocation; call it when the runtime is dropped.
func (v *jsvm) stop() {
	if v.work != nil {
		close(v.work)
		v.work = nil
	}
}

// isEngineStop reports errors after which a runtime is not reused.
func isEngineStop(err error) bool {
	var ie *goja.InterruptedError
	var so *goja.StackOverflowError
	return errors.As(err, &ie) || errors.As(err, &so)
}

// vmRegistry maps runtimes to their jsvm for the console printer.
type vmRegistry struct{ m sync.Map }

func (r *vmRegistry) Store(rt *goja.Runtime, v *jsvm) { r.m.Store(rt, v) }
func (r *vmRegistry) Delete(rt *goja.Runtime) {
	if rt != nil {
		r.m.Delete(rt)
	}
}
func (r *vmRegistry) printer(rt *goja.Runtime) console.Printer {
	if v, ok := r.m.Load(rt); ok {
		return v.(*jsvm)
	}
	return discardPrinter{}
}

type discardPrinter struct{}

func (discardPrinter) Log(string)   {}
func (discardPrinter) Warn(string)  {}
func (discardPrinter) Error(string) {}
