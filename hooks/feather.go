package hooks

import (
	"errors"
	"strings"

	"github.com/dop251/goja"
)

// The feather path runs the commonest trigger, a beforeSave without a
// validator, mostly in Go. cloud.js's light request.object already avoids
// the SDK's state machinery, but in goja its own glue (building the request,
// the object and its state, recording a set, writing the delta) still cost a
// hooked create several times the script itself. Here Go builds the request
// object, calls the handler, and keeps the object's state: a get or set of
// a plain value (a string, number, boolean or null) is answered in Go, and
// the answer is the client's write with those sets over it, made without
// JavaScript.
//
// Anything else a script does with request.object (a get of a stored field
// or of a structured value, a set of an object, ACL or date, unset,
// increment, dirty, toJSON, save, ...) first moves the state into cloud.js
// (promote): from then on the object is an ordinary light object, and
// cloud.js writes the answer as it does for one. feather_test.go holds the
// feather path to the light object's answers, and light_test.go the light
// object to the SDK's behaviour.

// featherObject is the state of a feather request.object.
type featherObject struct {
	obj *goja.Object
	// stored is the object as stored (nil on a create); update, the
	// client's write (plainUpdate holds for it).
	stored map[string]any
	update map[string]any
	// keys and values are the fields the script set, in the order first set,
	// with their values as JSON decodes them.
	keys   []string
	values []any
	// promoted: the state moved to cloud.js (promote).
	promoted bool
	// keysBuf and valuesBuf back keys and values for the first sets (most
	// scripts set one or two fields); index finds a key's place once there
	// are more than a few (a script setting thousands of fields would
	// otherwise scan them all for each).
	keysBuf   [2]string
	valuesBuf [2]any
	index     map[string]int
}

// featherIndexAt is how many fields a feather object scans before it
// indexes them.
const featherIndexAt = 16

// find is the place of key in keys, or -1.
func (fo *featherObject) find(key string) int {
	if fo.index != nil {
		if i, ok := fo.index[key]; ok {
			return i
		}
		return -1
	}
	for i, k := range fo.keys {
		if k == key {
			return i
		}
	}
	return -1
}

// Get, Set, Has, Delete and Keys make featherObject a goja.DynamicObject
// without properties: what its object holds under the feather symbol, so
// that an object a script kept finds its state again (featherOf). A dynamic
// object costs less to make than goja's reflection wrapper, and shows
// scripts nothing.
func (fo *featherObject) Get(string) goja.Value       { return nil }
func (fo *featherObject) Set(string, goja.Value) bool { return false }
func (fo *featherObject) Has(string) bool             { return false }
func (fo *featherObject) Delete(string) bool          { return false }
func (fo *featherObject) Keys() []string              { return nil }

// feather is a runtime's part of the feather path.
type feather struct {
	// proto is cloud.js's FeatherProto; miss, what featherGet answers when
	// cloud.js must; classMap, the SDK's registered subclasses (their
	// objects are never light).
	proto    *goja.Object
	miss     goja.Value
	classMap *goja.Object
	// sym keys the state on its object, for an object a script kept from an
	// earlier invocation.
	sym *goja.Symbol
	// beforeSave holds the handlers of beforeSave triggers registered
	// without a validator, by class.
	beforeSave map[string]goja.Callable
	// cur and req are the current invocation's object and request.
	cur *featherObject
	req *goja.Object
	// objCount numbers feather objects as the SDK numbers its own (the SDK
	// counts from 0, light objects from 1e9).
	objCount float64

	logger                                      goja.Value
	inflate, failWith, featherAwait, featherAns goja.Callable
	// start is startFeather, and featherProto cloud.js's, called through
	// goja.
	start, featherProto goja.Callable
	// objectProto is Object.prototype, which a request gets once filled.
	objectProto *goja.Object
}

