package policies

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/switchboardhq/switchboard/core"
)

// The input document: what a policy reads as `input`. README.md ("Permission policies")
// documents it; this file is the one place that builds it.
//
//	{
//	  "point":  "objects",            // decision point
//	  "action": "update",             // get, find, count, aggregate, create, update, delete, ...
//	  "class":  "Post",               // "" when the point has no class
//	  "auth": {
//	    "master": false, "readOnly": false,
//	    "authenticated": true,
//	    "userId": "aB3dE5gH7j",        // absent for anonymous callers
//	    "roles": ["role:editors"],     // inherited roles included; [] when none
//	    "installationId": "...",       // absent when not sent
//	    "authProvider": "password"     // absent when unknown
//	  },
//	  "object":   {...},               // Parse JSON; absent for reads through a query (then it is the row)
//	  "original": {...},               // update: the object before
//	  "changed":  ["title"],           // update: the fields it changes
//	  "query":    {...},               // reads: the client's where
//	  "request": {"ip": "...", "headers": {"user-agent": "..."}, "time": "2025-01-02T03:04:05.678Z", "timeNs": 1735787045678000000},
//	  "extra":    {...}                // point-specific, e.g. push: {"audienceSize": 1200}
//	}

// inputKeys are the top-level keys of the input document. The load-time
// check makes every one of them but point and action unknown.
var inputKeys = []string{"class", "auth", "object", "original", "changed", "query", "request", "extra"}

// secretHeaders never reach a policy, its traces or the decision log.
var secretHeaders = map[string]bool{
	"x-parse-master-key": true, "x-parse-session-token": true, "authorization": true,
	"cookie": true, "x-parse-rest-api-key": true, "x-parse-javascript-key": true,
	"x-parse-client-key": true, "x-parse-windows-key": true,
}

// inputValue builds the input document of one operation as an OPA value,
// directly rather than through JSON, since it is built on every decision.
func inputValue(in *core.AuthzInput, now time.Time) (ast.Value, error) {
	doc := ast.NewObject()
	put := func(k string, v ast.Value) { doc.Insert(ast.StringTerm(k), ast.NewTerm(v)) }
	put("point", ast.String(in.Point))
	put("action", ast.String(in.Action))
	put("class", ast.String(in.Class))

	auth := ast.NewObject()
	a := in.Auth
	if a == nil {
		a = &core.Auth{}
	}
	auth.Insert(ast.StringTerm("master"), ast.BooleanTerm(a.Master))
	auth.Insert(ast.StringTerm("readOnly"), ast.BooleanTerm(a.ReadOnly))
	auth.Insert(ast.StringTerm("authenticated"), ast.BooleanTerm(a.UserID != ""))
	if a.UserID != "" {
		auth.Insert(ast.StringTerm("userId"), ast.StringTerm(a.UserID))
	}
	roles := make([]*ast.Term, len(a.Roles))
	for i, r := range a.Roles {
		roles[i] = ast.StringTerm(r)
	}
	auth.Insert(ast.StringTerm("roles"), ast.ArrayTerm(roles...))
	if a.InstallationID != "" {
		auth.Insert(ast.StringTerm("installationId"), ast.StringTerm(a.InstallationID))
	}
	if in.AuthProvider != "" {
		auth.Insert(ast.StringTerm("authProvider"), ast.StringTerm(in.AuthProvider))
	}
	put("auth", auth)

	for _, kv := range []struct {
		key string
		val map[string]any
	}{{"object", in.Object}, {"original", in.Original}, {"query", in.Query}, {"extra", in.Extra}} {
		if kv.val == nil {
			continue
		}
		v, err := toValue(kv.val)
		if err != nil {
			return nil, fmt.Errorf("input.%s: %w", kv.key, err)
		}
		put(kv.key, v)
	}
	if in.Changed != nil {
		changed := make([]*ast.Term, len(in.Changed))
		for i, f := range in.Changed {
			changed[i] = ast.StringTerm(f)
		}
		put("changed", ast.NewArray(changed...))
	}

	req := ast.NewObject()
	req.Insert(ast.StringTerm("ip"), ast.StringTerm(in.Request.IP))
	headers := ast.NewObject()
	for k, v := range in.Request.Headers {
		k = strings.ToLower(k)
		if !secretHeaders[k] {
			headers.Insert(ast.StringTerm(k), ast.StringTerm(v))
		}
	}
	req.Insert(ast.StringTerm("headers"), ast.NewTerm(headers))
	req.Insert(ast.StringTerm("time"), ast.StringTerm(core.FormatTime(now)))
	req.Insert(ast.StringTerm("timeNs"), ast.NumberTerm(json.Number(strconv.FormatInt(now.UnixNano(), 10))))
	put("request", req)
	return doc, nil
}

