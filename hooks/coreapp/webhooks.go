package coreapp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/hooks"
)

// Parse's webhooks: functions and triggers served by an external URL,
// registered through /hooks/functions and /hooks/triggers (master key) and
// kept in the internal class _Hooks. The server POSTs the request object as
// JSON with X-Parse-Webhook-Key; the URL answers {"success": value} or
// {"error": ...}. A webhook wins over a cloud-code function or trigger of
// the same name, as on Parse Server. Every node keeps the list in memory
// and reloads it when another node changes it.

const hooksClass = "_Hooks"

// webhookKinds are the triggers a webhook may serve.
var webhookKinds = map[string]bool{
	"beforeSave": true, "afterSave": true, "beforeDelete": true, "afterDelete": true,
	"beforeFind": true, "afterFind": true, "beforeLogin": true, "afterLogin": true, "afterLogout": true,
}

// maxWebhookResponse bounds a webhook's answer.
const maxWebhookResponse = 10 << 20

type hookSet struct {
	functions map[string]string // name → url
	triggers  map[string]string // "kind.className" → url
}

type webhooks struct {
	c       *Cloud
	set     atomic.Pointer[hookSet]
	classMu sync.Mutex
	writeMu sync.Mutex
}

func newWebhooks(c *Cloud) *webhooks {
	w := &webhooks{c: c}
	w.set.Store(&hookSet{functions: map[string]string{}, triggers: map[string]string{}})
	return w
}

func (w *webhooks) functionURL(name string) string { return w.set.Load().functions[name] }

func (w *webhooks) triggerURL(kind hooks.Kind, class string) string {
	s := w.set.Load()
	if len(s.triggers) == 0 {
		return ""
	}
	return s.triggers[string(kind)+"."+class]
}

func (w *webhooks) triggerKeys() []string {
	s := w.set.Load()
	keys := make([]string, 0, len(s.triggers))
	for k := range s.triggers {
		keys = append(keys, k)
	}
	return keys
}

// load reads _Hooks and rebinds the chains the triggers need. A class this
// node does not know yet (another node registered the first webhook) is
// looked up in the stored schema.
func (w *webhooks) load(ctx context.Context) error {
	if w.c.app.Class(hooksClass) == nil {
		if err := w.c.app.ReloadSchemas(ctx); err != nil {
			return err
		}
	}
	rows, err := w.rows(ctx, nil)
	if err != nil {
		return err
	}
	s := &hookSet{functions: map[string]string{}, triggers: map[string]string{}}
	for _, r := range rows {
		u, _ := r["url"].(string)
		if fn, _ := r["functionName"].(string); fn != "" {
			s.functions[fn] = u
		} else if cls, _ := r["className"].(string); cls != "" {
			trig, _ := r["triggerName"].(string)
			s.triggers[trig+"."+cls] = u
		}
	}
	w.set.Store(s)
	w.c.triggers.sync(nil)
	return nil
}

// rows reads _Hooks straight from the store (the server's own rows).
func (w *webhooks) rows(ctx context.Context, where core.Expr) ([]core.Object, error) {
	c := w.c.app.Class(hooksClass)
	if c == nil {
		return nil, nil
	}
	return w.c.app.Store().Find(ctx, c, &core.Query{Where: where, Limit: -1, Order: []core.OrderKey{{Field: core.FieldCreatedAt}}})
}

// ---- the /hooks routes ----