// featherBridge adds the feather path's functions to cloud.js's bridge.
func (v *jsvm) featherBridge(rt *goja.Runtime, b *goja.Object) {
	f := &v.feather
	f.sym = goja.NewSymbol("feather")
	f.objCount = 2e15
	f.beforeSave = map[string]goja.Callable{}
	f.start, _ = goja.AssertFunction(rt.ToValue(v.startFeather))
	f.objectProto = rt.NewObject().Prototype()
	_ = b.Set("registered", func(c goja.FunctionCall) goja.Value {
		kind, className := c.Argument(0).String(), c.Argument(1).String()
		if kind != string(BeforeSave) {
			return goja.Undefined()
		}
		handler, ok := goja.AssertFunction(c.Argument(2))
		// Validators and file triggers keep cloud.js's path.
		if !ok || c.Argument(3).ToBoolean() || className == "" || className[0] == '@' {
			delete(f.beforeSave, className)
		} else {
			f.beforeSave[className] = handler
		}
		return goja.Undefined()
	})
	_ = b.Set("featherInit", func(c goja.FunctionCall) goja.Value {
		f.proto, _ = c.Argument(0).(*goja.Object)
		f.miss = c.Argument(1)
		f.classMap, _ = c.Argument(2).(*goja.Object)
		return goja.Undefined()
	})
	_ = b.Set("featherGet", func(c goja.FunctionCall) goja.Value {
		fo := v.featherOf(c.Argument(0))
		if fo == nil {
			return f.miss
		}
		if val, ok := fo.get(c.Argument(1)); ok {
			return rt.ToValue(val)
		}
		return f.miss
	})
	_ = b.Set("featherSet", func(c goja.FunctionCall) goja.Value {
		fo := v.featherOf(c.Argument(0))
		return rt.ToValue(fo != nil && fo.set(c.Argument(1), c.Argument(2)))
	})
	_ = b.Set("promote", func(c goja.FunctionCall) goja.Value {
		fo := v.featherOf(c.Argument(0))
		if fo == nil {
			return goja.Null()
		}
		fo.promoted = true
		values := make([]any, len(fo.values))
		copy(values, fo.values)
		keys := make([]any, len(fo.keys))
		for i, k := range fo.keys {
			keys[i] = k
		}
		held := []any{nil, nil, keys, values}
		// Wrapped, not copied, as requestValue hands them over: cloud.js
		// only reads them.
		if fo.stored != nil {
			held[0] = fo.stored
		}
		if fo.update != nil {
			held[1] = fo.update
		}
		return rt.ToValue(held)
	})
	_ = b.Set("featherDone", func(c goja.FunctionCall) goja.Value {
		if f.cur == nil || c.Argument(0) != goja.Value(f.cur.obj) {
			// A promise of an invocation that ended, settled in a later one.
			return goja.Undefined()
		}
		if err := v.featherDone(); err != nil {
			throw(rt, err)
		}
		return goja.Undefined()
	})
}

// throw raises err in JavaScript: a script's exception as it is, an
// interrupt or stack overflow as the uncatchable error it is, anything
// else as a GoError.
func throw(rt *goja.Runtime, err error) {
	var ex *goja.Exception
	var ie *goja.InterruptedError
	var so *goja.StackOverflowError
	if errors.As(err, &ex) || errors.As(err, &ie) || errors.As(err, &so) {
		panic(err)
	}
	panic(rt.NewGoError(err))
}

// featherOf is val's feather state while it is a feather object.
func (v *jsvm) featherOf(val goja.Value) *featherObject {
	o, ok := val.(*goja.Object)
	if !ok {
		return nil
	}
	fo := v.feather.cur
	if fo == nil || fo.obj != o {
		// An object kept from an earlier invocation.
		fo = nil
		if held, isObject := o.GetSymbol(v.feather.sym).(*goja.Object); isObject {
			fo, _ = held.Export().(*featherObject)
		}
	}
	if fo == nil || fo.promoted {
		return nil
	}
	return fo
}

// plainScalar is val as JSON decodes it when it is a value a feather
// object keeps (cloud.js's plainValue for scalars): null, a string, a
// boolean or a finite number.
func plainScalar(val goja.Value) (any, bool) {
	if val == nil || goja.IsUndefined(val) {
		return nil, false
	}
	if goja.IsNull(val) {
		return nil, true
	}
	if _, isObject := val.(*goja.Object); isObject {
		return nil, false
	}
	x, finite, ok := primitiveJSON(val)
	return x, ok && finite
}

// featherKey: a field a feather object answers for itself: a name
// cloud.js's KEY_NAME accepts, without dots, that is not one the SDK or the
// light object treats apart (the read-only fields, id, ACL) or that an
// object inherits from Object.prototype.
func featherKey(key string) bool {
	return lightKeyName(key) && !strings.Contains(key, ".") && !objectProtoNames[key] &&
		!readOnlyFields[key] && key != "id" && key != "ACL"
}

// objectProtoNames are Object.prototype's properties that KEY_NAME accepts.
var objectProtoNames = map[string]bool{
	"constructor": true, "hasOwnProperty": true, "isPrototypeOf": true, "propertyIsEnumerable": true,
	"toLocaleString": true, "toString": true, "valueOf": true, "__proto__": true,
	"__defineGetter__": true, "__defineSetter__": true, "__lookupGetter__": true, "__lookupSetter__": true,
}