// toValue converts decoded JSON (and the few Go types the core puts in
// Parse JSON) to an OPA value.
func toValue(v any) (ast.Value, error) {
	switch x := v.(type) {
	case nil:
		return ast.Null{}, nil
	case bool:
		return ast.Boolean(x), nil
	case string:
		return ast.String(x), nil
	case float64:
		return ast.Number(json.Number(strconv.FormatFloat(x, 'g', -1, 64))), nil
	case int:
		return ast.IntNumberTerm(x).Value, nil
	case int64:
		return ast.Number(json.Number(strconv.FormatInt(x, 10))), nil
	case json.Number:
		return ast.Number(x), nil
	case []string:
		terms := make([]*ast.Term, len(x))
		for i, s := range x {
			terms[i] = ast.StringTerm(s)
		}
		return ast.NewArray(terms...), nil
	case []any:
		terms := make([]*ast.Term, len(x))
		for i, e := range x {
			t, err := toValue(e)
			if err != nil {
				return nil, err
			}
			terms[i] = ast.NewTerm(t)
		}
		return ast.NewArray(terms...), nil
	case map[string]any:
		obj := ast.NewObject()
		for k, e := range x {
			if d, ok := e.(time.Time); ok && (k == core.FieldCreatedAt || k == core.FieldUpdatedAt) {
				e = core.FormatTime(d) // plain ISO strings in Parse JSON
			}
			t, err := toValue(e)
			if err != nil {
				return nil, err
			}
			obj.Insert(ast.StringTerm(k), ast.NewTerm(t))
		}
		return obj, nil
	case map[string]string:
		obj := ast.NewObject()
		for k, s := range x {
			obj.Insert(ast.StringTerm(k), ast.StringTerm(s))
		}
		return obj, nil
	case time.Time, core.Pointer, core.GeoPoint, core.Polygon, core.Bytes, core.File, core.ACL:
		// Core values the pipeline left unencoded: policies see Parse JSON.
		return toValue(core.EncodeValue(x))
	case core.Object:
		return toValue(map[string]any(x))
	}
	// Anything else (a typed slice, a struct) goes through OPA's own
	// reflection-based conversion.
	return ast.InterfaceToValue(v)
}

// Document is the input document as JSON, for `switchboard policy eval`
// and tests: the same keys a policy reads.
type Document struct {
	Point    string         `json:"point"`
	Action   string         `json:"action"`
	Class    string         `json:"class"`
	Auth     DocumentAuth   `json:"auth"`
	Object   map[string]any `json:"object"`
	Original map[string]any `json:"original"`
	Changed  []string       `json:"changed"`
	Query    map[string]any `json:"query"`
	Request  struct {
		IP      string            `json:"ip"`
		Headers map[string]string `json:"headers"`
		Time    string            `json:"time"`
	} `json:"request"`
	Extra map[string]any `json:"extra"`
}

// DocumentAuth is input.auth as JSON.
type DocumentAuth struct {
	Master         bool     `json:"master"`
	ReadOnly       bool     `json:"readOnly"`
	UserID         string   `json:"userId"`
	Roles          []string `json:"roles"`
	InstallationID string   `json:"installationId"`
	AuthProvider   string   `json:"authProvider"`
}

// AuthzInput turns the document into what the pipeline would pass.
func (d *Document) AuthzInput() (*core.AuthzInput, error) {
	if d.Point == "" || d.Action == "" {
		return nil, fmt.Errorf("the input needs \"point\" and \"action\"")
	}
	in := &core.AuthzInput{
		Point: d.Point, Action: d.Action, Class: d.Class,
		Auth:         &core.Auth{Master: d.Auth.Master, ReadOnly: d.Auth.ReadOnly, UserID: d.Auth.UserID, Roles: d.Auth.Roles, InstallationID: d.Auth.InstallationID},
		AuthProvider: d.Auth.AuthProvider,
		Object:       d.Object, Original: d.Original, Changed: d.Changed, Query: d.Query, Extra: d.Extra,
	}
	in.Request.IP, in.Request.Headers = d.Request.IP, d.Request.Headers
	if d.Request.Time != "" {
		t, err := time.Parse(time.RFC3339Nano, d.Request.Time)
		if err != nil {
			return nil, fmt.Errorf("request.time: %w", err)
		}
		in.Request.Time = t
	}
	return in, nil
}
