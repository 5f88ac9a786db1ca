package hooks

import (
	"fmt"

	"github.com/dop251/goja"
)

// goja checks vm.Interrupt only between JavaScript instructions: a built-in
// written in Go runs to its end. Some built-ins do work proportional to a
// number the script chooses rather than to memory it has already allocated
// (an array's length can be 4e9 with no element stored), and some recurse in
// Go over nested data (a Go stack overflow kills the whole process, it cannot
// be recovered). These guards bound both before the built-in runs, so that a
// script can neither stall a runtime past its timeout nor crash the server.
// Everything else a script does is interruptible JavaScript, which the
// timeout and the memory guard stop.
const (
	// maxArrayLength bounds the length of an array (or array-like) that a
	// built-in iterating over it natively accepts. Real arrays that long take
	// 64 MiB of element slots; sparse ones could claim 2^32-1.
	maxArrayLength = 1 << 22
	// maxStringLength bounds strings built in one step by repeat, padStart,
	// padEnd and join (UTF-16 code units).
	maxStringLength = 1 << 26
	// maxBufferBytes bounds one ArrayBuffer, typed array or Buffer.
	maxBufferBytes = 1 << 28
	// maxNestingDepth bounds how deeply JSON text, values given to
	// JSON.stringify, nested array joins and flat() may nest, and how deeply
	// dynamic source (eval, new Function) may nest brackets.
	maxNestingDepth = 1000
	// maxDynamicSource bounds source text given to eval and the Function
	// constructors, so that goja's recursive parser stays far below Go's
	// stack limit whatever the text's shape.
	maxDynamicSource = 256 << 10
)

// arrayMethods iterate over this.length in Go.
var arrayMethods = []string{
	"concat", "copyWithin", "entries", "every", "fill", "filter", "flat", "flatMap", "forEach",
	"includes", "indexOf", "join", "keys", "lastIndexOf", "map", "reduce", "reduceRight", "reverse",
	"shift", "slice", "some", "sort", "splice", "toLocaleString", "toReversed", "toSorted",
	"toSpliced", "toString", "unshift", "values", "with",
}

// installGuards replaces the risky built-ins of rt with checked versions.
// It runs before any other script, so the SDK and cloud code only ever see
// the checked ones. stopping reports that the invocation was interrupted,
// for guards that loop in Go over script data.
func installGuards(rt *goja.Runtime, stopping func() bool) error {
	g := &guards{rt: rt, stopping: stopping}
	if err := g.arrays(); err != nil {
		return err
	}
	if err := g.json(); err != nil {
		return err
	}
	if err := g.strings(); err != nil {
		return err
	}
	return g.applies()
}

type guards struct {
	rt        *goja.Runtime
	stopping  func() bool
	joinDepth int
}

func (g *guards) rangeError(format string, args ...any) {
	panic(g.rt.NewGoError(&guardError{msg: fmt.Sprintf(format, args...)}))
}

// guardError becomes a RangeError-like exception the script may catch.
type guardError struct{ msg string }

func (e *guardError) Error() string { return e.msg }

func (g *guards) lengthOf(v goja.Value) int64 {
	o, ok := v.(*goja.Object)
	if !ok {
		return 0
	}
	l := o.Get("length")
	if l == nil {
		return 0 // an iterator, a Map, a Set: no length to check
	}
	return l.ToInteger()
}

func (g *guards) checkLength(what string, v goja.Value) {
	if l := g.lengthOf(v); l > maxArrayLength {
		g.rangeError("%s: an array of length %d is longer than cloud code allows (%d)", what, l, maxArrayLength)
	}
}

