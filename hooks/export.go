package hooks

import (
	"fmt"
	"math"
	"strconv"

	"github.com/dop251/goja"
)

// exportAnswer turns what cloud.js answered for a trigger (an object such
// as {update, context}) into the Go values encoding/json would have made
// of its JSON text: map[string]any, []any, string, float64, bool, nil.
// It replaces JSON.stringify in JavaScript and json.Unmarshal in Go, which
// cost a trigger more than the rest of its answer, and keeps what their
// guards keep: nesting is bounded (maxNestingDepth), arrays too
// (maxArrayLength), and the walk stops when the invocation is interrupted.
// As JSON.stringify does, it calls toJSON methods (Date, Parse.Object) and
// leaves out undefined and functions (null in arrays).
func (v *jsvm) exportAnswer(val goja.Value) (map[string]any, error) {
	e := exporter{vm: v}
	out, err := e.value(val, 0)
	if err != nil {
		return nil, err
	}
	m, ok := out.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the answer is not an object")
	}
	return m, nil
}

// exportSave reads a beforeSave's answer from a light request.object
// (cloud.js's deltaJSON: the fields the script read or changed, in keys,
// and their values as _getSaveJSON() has them, in values, two arrays of
// the same length) straight into the write to store: the client's
// write (the invocation's Request.Update) without the read-only fields,
// which _getSaveJSON() leaves out, with the delta's fields over it. The
// fields the script did not touch are the client's values as they are,
// which is what the whole _getSaveJSON() answers for them. Values are
// exported as exportAnswer does.
func (v *jsvm) exportSave(keys, values *goja.Object, context goja.Value) (*Response, error) {
	var update map[string]any
	if inv := v.inv; inv != nil && inv.req != nil {
		update = inv.req.Update
	}
	e := exporter{vm: v}
	n := int(keys.Get("length").ToInteger())
	if values == nil || values.Get("length").ToInteger() != int64(n) {
		return nil, fmt.Errorf("the delta's fields and values differ in number")
	}
	out := saveWrite(update, n)
	for i := range n {
		idx := strconv.Itoa(i)
		x, err := e.value(values.Get(idx), 1)
		if err != nil {
			return nil, err
		}
		if _, omitted := x.(skip); !omitted {
			out[keys.Get(idx).String()] = x
		}
	}
	return e.saveResponse(out, context)
}

// saveWrite starts a beforeSave's answer from the client's write: its
// fields but the read-only ones, which _getSaveJSON() leaves out, with
// room for n more.
func saveWrite(update map[string]any, n int) map[string]any {
	out := make(map[string]any, len(update)+n)
	for k, val := range update {
		if !readOnlyFields[k] {
			out[k] = val
		}
	}
	return out
}

// saveResponse is a beforeSave's answer: the write to store, and the
// script's request.context, exported.
func (e *exporter) saveResponse(update map[string]any, context goja.Value) (*Response, error) {
	ctx, err := e.value(context, 0)
	if err != nil {
		return nil, err
	}
	r := &Response{Update: update}
	r.Context, _ = ctx.(map[string]any)
	return r, nil
}

type exporter struct {
	vm     *jsvm
	visits int
}

// skip marks a value JSON leaves out (undefined, a function, a symbol).
type skip struct{}

func (e *exporter) value(val goja.Value, depth int) (any, error) {
	if depth > maxNestingDepth {
		return nil, &guardError{msg: fmt.Sprintf("the answer nests deeper than %d levels", maxNestingDepth)}
	}
	e.visits++
	if e.visits&1023 == 0 && e.vm.stopping() {
		return nil, &guardError{msg: "interrupted"}
	}
	if val == nil || goja.IsUndefined(val) {
		return skip{}, nil
	}
	if goja.IsNull(val) {
		return nil, nil
	}
	o, isObject := val.(*goja.Object)
	if !isObject {
		if x, finite, ok := primitiveJSON(val); ok {
			if !finite {
				return nil, nil // as JSON.stringify writes them
			}
			return x, nil
		}
		if _, isSymbol := val.(*goja.Symbol); isSymbol {
			return skip{}, nil
		}
		return val.String(), nil
	}
	if _, isFunc := goja.AssertFunction(o); isFunc {
		return skip{}, nil
	}
	if toJSON, ok := goja.AssertFunction(o.Get("toJSON")); ok {
		res, err := toJSON(o)
		if err != nil {
			return nil, err
		}
		if r, isObj := res.(*goja.Object); !isObj || r != o {
			return e.value(res, depth+1)
		}
	}
	if o.ClassName() == "Array" {
		length := int64(0)
		if l := o.Get("length"); l != nil {
			length = l.ToInteger()
		}
		if length > maxArrayLength {
			return nil, &guardError{msg: fmt.Sprintf("the answer holds an array of length %d, longer than cloud code allows (%d)", length, maxArrayLength)}
		}
		out := make([]any, length)
		for i := int64(0); i < length; i++ {
			x, err := e.value(o.Get(strconv.FormatInt(i, 10)), depth+1)
			if err != nil {
				return nil, err
			}
			if _, omitted := x.(skip); !omitted {
				out[i] = x
			}
		}
		return out, nil
	}
	keys := o.Keys()
	out := make(map[string]any, len(keys))
	for _, k := range keys {
		x, err := e.value(o.Get(k), depth+1)
		if err != nil {
			return nil, err
		}
		if _, omitted := x.(skip); !omitted {
			out[k] = x
		}
	}
	return out, nil
}

// primitiveJSON is a JavaScript string, boolean or number as JSON decodes
// it (ok); finite is false for NaN and the infinities, which JSON cannot
// hold.
func primitiveJSON(val goja.Value) (x any, finite, ok bool) {
	switch x := val.Export().(type) {
	case bool, string:
		return x, true, true
	case int64:
		return float64(x), true, true
	case float64:
		return x, !math.IsNaN(x) && !math.IsInf(x, 0), true
	}
	return nil, false, false
}