// Webhooks serves Parse's /hooks routes (master key only). kind is
// "functions" or "triggers"; key is empty, [functionName] or [className,
// triggerName].
func (c *Cloud) Webhooks(ctx context.Context, auth *core.Auth, method, kind string, key []string, body map[string]any) (any, error) {
	if auth == nil || !auth.Master {
		return nil, core.Errorf(core.CodeOperationForbidden, "unauthorized: master key is required")
	}
	w := c.webhooks
	switch {
	case method == http.MethodGet && len(key) == 0:
		return w.list(ctx, kind)
	case method == http.MethodGet:
		h, err := w.get(ctx, kind, key)
		if err != nil {
			return nil, err
		}
		if h == nil {
			return nil, notFoundHook(kind, key)
		}
		return h, nil
	case method == http.MethodPost && len(key) == 0:
		if auth.ReadOnly {
			return nil, core.Errorf(core.CodeOperationForbidden, "read-only masterKey isn't allowed to perform the write operation")
		}
		return w.create(ctx, kind, body)
	case method == http.MethodPut && len(key) > 0:
		if auth.ReadOnly {
			return nil, core.Errorf(core.CodeOperationForbidden, "read-only masterKey isn't allowed to perform the write operation")
		}
		if op, _ := body["__op"].(string); op == "Delete" {
			return map[string]any{}, w.remove(ctx, kind, key)
		}
		return w.update(ctx, kind, key, body)
	}
	return nil, core.Errorf(core.CodeInvalidJSON, "no route for %s /hooks/%s", method, strings.Join(append([]string{kind}, key...), "/"))
}

func notFoundHook(kind string, key []string) error {
	if kind == "functions" {
		return core.Errorf(core.CodeWebhookError, "no function named: %s is defined", key[0])
	}
	return core.Errorf(core.CodeWebhookError, "class %s does not exist", key[0])
}

func hookJSON(r core.Object) map[string]any {
	out := map[string]any{}
	for _, k := range []string{"functionName", "className", "triggerName", "url"} {
		if v, ok := r[k].(string); ok && v != "" {
			out[k] = v
		}
	}
	return out
}

func hookWhere(kind string, key []string) core.Expr {
	if kind == "functions" {
		return core.Cmp{Field: "functionName", Op: core.OpEq, Value: key[0]}
	}
	return core.And{Exprs: []core.Expr{
		core.Cmp{Field: "className", Op: core.OpEq, Value: key[0]},
		core.Cmp{Field: "triggerName", Op: core.OpEq, Value: key[1]},
	}}
}

func (w *webhooks) list(ctx context.Context, kind string) ([]any, error) {
	field := "functionName"
	if kind == "triggers" {
		field = "className"
	}
	rows, err := w.rows(ctx, core.Exists{Field: field, Exists: true})
	if err != nil {
		return nil, err
	}
	out := make([]any, 0, len(rows))
	for _, r := range rows {
		out = append(out, hookJSON(r))
	}
	return out, nil
}

func (w *webhooks) get(ctx context.Context, kind string, key []string) (map[string]any, error) {
	if len(key) != map[string]int{"functions": 1, "triggers": 2}[kind] {
		return nil, core.Errorf(core.CodeWebhookError, "invalid hook declaration")
	}
	rows, err := w.rows(ctx, hookWhere(kind, key))
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return hookJSON(rows[0]), nil
}

// declaration checks a hook: a function name or a class and trigger, and
// an absolute http(s) URL.
func declaration(kind string, key []string, u string) (map[string]any, error) {
	h := map[string]any{"url": u}
	switch kind {
	case "functions":
		if len(key) != 1 || key[0] == "" {
			return nil, core.Errorf(core.CodeWebhookError, "invalid hook declaration")
		}
		h["functionName"] = key[0]
	case "triggers":
		if len(key) != 2 || !(core.ValidClassName(key[0]) || key[0] == hooks.FileClass) || !webhookKinds[key[1]] {
			return nil, core.Errorf(core.CodeWebhookError, "invalid hook declaration")
		}
		h["className"], h["triggerName"] = key[0], key[1]
	default:
		return nil, core.Errorf(core.CodeWebhookError, "invalid hook declaration")
	}
	parsed, err := url.Parse(u)
	if u == "" || err != nil || (parsed.Scheme != "http" && parsed.Scheme != "https") || parsed.Host == "" {
		return nil, core.Errorf(core.CodeWebhookError, "invalid hook declaration: url must be an absolute http or https URL")
	}
	return h, nil
}

