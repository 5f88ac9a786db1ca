package cluster_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/adapters/jobs/river"
	"github.com/switchboardhq/switchboard/adapters/store/sqlite"
	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/api"
)

// newJobsApp opens an App with a River queue, not started, on a new
// SQLite store.
func newJobsApp(t *testing.T, cleanup string) *core.App {
	t.Helper()
	st, err := sqlite.Open(t.Context(), core.StoreConfig{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	q, err := river.Open(t.Context(), core.ProviderEnv{Store: st, Options: map[string]any{"pollInterval": "100ms"}})
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	app, err := core.NewApp(t.Context(), st, core.Options{AppID: "jobs", MasterKey: "mk", Jobs: q, CleanupSchedule: cleanup})
	if err != nil {
		q.Stop(t.Context())
		st.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	return app
}

// The cleanup job deletes expired sessions, request ids and SMS codes
// past the daily-limit window, and nothing else.
func TestCleanupJob(t *testing.T) {
	app := newJobsApp(t, "@every 1s")
	if err := app.Jobs().Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx, master := t.Context(), core.MasterAuth()
	for _, c := range []string{"_Session", "_Idempotency", "_SmsCode"} {
		if _, err := app.CreateSchema(ctx, master, c, map[string]any{}); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	insert := func(class string, created time.Time, fields map[string]any) string {
		obj := core.Object{core.FieldObjectID: core.NewObjectID(), core.FieldCreatedAt: created, core.FieldUpdatedAt: created}
		for k, v := range fields {
			obj[k] = v
		}
		if err := app.Store().Insert(ctx, app.Class(class), obj); err != nil {
			t.Fatal(err)
		}
		return obj.ID()
	}
	user := core.Pointer{ClassName: "_User", ObjectID: "u1"}
	gone := map[string][]string{
		"_Session":     {insert("_Session", now.Add(-2*time.Hour), map[string]any{"sessionToken": "r:old", "user": user, "expiresAt": now.Add(-time.Hour)})},
		"_Idempotency": {insert("_Idempotency", now.Add(-time.Hour), map[string]any{"reqId": "old", "expire": now.Add(-time.Minute)})},
		"_SmsCode":     {insert("_SmsCode", now.Add(-25*time.Hour), map[string]any{"phone": "+1", "expiresAt": now.Add(-25 * time.Hour)})},
	}
	kept := map[string][]string{
		"_Session":     {insert("_Session", now, map[string]any{"sessionToken": "r:live", "user": user, "expiresAt": now.Add(time.Hour)})},
		"_Idempotency": {insert("_Idempotency", now, map[string]any{"reqId": "live", "expire": now.Add(time.Hour)})},
		// Expired, but still counted toward today's limit of its number.
		"_SmsCode": {insert("_SmsCode", now.Add(-time.Hour), map[string]any{"phone": "+1", "expiresAt": now.Add(-50 * time.Minute)})},
	}
	exists := func(class, id string) bool {
		objs, err := app.Store().Find(ctx, app.Class(class), &core.Query{Where: core.Cmp{Field: core.FieldObjectID, Op: core.OpEq, Value: id}, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		return len(objs) == 1
	}
	poll(t, 60*time.Second, "the cleanup job deleting expired rows", func() bool {
		for class, ids := range gone {
			for _, id := range ids {
				if exists(class, id) {
					return false
				}
			}
		}
		return true
	})
	for class, ids := range kept {
		for _, id := range ids {
			if !exists(class, id) {
				t.Errorf("the cleanup job deleted %s %s, which has not expired", class, id)
			}
		}
	}
}

// The job routes: master key only, Parse's X-Parse-Job-Status-Id, and a
// read-only _JobStatus class.
func TestJobRoutes(t *testing.T) {
	app := newJobsApp(t, "")
	ran := make(chan core.Job, 1)
	app.Jobs().Handle(core.CloudJobPrefix+"hello", func(ctx context.Context, j core.Job) error { ran <- j; return nil })
	if err := app.Jobs().Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(app))
	defer srv.Close()
	do := func(method, path, body string, master bool) (int, string, http.Header) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("X-Parse-Application-Id", "jobs")
		if master {
			req.Header.Set("X-Parse-Master-Key", "mk")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		_, _ = io.Copy(&b, resp.Body)
		return resp.StatusCode, b.String(), resp.Header
	}
	for _, tc := range []struct {
		method, path, body string
		master             bool
		want               string
	}{
		{"POST", "/jobs/hello", `{}`, false, `"code":119`},
		{"GET", "/jobs/status", ``, false, `"code":119`},
		{"GET", "/classes/_JobStatus", ``, false, `"code":119`},
		{"POST", "/jobs/nosuch", `{}`, true, `"code":141`},
		{"POST", "/jobs/hello?runAt=tomorrow", `{}`, true, `"code":107`},
		{"POST", "/classes/_JobStatus", `{}`, true, `"code":119`},
		{"GET", `/classes/_JobStatus?where={"jobName":"hello"}`, ``, true, `"code":102`},
	} {
		if _, body, _ := do(tc.method, tc.path, tc.body, tc.master); !strings.Contains(body, tc.want) {
			t.Errorf("%s %s (master %v): %s, want %s", tc.method, tc.path, tc.master, body, tc.want)
		}
	}
	status, body, hdr := do("POST", "/jobs/hello", `{"who":"world"}`, true)
	id := hdr.Get("X-Parse-Job-Status-Id")
	if status != 200 || body != "{}" || id == "" {
		t.Fatalf("POST /jobs/hello: %d %s, job status id %q", status, body, id)
	}
	select {
	case j := <-ran:
		if j.Args["who"] != "world" || j.ID != id {
			t.Fatalf("the handler got %+v, want args {who: world} and id %s", j, id)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the job did not run")
	}
	poll(t, 30*time.Second, "the job listed as succeeded", func() bool {
		_, body, _ := do("GET", "/classes/_JobStatus?limit=5", "", true)
		return strings.Contains(body, `"objectId":"`+id+`"`) && strings.Contains(body, `"jobName":"hello"`) &&
			strings.Contains(body, `"status":"succeeded"`) && strings.Contains(body, `"finishedAt":{"__type":"Date"`)
	})
}
