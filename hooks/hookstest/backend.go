// Package hookstest holds test doubles for the cloud-code runtime's own unit
// tests: a Backend that keeps objects in memory and a DeploymentStore in
// memory. They are not the product: the core implements both for real. The
// Backend understands just enough of the Parse REST API (objects, simple
// queries, users and sessions, batch, functions) to drive the SDK inside
// scripts, and runs the Manager's save, delete and find triggers around its
// writes and reads the way the core's pipeline does.
package hookstest

import (
	"context"
	"crypto/rand"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/hooks"
)

// Call records one request a script made.
type Call struct {
	Method, Path string
	Body         map[string]any
	As           hooks.Caller
}

// Backend is an in-memory hooks.Backend.
type Backend struct {
	// Triggers, when set, is run around writes and reads.
	Triggers *hooks.Manager
	// Delay, when set, is slept in every request (to hold runtimes busy).
	Delay time.Duration

	mu       sync.Mutex
	classes  map[string]map[string]map[string]any
	sessions map[string]string // token -> user id
	calls    []Call
}

// NewBackend returns an empty backend.
func NewBackend() *Backend {
	return &Backend{classes: map[string]map[string]map[string]any{}, sessions: map[string]string{}}
}

// Calls returns the requests made so far.
func (b *Backend) Calls() []Call {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Call(nil), b.calls...)
}

// Object returns a stored object (a copy), or nil.
func (b *Backend) Object(className, id string) map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	o := b.classes[className][id]
	if o == nil {
		return nil
	}
	return clone(o)
}

// Put stores an object as is (objectId required), bypassing triggers.
func (b *Backend) Put(className string, obj map[string]any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.classes[className] == nil {
		b.classes[className] = map[string]map[string]any{}
	}
	b.classes[className][obj["objectId"].(string)] = clone(obj)
}

// AddSession makes token a session of userID.
func (b *Backend) AddSession(token, userID string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sessions[token] = userID
}

func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func newID() string {
	const chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, 10)
	rand.Read(b)
	for i := range b {
		b[i] = chars[int(b[i])%len(chars)]
	}
	return string(b)
}

func now() string { return core.FormatTime(core.Now()) }

// Request implements hooks.Backend.
func (b *Backend) Request(ctx context.Context, method, path string, body map[string]any, as hooks.Caller) (hooks.Reply, error) {
	res, err := b.serve(ctx, method, path, body, as)
	return hooks.Reply{Body: res}, err
}

func (b *Backend) serve(ctx context.Context, method, path string, body map[string]any, as hooks.Caller) (any, error) {
	b.mu.Lock()
	b.calls = append(b.calls, Call{Method: method, Path: path, Body: body, As: as})
	b.mu.Unlock()
	if b.Delay > 0 {
		select {
		case <-time.After(b.Delay):
		case <-ctx.Done():
			return nil, core.Errorf(core.CodeTimeout, "cancelled")
		}
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case parts[0] == "classes" && len(parts) == 2 && method == "GET":
		return b.find(ctx, as, parts[1], body)
	case parts[0] == "classes" && len(parts) == 3 && method == "GET":
		return b.get(ctx, as, parts[1], parts[2])
	case parts[0] == "classes" && len(parts) == 2 && method == "POST":
		return b.save(ctx, as, parts[1], "", body)
	case parts[0] == "classes" && len(parts) == 3 && method == "PUT":
		return b.save(ctx, as, parts[1], parts[2], body)
	case parts[0] == "classes" && len(parts) == 3 && method == "DELETE":
		return b.delete(ctx, as, parts[1], parts[2])
	case parts[0] == "users" && len(parts) == 2 && parts[1] == "me":
		u, err := b.user(as.SessionToken)
		if err != nil {
			return nil, err
		}
		u["sessionToken"] = as.SessionToken
		return u, nil
	case parts[0] == "users" && len(parts) == 1 && method == "POST":
		return b.save(ctx, as, "_User", "", body)
	case parts[0] == "users" && len(parts) == 2 && method == "PUT":
		return b.save(ctx, as, "_User", parts[1], body)
	case parts[0] == "login":
		return b.login(body)
	case parts[0] == "functions" && len(parts) == 2:
		return b.function(ctx, as, parts[1], body)
	case parts[0] == "batch":
		return b.batch(ctx, as, body)
	case parts[0] == "config":
		return map[string]any{"params": map[string]any{"greeting": "hello"}}, nil
	}
	return nil, core.Errorf(core.CodeInvalidJSON, "hookstest backend: %s %s is not supported", method, path)
}

func (b *Backend) user(token string) (map[string]any, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	id, ok := b.sessions[token]
	if !ok {
		return nil, core.Errorf(core.CodeInvalidSessionToken, "Invalid session token")
	}
	u := b.classes["_User"][id]
	if u == nil {
		return nil, core.Errorf(core.CodeInvalidSessionToken, "Invalid session token")
	}
	out := clone(u)
	delete(out, "password")
	return out, nil
}

