package config

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// errUnknownVar marks an environment variable that names no option.
var errUnknownVar = errors.New("no such option")

var durationType = reflect.TypeFor[Duration]()

// ApplyEnv applies the SWITCHBOARD_* variables in environ ("NAME=value", as
// from os.Environ) onto dst, a pointer to a struct with yaml tags such as
// *Config.
//
// A variable's name is EnvPrefix + the option's YAML path with each key in
// upper snake case (camelCase split at case changes, acronyms kept whole:
// databaseURL → DATABASE_URL, masterKeyIps → MASTER_KEY_IPS) and the keys
// joined by "__". Lists are comma-separated. Free-form provider sections take
// any key: SWITCHBOARD_STORE__SQLITE__BUSY_TIMEOUT=5000 sets
// store.sqlite.busyTimeout (an existing key with the same snake form is
// reused, otherwise the key becomes lowerCamel) and the value is read as a
// YAML scalar, so 5000 is a number and "[a, b]" a list; quote it to keep a
// string. Empty values are ignored, as if unset.
//
// Variables with the prefix that match no option are an error that names
// them, so a typo does not pass silently.
func ApplyEnv(dst any, environ []string) error {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("config.ApplyEnv: dst must be a pointer to a struct, got %T", dst)
	}
	vars := make([]string, 0, 8)
	for _, kv := range environ {
		if strings.HasPrefix(kv, EnvPrefix) {
			vars = append(vars, kv)
		}
	}
	sort.Strings(vars) // deterministic order of application and of errors
	var errs []error
	for _, kv := range vars {
		name, val, _ := strings.Cut(kv, "=")
		if val == "" {
			continue
		}
		segs := strings.Split(name[len(EnvPrefix):], "__")
		err := setEnv(v.Elem(), segs, val, "")
		switch {
		case errors.Is(err, errUnknownVar):
			msg := fmt.Sprintf("environment variable %s matches no option", name)
			if r, ok := renamed[name]; ok {
				msg += " (" + r + ")"
			} else if s := suggestEnv(v.Elem().Type(), name); s != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", s)
			}
			errs = append(errs, errors.New(msg))
		case err != nil:
			errs = append(errs, fmt.Errorf("environment variable %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// setEnv sets the option at segs (upper-snake keys) under v to val. path is
// the YAML path walked so far, for messages.
func setEnv(v reflect.Value, segs []string, val, path string) error {
	if v.Type() == durationType {
		if len(segs) > 0 {
			return errUnknownVar
		}
		d, err := ParseDuration(val)
		if err != nil {
			return fmt.Errorf("%s: %v", path, err)
		}
		v.Set(reflect.ValueOf(d))
		return nil
	}
	switch v.Kind() {
	case reflect.Struct:
		if len(segs) == 0 {
			return fmt.Errorf("%s is a section: set one of its keys with %s__KEY", path, envName(path))
		}
		var inline reflect.Value
		t := v.Type()
		for i := range t.NumField() {
			name, isInline := yamlName(t.Field(i))
			if isInline {
				inline = v.Field(i)
				continue
			}
			if name != "" && upperSnake(name) == segs[0] {
				return setEnv(v.Field(i), segs[1:], val, joinPath(path, name))
			}
		}
		if inline.IsValid() {
			return setEnv(inline, segs, val, path)
		}
		return errUnknownVar
	case reflect.Map:
		if len(segs) == 0 {
			return fmt.Errorf("%s is a section: set one of its keys with %s__KEY", path, envName(path))
		}
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
		key := mapKey(v, segs[0])
		kv := reflect.ValueOf(key)
		elemT := v.Type().Elem()
		sub := joinPath(path, key)
		if elemT.Kind() == reflect.Interface {
			if len(segs) == 1 {
				v.SetMapIndex(kv, reflect.ValueOf(scalarValue(val)))
				return nil
			}
			var m map[string]any
			if cur := v.MapIndex(kv); cur.IsValid() {
				m, _ = cur.Interface().(map[string]any)
			}
			if m == nil {
				m = map[string]any{}
				v.SetMapIndex(kv, reflect.ValueOf(m))
			}
			return setEnv(reflect.ValueOf(m), segs[1:], val, sub)
		}
		// A typed element (a provider's section): set on a copy, store back.
		elem := reflect.New(elemT).Elem()
		if cur := v.MapIndex(kv); cur.IsValid() {
			elem.Set(cur)
		}
		if elemT.Kind() == reflect.Map && elem.IsNil() {
			elem.Set(reflect.MakeMap(elemT))
		}
		if err := setEnv(elem, segs[1:], val, sub); err != nil {
			return err
		}
		v.SetMapIndex(kv, elem)
		return nil
	}
	if len(segs) > 0 {
		return errUnknownVar
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(val)
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(val))
		if err != nil {
			return fmt.Errorf("%s: expected true or false, got %q", path, val)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64, reflect.Int32:
		n, err := strconv.ParseInt(strings.TrimSpace(val), 10, 64)
		if err != nil {
			return fmt.Errorf("%s: expected an integer, got %q", path, val)
		}
		v.SetInt(n)
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.String {
			return fmt.Errorf("%s: cannot be set from the environment", path)
		}
		var items []string
		for item := range strings.SplitSeq(val, ",") {
			if item = strings.TrimSpace(item); item != "" {
				items = append(items, item)
			}
		}
		list := reflect.MakeSlice(v.Type(), len(items), len(items))
		for i, item := range items {
			list.Index(i).SetString(item)
		}
		v.Set(list)
	default:
		return fmt.Errorf("%s: cannot be set from the environment", path)
	}
	return nil
}

// mapKey returns the key of map m that seg (upper snake) names: an existing
// key with the same snake form, else seg in lowerCamel.
func mapKey(m reflect.Value, seg string) string {
	for _, k := range m.MapKeys() {
		if upperSnake(k.String()) == seg {
			return k.String()
		}
	}
	return lowerCamel(seg)
}

// scalarValue reads an environment value as a YAML scalar (so numbers and
// booleans get their types for strict provider decoding), keeping the raw
// string when YAML reads nothing useful from it.
func scalarValue(val string) any {
	var out any
	if err := yaml.Unmarshal([]byte(val), &out); err != nil || out == nil {
		return val
	}
	if _, isMap := out.(map[string]any); isMap {
		return val // "a: b" in a value is text, not a nested section
	}
	return out
}

// yamlName returns a field's YAML key and whether it is inlined.
func yamlName(f reflect.StructField) (string, bool) {
	if !f.IsExported() {
		return "", false
	}
	tag := f.Tag.Get("yaml")
	name, opts, _ := strings.Cut(tag, ",")
	if name == "-" {
		return "", false
	}
	if strings.Contains(opts, "inline") {
		return "", true
	}
	if name == "" {
		name = strings.ToLower(f.Name)
	}
	return name, false
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// envName returns the environment variable of a YAML path ("a.bC" →
// SWITCHBOARD_A__B_C).
func envName(path string) string {
	segs := strings.Split(path, ".")
	for i, s := range segs {
		segs[i] = upperSnake(s)
	}
	return EnvPrefix + strings.Join(segs, "__")
}

// upperSnake converts a camelCase key to UPPER_SNAKE_CASE. A word starts at
// a capital that follows a lower-case letter or digit, or that is followed by
// a lower-case letter (so acronyms stay whole: restAPIKey → REST_API_KEY,
// databaseURL → DATABASE_URL, masterKeyIps → MASTER_KEY_IPS).
func upperSnake(s string) string {
	r := []rune(s)
	var b strings.Builder
	for i, c := range r {
		if i > 0 && unicode.IsUpper(c) && r[i-1] != '_' {
			prev := r[i-1]
			nextLower := i+1 < len(r) && unicode.IsLower(r[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				b.WriteByte('_')
			}
		}
		b.WriteRune(unicode.ToUpper(c))
	}
	return b.String()
}

// lowerCamel converts UPPER_SNAKE_CASE to lowerCamelCase (BUSY_TIMEOUT →
// busyTimeout).
func lowerCamel(s string) string {
	var b strings.Builder
	for i, w := range strings.Split(strings.ToLower(s), "_") {
		if w == "" {
			continue
		}
		if i > 0 && b.Len() > 0 {
			w = strings.ToUpper(w[:1]) + w[1:]
		}
		b.WriteString(w)
	}
	return b.String()
}

// Option describes one configurable key.
type Option struct {
	Path string // YAML path, e.g. "idempotencyOptions.ttl"; "*" for a free key
	Env  string // environment variable, e.g. SWITCHBOARD_IDEMPOTENCY_OPTIONS__TTL
}

// Options lists every option of Config with its environment variable.
// Free-form provider sections appear with "*" for the provider and option
// names (store.*.* → SWITCHBOARD_STORE__*__*).
func Options() []Option { return optionsOf(reflect.TypeFor[Config]()) }

func optionsOf(t reflect.Type) []Option {
	var out []Option
	var walk func(t reflect.Type, path string)
	walk = func(t reflect.Type, path string) {
		if t.Kind() == reflect.Struct && t != durationType {
			for i := range t.NumField() {
				name, inline := yamlName(t.Field(i))
				switch {
				case inline:
					walk(t.Field(i).Type, path)
				case name != "":
					walk(t.Field(i).Type, joinPath(path, name))
				}
			}
			return
		}
		if t.Kind() == reflect.Map {
			walk(t.Elem(), joinPath(path, "*"))
			return
		}
		out = append(out, Option{Path: path, Env: envName(path)})
	}
	walk(t, "")
	return out
}

// allOptions returns the YAML paths of Config's options.
func allOptions() []string {
	var paths []string
	for _, o := range Options() {
		paths = append(paths, o.Path)
	}
	return paths
}

// suggestEnv returns the known variable that name misspells by underscores
// or case only (SWITCHBOARD_APPID → SWITCHBOARD_APP_ID).
func suggestEnv(t reflect.Type, name string) string {
	norm := func(s string) string { return strings.ToUpper(strings.ReplaceAll(s, "_", "")) }
	for _, o := range optionsOf(t) {
		if !strings.Contains(o.Env, "*") && norm(o.Env) == norm(name) {
			return o.Env
		}
	}
	return ""
}