func bodyKey(kind string, body map[string]any) []string {
	if kind == "functions" {
		name, _ := body["functionName"].(string)
		return []string{name}
	}
	cls, _ := body["className"].(string)
	trig, _ := body["triggerName"].(string)
	return []string{cls, trig}
}

func (w *webhooks) create(ctx context.Context, kind string, body map[string]any) (any, error) {
	key := bodyKey(kind, body)
	u, _ := body["url"].(string)
	h, err := declaration(kind, key, u)
	if err != nil {
		return nil, err
	}
	w.writeMu.Lock()
	defer w.writeMu.Unlock()
	existing, err := w.get(ctx, kind, key)
	if err != nil {
		return nil, err
	}
	if existing != nil {
		if kind == "functions" {
			return nil, core.Errorf(core.CodeWebhookError, "function name: %s already exists", key[0])
		}
		return nil, core.Errorf(core.CodeWebhookError, "class %s already has trigger %s", key[0], key[1])
	}
	c, err := systemClass(ctx, w.c.app, hooksClass, &w.classMu)
	if err != nil {
		return nil, err
	}
	now := core.Now()
	obj := core.Object{core.FieldObjectID: core.NewObjectID(), core.FieldCreatedAt: now, core.FieldUpdatedAt: now}
	for k, v := range h {
		obj[k] = v
	}
	if err := w.c.app.Store().Insert(ctx, c, obj); err != nil {
		return nil, err
	}
	return h, w.changed(ctx)
}

func (w *webhooks) update(ctx context.Context, kind string, key []string, body map[string]any) (any, error) {
	u, _ := body["url"].(string)
	h, err := declaration(kind, key, u)
	if err != nil {
		return nil, err
	}
	w.writeMu.Lock()
	defer w.writeMu.Unlock()
	rows, err := w.rows(ctx, hookWhere(kind, key))
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, notFoundHook(kind, key)
	}
	c := w.c.app.Class(hooksClass)
	if _, err := w.c.app.Store().Update(ctx, c, rows[0].ID(), nil, nil, core.Update{"url": core.Set{Value: u}, core.FieldUpdatedAt: core.Set{Value: core.Now()}}); err != nil {
		return nil, err
	}
	return h, w.changed(ctx)
}

func (w *webhooks) remove(ctx context.Context, kind string, key []string) error {
	if _, err := declaration(kind, key, "http://x"); err != nil {
		return err
	}
	w.writeMu.Lock()
	defer w.writeMu.Unlock()
	c := w.c.app.Class(hooksClass)
	if c == nil {
		return nil
	}
	if _, err := w.c.app.Store().Delete(ctx, c, hookWhere(kind, key), nil); err != nil {
		return err
	}
	return w.changed(ctx)
}

// changed reloads this node's list and tells the other nodes.
func (w *webhooks) changed(ctx context.Context) error {
	if err := w.load(ctx); err != nil {
		return err
	}
	w.c.bus.publish(ctx, "hooks")
	return nil
}

// ---- calling webhooks ----

// callFunction POSTs a function's request to its webhook.
func (w *webhooks) callFunction(ctx context.Context, u, name string, req *hooks.Request) (*hooks.Response, error) {
	body := requestJSON(req)
	body["functionName"] = name
	result, err := w.post(ctx, u, "function "+name, body)
	if err != nil {
		return nil, err
	}
	return &hooks.Response{Result: result, HasResult: true}, nil
}