func (b *Backend) request(as hooks.Caller) (*hooks.Request, error) {
	r := &hooks.Request{Master: as.Master, InstallationID: as.InstallationID, Context: as.Context}
	if as.SessionToken != "" {
		u, err := b.user(as.SessionToken)
		if err != nil {
			return nil, err
		}
		u["sessionToken"] = as.SessionToken
		r.User = u
	}
	return r, nil
}

func (b *Backend) login(body map[string]any) (any, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for id, u := range b.classes["_User"] {
		if u["username"] == body["username"] && u["password"] == body["password"] {
			token := "r:" + newID()
			b.sessions[token] = id
			out := clone(u)
			delete(out, "password")
			out["sessionToken"] = token
			return out, nil
		}
	}
	return nil, core.Errorf(core.CodeObjectNotFound, "Invalid username/password.")
}

func (b *Backend) function(ctx context.Context, as hooks.Caller, name string, body map[string]any) (any, error) {
	if b.Triggers == nil {
		return nil, core.Errorf(core.CodeScriptFailed, "Invalid function: %q", name)
	}
	req, err := b.request(as)
	if err != nil {
		return nil, err
	}
	req.Params = body
	resp, err := b.Triggers.RunFunction(ctx, name, req)
	if err != nil {
		return nil, err
	}
	if !resp.HasResult {
		return map[string]any{}, nil
	}
	return map[string]any{"result": resp.Result}, nil
}

func (b *Backend) get(ctx context.Context, as hooks.Caller, className, id string) (any, error) {
	res, err := b.find(ctx, as, className, map[string]any{"where": map[string]any{"objectId": id}, "isGet": true})
	if err != nil {
		return nil, err
	}
	list := res.(map[string]any)["results"].([]any)
	if len(list) == 0 {
		return nil, core.ErrNotFound()
	}
	return list[0], nil
}

func (b *Backend) find(ctx context.Context, as hooks.Caller, className string, params map[string]any) (any, error) {
	query := clone(params)
	isGet, _ := query["isGet"].(bool)
	delete(query, "isGet")
	var preset []map[string]any
	if b.Triggers != nil && b.Triggers.HasTrigger(hooks.BeforeFind, className) {
		req, err := b.request(as)
		if err != nil {
			return nil, err
		}
		req.Query, req.IsGet = query, isGet
		_, req.Count = query["count"]
		resp, err := b.Triggers.RunTrigger(ctx, hooks.BeforeFind, className, req)
		if err != nil {
			return nil, err
		}
		query = resp.Query
		preset = resp.Objects
	}
	var results []map[string]any
	if preset != nil {
		results = preset
	} else {
		where, _ := query["where"].(map[string]any)
		b.mu.Lock()
		for _, o := range b.classes[className] {
			if matches(o, where) {
				results = append(results, clone(o))
			}
		}
		b.mu.Unlock()
		sort.Slice(results, func(i, j int) bool {
			return fmt.Sprint(results[i]["createdAt"], results[i]["objectId"]) < fmt.Sprint(results[j]["createdAt"], results[j]["objectId"])
		})
		if order, _ := query["order"].(string); order != "" {
			desc := strings.HasPrefix(order, "-")
			key := strings.TrimPrefix(strings.Split(order, ",")[0], "-")
			sort.SliceStable(results, func(i, j int) bool {
				less := compare(results[i][key], results[j][key]) < 0
				if desc {
					return compare(results[i][key], results[j][key]) > 0
				}
				return less
			})
		}
	}
	count := len(results)
	if lim, ok := query["limit"].(float64); ok && int(lim) < len(results) && lim >= 0 {
		results = results[:int(lim)]
	}
	if b.Triggers != nil && b.Triggers.HasTrigger(hooks.AfterFind, className) {
		req, err := b.request(as)
		if err != nil {
			return nil, err
		}
		req.Objects, req.Query, req.IsGet = results, query, isGet
		resp, err := b.Triggers.RunTrigger(ctx, hooks.AfterFind, className, req)
		if err != nil {
			return nil, err
		}
		results = resp.Objects
	}
	list := make([]any, len(results))
	for i, o := range results {
		list[i] = o
	}
	out := map[string]any{"results": list}
	if _, ok := query["count"]; ok {
		out["count"] = float64(count)
	}
	return out, nil
}

func compare(a, b any) int {
	x, xok := a.(float64)
	y, yok := b.(float64)
	if xok && yok {
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	}
	return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
}