// get answers request.object.get(key) when the answer is a plain value
// known here: a field the script set, a field of the client's write, or
// on a create any other field (undefined).
func (fo *featherObject) get(keyVal goja.Value) (any, bool) {
	if !goja.IsString(keyVal) {
		return nil, false
	}
	key := keyVal.String()
	if !featherKey(key) {
		return nil, false
	}
	if i := fo.find(key); i >= 0 {
		return fo.values[i], true
	}
	if val, ok := fo.update[key]; ok {
		switch val.(type) {
		case nil, string, bool, float64:
			return val, true
		}
		return nil, false
	}
	if fo.stored == nil {
		return goja.Undefined(), true
	}
	return nil, false
}

// set records request.object.set(key, value) when value is a plain scalar
// for a field featherKey accepts; false leaves it to cloud.js.
func (fo *featherObject) set(keyVal, value goja.Value) bool {
	if !goja.IsString(keyVal) {
		return false
	}
	key := keyVal.String()
	if !featherKey(key) {
		return false
	}
	x, ok := plainScalar(value)
	if !ok {
		return false
	}
	if i := fo.find(key); i >= 0 {
		fo.values[i] = x
		return true
	}
	if fo.index != nil {
		fo.index[key] = len(fo.keys)
	} else if len(fo.keys) == featherIndexAt {
		fo.index = make(map[string]int, 2*featherIndexAt)
		for i, k := range fo.keys {
			fo.index[k] = i
		}
		fo.index[key] = len(fo.keys)
	}
	fo.keys = append(fo.keys, key)
	fo.values = append(fo.values, x)
	return true
}

// featherCandidate reports whether inv may run on the feather path: a
// beforeSave whose handler was registered without a validator.
// startFeather decides the rest.
func (v *jsvm) featherCandidate(inv *invocation) bool {
	return inv.what == "trigger" && inv.name == string(BeforeSave) && v.feather.proto != nil &&
		v.feather.beforeSave[inv.className] != nil
}

// runFeather runs the current invocation on the feather path unless
// startFeather finds it cannot (false). startFeather runs as a native
// function called through goja, so that everything it does with script
// objects (a class map entry, a getter on what the handler returned) is
// inside a call into goja: what throws there is the script's error, and
// an interrupt stops it as any other, instead of a panic of the server's.
func (v *jsvm) runFeather() (bool, error) {
	ran, err := v.feather.start(goja.Undefined())
	if err != nil {
		var ex *goja.Exception
		if errors.As(err, &ex) {
			_, err = v.feather.failWith(goja.Undefined(), v.doneFn, ex.Value())
		}
		return true, err
	}
	return ran.ToBoolean(), nil
}

// featherProtoFor is the feather prototype for objects of className, or
// nil when they must be ordinary ones (cloud.js's lightProtos): classes
// with a subclass of their own ask cloud.js.
func (v *jsvm) featherProtoFor(className string) *goja.Object {
	f := &v.feather
	if f.classMap != nil {
		if sub := f.classMap.Get(className); sub != nil && sub.ToBoolean() {
			p, err := f.featherProto(goja.Undefined(), v.str(className))
			if err != nil {
				throw(v.rt, err)
			}
			proto, _ := p.(*goja.Object)
			return proto
		}
	}
	return f.proto
}

