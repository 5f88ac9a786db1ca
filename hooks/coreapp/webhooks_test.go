package coreapp_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// webhookServer is an external service registered as webhooks: it checks
// the key and answers as Parse webhooks do.
type webhookServer struct {
	*httptest.Server
	mu   sync.Mutex
	seen []map[string]any
}

func newWebhookServer(t *testing.T, key string) *webhookServer {
	w := &webhookServer{}
	w.Server = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		_ = json.Unmarshal(raw, &body)
		w.mu.Lock()
		w.seen = append(w.seen, body)
		w.mu.Unlock()
		answer := func(v any) { rw.Header().Set("Content-Type", "application/json"); json.NewEncoder(rw).Encode(v) }
		if r.Header.Get("X-Parse-Webhook-Key") != key || r.Header.Get("Content-Type") != "application/json" {
			rw.WriteHeader(http.StatusUnauthorized)
			answer(map[string]any{"error": "bad webhook key"})
			return
		}
		switch r.URL.Path {
		case "/hello":
			params, _ := body["params"].(map[string]any)
			answer(map[string]any{"success": "hello " + params["name"].(string)})
		case "/refuse":
			answer(map[string]any{"error": map[string]any{"code": 142, "error": "refused by the webhook"}})
		case "/oops":
			answer(map[string]any{"error": "something broke"})
		case "/garbage":
			io.WriteString(rw, "<html>not json</html>")
		case "/beforeSave":
			obj := body["object"].(map[string]any)
			obj["stamped"] = "by webhook"
			answer(map[string]any{"success": obj})
		case "/afterSave":
			answer(map[string]any{"success": true})
		}
	}))
	t.Cleanup(w.Close)
	return w
}

func (w *webhookServer) requests() []map[string]any {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]map[string]any(nil), w.seen...)
}