func matches(o map[string]any, where map[string]any) bool {
	for k, cond := range where {
		v := o[k]
		if c, ok := cond.(map[string]any); ok && c["__type"] == nil {
			for op, arg := range c {
				switch op {
				case "$gt":
					if v == nil || compare(v, arg) <= 0 {
						return false
					}
				case "$gte":
					if v == nil || compare(v, arg) < 0 {
						return false
					}
				case "$lt":
					if v == nil || compare(v, arg) >= 0 {
						return false
					}
				case "$lte":
					if v == nil || compare(v, arg) > 0 {
						return false
					}
				case "$ne":
					if fmt.Sprint(v) == fmt.Sprint(arg) {
						return false
					}
				case "$exists":
					if (v != nil) != (arg == true) {
						return false
					}
				case "$in":
					found := false
					for _, a := range arg.([]any) {
						if fmt.Sprint(a) == fmt.Sprint(v) {
							found = true
						}
					}
					if !found {
						return false
					}
				default:
					return false
				}
			}
			continue
		}
		if fmt.Sprint(v) != fmt.Sprint(cond) {
			return false
		}
	}
	return true
}

// save creates (id "") or updates an object, running beforeSave and
// afterSave like the core's pipeline.
func (b *Backend) save(ctx context.Context, as hooks.Caller, className, id string, body map[string]any) (any, error) {
	b.mu.Lock()
	var original map[string]any
	if id != "" {
		if o := b.classes[className][id]; o != nil {
			original = clone(o)
		}
	}
	b.mu.Unlock()
	if id != "" && original == nil {
		return nil, core.ErrNotFound()
	}
	update := body
	var reqContext map[string]any
	if b.Triggers != nil && b.Triggers.HasTrigger(hooks.BeforeSave, className) {
		req, err := b.request(as)
		if err != nil {
			return nil, err
		}
		req.Object, req.Update = original, body
		resp, err := b.Triggers.RunTrigger(ctx, hooks.BeforeSave, className, req)
		if err != nil {
			return nil, err
		}
		update, reqContext = resp.Update, resp.Context
	}
	obj := map[string]any{}
	if original != nil {
		obj = clone(original)
	}
	for k, v := range update {
		if op, ok := v.(map[string]any); ok && op["__op"] != nil {
			switch op["__op"] {
			case "Increment":
				n, _ := obj[k].(float64)
				obj[k] = n + op["amount"].(float64)
			case "Delete":
				delete(obj, k)
			case "Add":
				arr, _ := obj[k].([]any)
				obj[k] = append(arr, op["objects"].([]any)...)
			default:
				return nil, core.Errorf(core.CodeInvalidJSON, "hookstest backend: operator %v is not supported", op["__op"])
			}
			continue
		}
		obj[k] = v
	}
	ts := now()
	created := id == ""
	if created {
		id = newID()
		obj["objectId"] = id
		obj["createdAt"] = ts
	}
	obj["updatedAt"] = ts
	b.Put(className, obj)
	if b.Triggers != nil && b.Triggers.HasTrigger(hooks.AfterSave, className) {
		req, err := b.request(as)
		if err != nil {
			return nil, err
		}
		req.Object, req.Original, req.Context = clone(obj), original, reqContext
		if _, err := b.Triggers.RunTrigger(ctx, hooks.AfterSave, className, req); err != nil {
			return nil, err
		}
	}
	if created {
		return map[string]any{"objectId": id, "createdAt": ts}, nil
	}
	return map[string]any{"updatedAt": ts}, nil
}

func (b *Backend) delete(ctx context.Context, as hooks.Caller, className, id string) (any, error) {
	obj := b.Object(className, id)
	if obj == nil {
		return nil, core.ErrNotFound()
	}
	for _, kind := range []hooks.Kind{hooks.BeforeDelete, hooks.AfterDelete} {
		if kind == hooks.AfterDelete {
			b.mu.Lock()
			delete(b.classes[className], id)
			b.mu.Unlock()
		}
		if b.Triggers != nil && b.Triggers.HasTrigger(kind, className) {
			req, err := b.request(as)
			if err != nil {
				return nil, err
			}
			req.Object = obj
			if _, err := b.Triggers.RunTrigger(ctx, kind, className, req); err != nil {
				return nil, err
			}
		}
	}
	return map[string]any{}, nil
}

func (b *Backend) batch(ctx context.Context, as hooks.Caller, body map[string]any) (any, error) {
	reqs, _ := body["requests"].([]any)
	out := make([]any, 0, len(reqs))
	for _, r := range reqs {
		m := r.(map[string]any)
		path := strings.TrimPrefix(m["path"].(string), "/parse/")
		sub, _ := m["body"].(map[string]any)
		res, err := b.serve(ctx, m["method"].(string), path, sub, as)
		if err != nil {
			ce := core.AsError(err)
			out = append(out, map[string]any{"error": map[string]any{"code": float64(ce.Code), "error": ce.Message}})
			continue
		}
		out = append(out, map[string]any{"success": res})
	}
	return out, nil
}