// startFeather is start: it runs the current invocation's beforeSave on
// the feather path, building the request as cloud.js's baseRequest and
// runTrigger do, calling the handler, and answering at once unless the
// handler's promise is still pending. It answers false, having done
// nothing, when the class's objects must be ordinary ones or the write is
// one the light object does not take as it is.
func (v *jsvm) startFeather(goja.FunctionCall) goja.Value {
	rt, inv, f := v.rt, v.inv, &v.feather
	req := inv.req
	handler := f.beforeSave[inv.className]
	if handler == nil || (req.Update != nil && !plainUpdate(req.Update)) {
		return rt.ToValue(false)
	}
	proto := v.featherProtoFor(inv.className)
	if proto == nil {
		return rt.ToValue(false)
	}
	v.dep.featherRuns.Add(1)
	fo := &featherObject{stored: req.Object, update: req.Update}
	fo.keys, fo.values = fo.keysBuf[:0], fo.valuesBuf[:0]
	// As the SDK's constructor leaves an object: its count, class and id.
	// The objects are filled before they get their prototypes: a setter a
	// script put on Object.prototype (or a class's) never runs here, as it
	// does not for cloud.js's object literals.
	o := rt.CreateObject(nil)
	f.objCount++
	put(o, "_objCount", f.objCount)
	put(o, "className", v.str(inv.className))
	if id, ok := req.Object["objectId"].(string); ok {
		put(o, "id", id)
	}
	// Symbol-keyed, so no key listing or JSON shows it.
	_ = o.DefineDataPropertySymbol(f.sym, rt.NewDynamicObject(fo), goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE)
	_ = o.SetPrototype(proto)
	fo.obj = o

	r := rt.CreateObject(nil)
	put(r, "triggerName", v.str(string(BeforeSave)))
	put(r, "master", req.Master)
	put(r, "isReadOnly", false)
	put(r, "log", f.logger)
	put(r, "headers", v.headersValue(rt, req.Headers))
	put(r, "ip", req.IP)
	if req.InstallationID != "" {
		put(r, "installationId", req.InstallationID)
	}
	if req.User != nil {
		user, err := f.inflate(goja.Undefined(), v.str(UserClass), rt.ToValue(req.User))
		if err != nil {
			throw(rt, err)
		}
		put(r, "user", user)
	}
	// A copy without a prototype, as cloud.js's copyContext makes.
	ctx := rt.CreateObject(nil)
	for k, val := range req.Context {
		put(ctx, k, val)
	}
	put(r, "context", ctx)
	put(r, "object", o)
	if req.Object != nil {
		original, err := f.inflate(goja.Undefined(), v.str(inv.className), rt.ToValue(req.Object))
		if err != nil {
			throw(rt, err)
		}
		put(r, "original", original)
	}
	_ = r.SetPrototype(f.objectProto)
	f.cur, f.req = fo, r

	res, err := handler(goja.Undefined(), r)
	if err != nil {
		var ex *goja.Exception
		if !errors.As(err, &ex) {
			throw(rt, err) // an interrupt: on up
		}
		if _, err := f.failWith(goja.Undefined(), v.doneFn, ex.Value()); err != nil {
			throw(rt, err)
		}
		return rt.ToValue(true)
	}
	// As cloud.js's run, the answer is made before the promise jobs the
	// handler queued run (they run when this call into goja returns); a
	// fulfilled promise (an async handler that awaited nothing pending) is
	// done already, and any other thenable is awaited (featherAwait).
	if p, ok := res.(*goja.Object); ok {
		promise, isPromise := p.Export().(*goja.Promise)
		if !isPromise || promise.State() != goja.PromiseStateFulfilled {
			if _, thenable := goja.AssertFunction(p.Get("then")); thenable {
				if _, err := f.featherAwait(goja.Undefined(), v.doneFn, res, o); err != nil {
					throw(rt, err)
				}
				return rt.ToValue(true)
			}
		}
	}
	if err := v.featherDone(); err != nil {
		// An answer that cannot be exported (see exporter) fails as on
		// cloud.js's path, where the export throws in JavaScript.
		throw(rt, err)
	}
	return rt.ToValue(true)
}

// put gives an object without a prototype (so no setter can run) a
// property.
func put(o *goja.Object, name string, val any) {
	_ = o.Set(name, val)
}

// featherDone answers the current feather invocation: in Go while its
// object is still a feather object and still request.object, otherwise
// through cloud.js (featherAnswer).
func (v *jsvm) featherDone() error {
	f := &v.feather
	fo, r := f.cur, f.req
	if fo == nil || r == nil {
		return errors.New("no beforeSave is running")
	}
	if obj, ok := r.Get("object").(*goja.Object); ok && obj == fo.obj && !fo.promoted {
		out := saveWrite(fo.update, len(fo.keys))
		for i, k := range fo.keys {
			out[k] = fo.values[i]
		}
		e := exporter{vm: v}
		resp, err := e.saveResponse(out, r.Get("context"))
		if err != nil {
			return err
		}
		v.settleSave(resp)
		return nil
	}
	_, err := f.featherAns(goja.Undefined(), v.doneFn, r, fo.obj)
	return err
}

// settleSave records a beforeSave's answer (see settle).
func (v *jsvm) settleSave(save *Response) {
	if v.settled {
		return
	}
	v.settled = true
	v.result.ok, v.result.save = true, save
	v.loop.StopNoWait()
}

// headersValue is request.headers: the request's map, wrapped rather than
// copied into a new object (a trigger's request is made for it alone).
// Reads, enumeration and delete behave as on a plain object; a value a
// script writes is kept as a string, as header values are.
func (v *jsvm) headersValue(rt *goja.Runtime, headers map[string]string) goja.Value {
	if headers == nil {
		return rt.NewObject()
	}
	return rt.ToValue(headers)
}