// callTrigger POSTs a trigger's request to its webhook: a beforeSave's
// success is the object to save, an afterFind's the objects to answer.
func (w *webhooks) callTrigger(ctx context.Context, u string, kind hooks.Kind, class string, req *hooks.Request) (*hooks.Response, error) {
	body := requestJSON(req)
	body["triggerName"] = string(kind)
	for _, k := range []string{"object", "original"} {
		if o, ok := body[k].(map[string]any); ok {
			o = maps.Clone(o)
			o["className"] = class
			body[k] = o
		}
	}
	if kind == hooks.BeforeSave {
		// The object as the trigger would see it: stored fields and the
		// write applied (operators stay as sent).
		obj := map[string]any{}
		maps.Copy(obj, req.Object)
		for k, v := range req.Update {
			obj[k] = v
		}
		obj["className"] = class
		body["object"] = obj
		delete(body, "update")
	}
	result, err := w.post(ctx, u, string(kind)+" "+class, body)
	if err != nil {
		return nil, err
	}
	resp := &hooks.Response{}
	switch kind {
	case hooks.BeforeSave:
		if obj, ok := result.(map[string]any); ok {
			update := map[string]any{}
			for k, v := range obj {
				switch k {
				case "objectId", "createdAt", "updatedAt", "className", "sessionToken":
					continue
				}
				if req.Object != nil && jsonEqual(req.Object[k], v) {
					continue // unchanged stored value: not part of the write
				}
				update[k] = v
			}
			resp.Update = update
		}
	case hooks.AfterFind:
		if list, ok := result.([]any); ok {
			resp.Objects = make([]map[string]any, 0, len(list))
			for _, o := range list {
				if m, ok := o.(map[string]any); ok {
					resp.Objects = append(resp.Objects, m)
				}
			}
		}
	}
	return resp, nil
}

func jsonEqual(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}

// requestJSON is the request object a webhook receives, with Parse
// Server's field names.
func requestJSON(req *hooks.Request) map[string]any {
	raw, _ := json.Marshal(req)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	if out == nil {
		out = map[string]any{}
	}
	return out
}

// post calls a webhook and returns its success value, or the error it
// answered (141 for a string, its own code for {code, error}).
func (w *webhooks) post(ctx context.Context, u, label string, body map[string]any) (any, error) {
	payload, err := json.Marshal(body)
	if err != nil {
		return nil, core.Internal(fmt.Errorf("webhook %s: encoding the request: %w", label, err))
	}
	ctx, cancel := context.WithTimeout(ctx, w.c.m.Options().Timeout)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(payload))
	if err != nil {
		return nil, core.Errorf(core.CodeScriptFailed, "webhook %s: %v", label, err)
	}
	hr.Header.Set("Content-Type", "application/json")
	if key := w.c.opts.WebhookKey; key != "" {
		hr.Header.Set("X-Parse-Webhook-Key", key)
	}
	res, err := w.c.opts.HTTPClient.Do(hr)
	if err != nil {
		w.c.log.Warn("cloud code: webhook call failed", "webhook", label, "url", u, "err", err)
		return nil, core.Errorf(core.CodeScriptFailed, "webhook %s failed: the server at its URL did not answer", label)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxWebhookResponse+1))
	if err != nil || len(raw) > maxWebhookResponse {
		return nil, core.Errorf(core.CodeScriptFailed, "webhook %s failed: its answer could not be read (or is larger than %d bytes)", label, maxWebhookResponse)
	}
	var answer struct {
		Success any `json:"success"`
		Error   any `json:"error"`
	}
	if err := json.Unmarshal(raw, &answer); err != nil {
		return nil, core.Errorf(core.CodeScriptFailed, "webhook %s answered malformed JSON (status %d)", label, res.StatusCode)
	}
	if answer.Error != nil {
		return nil, webhookError(answer.Error)
	}
	return answer.Success, nil
}

// webhookError turns a webhook's "error" into a Parse error, as Parse
// Server does with what a trigger throws.
func webhookError(v any) error {
	switch e := v.(type) {
	case string:
		return core.Errorf(core.CodeScriptFailed, "%s", e)
	case map[string]any:
		code := core.CodeScriptFailed
		if n, ok := e["code"].(float64); ok && n != 0 {
			code = core.Code(n)
		}
		msg, _ := e["error"].(string)
		if msg == "" {
			msg, _ = e["message"].(string)
		}
		if msg == "" {
			msg = "Script failed."
		}
		return core.Errorf(code, "%s", msg)
	}
	b, _ := json.Marshal(v)
	return core.Errorf(core.CodeScriptFailed, "%s", b)
}