func TestWebhooks(t *testing.T) {
	const key = "hook-key"
	n := startNode(t, nodeOptions{webhookKey: key})
	n.deploy(`Parse.Cloud.define('hello', () => 'from cloud code');`)
	wh := newWebhookServer(t, key)

	t.Run("register and call a function webhook", func(t *testing.T) {
		r := n.must(http.StatusOK, http.MethodPost, "/hooks/functions", "master", map[string]any{"functionName": "hello", "url": wh.URL + "/hello"})
		if r.body["functionName"] != "hello" || r.body["url"] != wh.URL+"/hello" {
			t.Fatalf("create: %s", r.raw)
		}
		res := n.run("hello", map[string]any{"name": "ada"}, "X-Parse-Installation-Id", "i1")
		if res.body["result"] != "hello ada" {
			t.Fatalf("function through its webhook: %s, want 'hello ada' (the webhook wins over cloud code)", res.raw)
		}
		last := wh.requests()[len(wh.requests())-1]
		if last["functionName"] != "hello" || last["master"] != false || last["installationId"] != "i1" {
			t.Fatalf("webhook got %v", last)
		}
		if g := n.must(http.StatusOK, http.MethodGet, "/hooks/functions/hello", "master", nil); g.body["url"] != wh.URL+"/hello" {
			t.Fatalf("get: %s", g.raw)
		}
		if l := n.must(http.StatusOK, http.MethodGet, "/hooks/functions", "master", nil); len(l.list) != 1 {
			t.Fatalf("list: %s", l.raw)
		}
	})

	t.Run("errors a webhook answers", func(t *testing.T) {
		for _, c := range []struct {
			path string
			code float64
			msg  string
		}{{"/refuse", 142, "refused by the webhook"}, {"/oops", 141, "something broke"}} {
			n.must(http.StatusOK, http.MethodPost, "/hooks/functions", "master", map[string]any{"functionName": c.path[1:], "url": wh.URL + c.path})
			r := n.run(c.path[1:], nil)
			if r.code() != c.code || r.errMsg() != c.msg {
				t.Fatalf("%s: %s, want %v %q", c.path, r.raw, c.code, c.msg)
			}
		}
		n.must(http.StatusOK, http.MethodPost, "/hooks/functions", "master", map[string]any{"functionName": "garbage", "url": wh.URL + "/garbage"})
		if r := n.run("garbage", nil); r.code() != 141 {
			t.Fatalf("malformed answer: %s, want 141", r.raw)
		}
	})

	t.Run("the webhook key is checked by the receiver", func(t *testing.T) {
		other := startNode(t, nodeOptions{webhookKey: "wrong"})
		other.must(http.StatusOK, http.MethodPost, "/hooks/functions", "master", map[string]any{"functionName": "hello", "url": wh.URL + "/hello"})
		if r := other.run("hello", map[string]any{"name": "x"}); r.code() != 141 || r.errMsg() != "bad webhook key" {
			t.Fatalf("with a wrong key: %s", r.raw)
		}
	})

	t.Run("trigger webhooks", func(t *testing.T) {
		n.must(http.StatusOK, http.MethodPost, "/hooks/triggers", "master", map[string]any{"className": "Doc", "triggerName": "beforeSave", "url": wh.URL + "/beforeSave"})
		n.must(http.StatusOK, http.MethodPost, "/hooks/triggers", "master", map[string]any{"className": "Doc", "triggerName": "afterSave", "url": wh.URL + "/afterSave"})
		r := n.must(http.StatusCreated, http.MethodPost, "/classes/Doc", "", map[string]any{"title": "t"})
		if r.body["stamped"] != "by webhook" {
			t.Fatalf("create reply %s, want the field the beforeSave webhook set", r.raw)
		}
		got := n.must(http.StatusOK, http.MethodGet, "/classes/Doc/"+r.body["objectId"].(string), "master", nil).body
		if got["stamped"] != "by webhook" || got["title"] != "t" {
			t.Fatalf("stored %v", got)
		}
		reqs := wh.requests()
		last := reqs[len(reqs)-1]
		obj, _ := last["object"].(map[string]any)
		if last["triggerName"] != "afterSave" || obj["className"] != "Doc" || obj["stamped"] != "by webhook" {
			t.Fatalf("afterSave webhook got %v", last)
		}
		if g := n.must(http.StatusOK, http.MethodGet, "/hooks/triggers/Doc/beforeSave", "master", nil); g.body["url"] != wh.URL+"/beforeSave" {
			t.Fatalf("get trigger: %s", g.raw)
		}
	})

	t.Run("update and delete", func(t *testing.T) {
		n.must(http.StatusOK, http.MethodPut, "/hooks/functions/hello", "master", map[string]any{"url": wh.URL + "/oops"})
		if r := n.run("hello", nil); r.errMsg() != "something broke" {
			t.Fatalf("after update: %s", r.raw)
		}
		n.must(http.StatusOK, http.MethodPut, "/hooks/functions/hello", "master", map[string]any{"__op": "Delete"})
		if r := n.run("hello", nil); r.body["result"] != "from cloud code" {
			t.Fatalf("after delete, cloud code serves again: %s", r.raw)
		}
		n.must(http.StatusOK, http.MethodPut, "/hooks/triggers/Doc/beforeSave", "master", map[string]any{"__op": "Delete"})
		if r := n.must(http.StatusCreated, http.MethodPost, "/classes/Doc", "", map[string]any{"title": "u"}); r.body["stamped"] != nil {
			t.Fatalf("a removed beforeSave webhook still ran: %s", r.raw)
		}
	})

	t.Run("refusals, with Parse's messages", func(t *testing.T) {
		cases := []struct {
			method, path string
			key          string
			body         map[string]any
			code         float64
			msg          string
		}{
			{http.MethodGet, "/hooks/functions", "", nil, 119, "unauthorized: master key is required"},
			{http.MethodPost, "/hooks/functions", "", map[string]any{"functionName": "x", "url": "http://example.com"}, 119, "unauthorized: master key is required"},
			{http.MethodGet, "/hooks/functions/none", "master", nil, 143, "no function named: none is defined"},
			{http.MethodGet, "/hooks/triggers/Doc/afterDelete", "master", nil, 143, "class Doc does not exist"},
			{http.MethodPost, "/hooks/functions", "master", map[string]any{"functionName": "refuse", "url": wh.URL}, 143, "function name: refuse already exists"},
			{http.MethodPost, "/hooks/triggers", "master", map[string]any{"className": "Doc", "triggerName": "afterSave", "url": wh.URL}, 143, "class Doc already has trigger afterSave"},
			{http.MethodPost, "/hooks/triggers", "master", map[string]any{"className": "Doc", "triggerName": "onWhatever", "url": wh.URL}, 143, "invalid hook declaration"},
			{http.MethodPost, "/hooks/functions", "master", map[string]any{"url": wh.URL}, 143, "invalid hook declaration"},
			{http.MethodPost, "/hooks/functions", "master", map[string]any{"functionName": "f", "url": "file:///etc/passwd"}, 143, "invalid hook declaration: url must be an absolute http or https URL"},
			{http.MethodPut, "/hooks/functions/none", "master", map[string]any{"url": wh.URL}, 143, "no function named: none is defined"},
			{http.MethodGet, "/classes/_Hooks", "", nil, 119, ""},
		}
		for _, c := range cases {
			r := n.call(c.method, c.path, c.key, c.body)
			if r.code() != c.code || (c.msg != "" && r.errMsg() != c.msg) {
				t.Errorf("%s %s: %d %s, want %v %q", c.method, c.path, r.status, r.raw, c.code, c.msg)
			}
		}
	})
}