// define sets a built-in the way the engine does: writable, configurable,
// not enumerable (so for-in over arrays does not see it).
func define(o *goja.Object, name string, v goja.Value) error {
	return o.DefineDataProperty(name, v, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
}

func (g *guards) callable(o *goja.Object, name string) (goja.Callable, error) {
	fn, ok := goja.AssertFunction(o.Get(name))
	if !ok {
		return nil, fmt.Errorf("guards: %s is not a function", name)
	}
	return fn, nil
}

func (g *guards) arrays() error {
	rt := g.rt
	proto := rt.Get("Array").ToObject(rt).Get("prototype").ToObject(rt)
	var valuesWrapper goja.Value
	for _, name := range arrayMethods {
		orig, err := g.callable(proto, name)
		if err != nil {
			return err
		}
		what := "Array.prototype." + name
		var wrapper goja.Value
		switch name {
		case "join", "toString", "toLocaleString":
			wrapper = rt.ToValue(func(call goja.FunctionCall) goja.Value {
				g.checkLength(what, call.This)
				if name == "join" {
					if sep, ok := call.Argument(0).(goja.String); ok && sep.Length() > 0 {
						if g.lengthOf(call.This)*int64(sep.Length()) > maxStringLength {
							g.rangeError("%s: the result would be longer than %d characters", what, maxStringLength)
						}
					}
				}
				// Nested arrays join recursively in Go.
				g.joinDepth++
				defer func() { g.joinDepth-- }()
				if g.joinDepth > maxNestingDepth {
					g.rangeError("%s: arrays nest deeper than %d levels", what, maxNestingDepth)
				}
				return g.call(orig, call)
			})
		case "concat":
			wrapper = rt.ToValue(func(call goja.FunctionCall) goja.Value {
				g.checkLength(what, call.This)
				for _, a := range call.Arguments {
					g.checkLength(what, a)
				}
				return g.call(orig, call)
			})
		case "flat":
			wrapper = rt.ToValue(func(call goja.FunctionCall) goja.Value {
				g.checkLength(what, call.This)
				if d := call.Argument(0); d != goja.Undefined() && d.ToFloat() > maxNestingDepth {
					args := append([]goja.Value{rt.ToValue(maxNestingDepth)}, call.Arguments[1:]...)
					call.Arguments = args
				}
				return g.call(orig, call)
			})
		default:
			wrapper = rt.ToValue(func(call goja.FunctionCall) goja.Value {
				g.checkLength(what, call.This)
				return g.call(orig, call)
			})
		}
		if name == "values" {
			valuesWrapper = wrapper
		}
		if err := define(proto, name, wrapper); err != nil {
			return err
		}
	}
	// Spread, for-of, Array.from, new Set(...) iterate in Go once they hold
	// an iterator: checking the length when the iterator is made covers them.
	if err := proto.DefineDataPropertySymbol(goja.SymIterator, valuesWrapper, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE); err != nil {
		return err
	}
	arrayCtor := rt.Get("Array").ToObject(rt)
	from, err := g.callable(arrayCtor, "from")
	if err != nil {
		return err
	}
	return define(arrayCtor, "from", rt.ToValue(func(call goja.FunctionCall) goja.Value {
		g.checkLength("Array.from", call.Argument(0))
		return g.call(from, call)
	}))
}

// applies guards Function.prototype.apply, Reflect.apply and
// Reflect.construct, which copy an array-like's elements in Go.
func (g *guards) applies() error {
	rt := g.rt
	fproto := rt.Get("Function").ToObject(rt).Get("prototype").ToObject(rt)
	apply, err := g.callable(fproto, "apply")
	if err != nil {
		return err
	}
	if err := define(fproto, "apply", rt.ToValue(func(call goja.FunctionCall) goja.Value {
		g.checkLength("Function.prototype.apply", call.Argument(1))
		return g.call(apply, call)
	})); err != nil {
		return err
	}
	reflect := rt.Get("Reflect").ToObject(rt)
	for _, name := range []string{"apply", "construct"} {
		orig, err := g.callable(reflect, name)
		if err != nil {
			return err
		}
		what := "Reflect." + name
		idx := 2
		if name == "construct" {
			idx = 1
		}
		if err := define(reflect, name, rt.ToValue(func(call goja.FunctionCall) goja.Value {
			g.checkLength(what, call.Argument(idx))
			return g.call(orig, call)
		})); err != nil {
			return err
		}
	}
	return nil
}

func (g *guards) call(fn goja.Callable, call goja.FunctionCall) goja.Value {
	v, err := fn(call.This, call.Arguments...)
	if err != nil {
		panic(err)
	}
	return v
}

func (g *guards) json() error {
	rt := g.rt
	jsonObj := rt.Get("JSON").ToObject(rt)
	parse, err := g.callable(jsonObj, "parse")
	if err != nil {
		return err
	}
	stringify, err := g.callable(jsonObj, "stringify")
	if err != nil {
		return err
	}
	if err := define(jsonObj, "parse", rt.ToValue(func(call goja.FunctionCall) goja.Value {
		if s, ok := call.Argument(0).(goja.String); ok && s.Length() > maxNestingDepth {
			if d := jsonDepth(s.String()); d > maxNestingDepth {
				panic(rt.NewGoError(&guardError{msg: fmt.Sprintf("JSON.parse: the text nests deeper than %d levels", maxNestingDepth)}))
			}
		}
		return g.call(parse, call)
	})); err != nil {
		return err
	}
	return define(jsonObj, "stringify", rt.ToValue(func(call goja.FunctionCall) goja.Value {
		value := call.Argument(0)
		if _, isObj := value.(*goja.Object); !isObj {
			return g.call(stringify, call)
		}
		replacer := call.Argument(1)
		if r, ok := replacer.(*goja.Object); ok && r.ClassName() == "Array" {
			// A property list: no replacer function to hook, so walk first.
			g.checkDepth(value, 0)
			return g.call(stringify, call)
		}
		user, _ := goja.AssertFunction(replacer)
		depth := map[*goja.Object]int{}
		visits := 0
		hook := rt.ToValue(func(fc goja.FunctionCall) goja.Value {
			holder, _ := fc.This.(*goja.Object)
			v := fc.Argument(1)
			if user != nil {
				var err error
				if v, err = user(fc.This, fc.Argument(0), v); err != nil {
					panic(err)
				}
			}
			visits++
			if visits&1023 == 0 && g.stopping() {
				g.rangeError("JSON.stringify: interrupted")
			}
			if o, ok := v.(*goja.Object); ok {
				d := depth[holder] + 1
				if d > maxNestingDepth {
					g.rangeError("JSON.stringify: the value nests deeper than %d levels", maxNestingDepth)
				}
				if o.ClassName() == "Array" {
					g.checkLength("JSON.stringify", o)
				}
				depth[o] = d
			}
			return v
		})
		out, err := stringify(call.This, value, hook, call.Argument(2))
		if err != nil {
			panic(err)
		}
		return out
	}))
}

// checkDepth walks v's own enumerable properties, refusing nesting deeper
// than maxNestingDepth (cycles end there too; stringify reports them).
func (g *guards) checkDepth(v goja.Value, d int) {
	o, ok := v.(*goja.Object)
	if !ok {
		return
	}
	if d >= maxNestingDepth {
		g.rangeError("JSON.stringify: the value nests deeper than %d levels", maxNestingDepth)
	}
	if o.ClassName() == "Array" {
		g.checkLength("JSON.stringify", o)
	}
	for _, k := range o.Keys() {
		g.checkDepth(o.Get(k), d+1)
	}
}

func (g *guards) strings() error {
	rt := g.rt
	proto := rt.Get("String").ToObject(rt).Get("prototype").ToObject(rt)
	for _, name := range []string{"repeat", "padStart", "padEnd"} {
		orig, err := g.callable(proto, name)
		if err != nil {
			return err
		}
		what := "String.prototype." + name
		if err := define(proto, name, rt.ToValue(func(call goja.FunctionCall) goja.Value {
			var n float64
			if name == "repeat" {
				n = float64(len(call.This.String())) * call.Argument(0).ToFloat()
			} else {
				n = call.Argument(0).ToFloat()
			}
			if n > maxStringLength {
				g.rangeError("%s: the result would be longer than %d characters", what, maxStringLength)
			}
			return g.call(orig, call)
		})); err != nil {
			return err
		}
	}
	return nil
}

// jsonDepth returns how deeply JSON text nests arrays and objects, counting
// brackets outside strings. It does not validate: JSON.parse does.
func jsonDepth(s string) int {
	depth, max := 0, 0
	inString, escaped := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '[', '{':
			depth++
			if depth > max {
				max = depth
			}
		case ']', '}':
			depth--
		}
	}
	return max
}
