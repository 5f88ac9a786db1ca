package cluster_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/adapters/store/postgres/pgtest"
	"github.com/switchboardhq/switchboard/core/leancloud/leancloudtest"
	"github.com/switchboardhq/switchboard/internal/syncbuf"
)

// TestImportKilledMidway runs a real `switchboard import leancloud`
// process, kills it with SIGKILL once it has written part of the posts (a
// batch may be committed and not yet recorded in the state file, the case
// the importer's skip-existing batches are for), runs it again, and checks
// that the data is complete with nothing twice: every post once, every
// session once, the relations whole, and a user logs in with the old
// password. On each store.
func TestImportKilledMidway(t *testing.T) {
	export := t.TempDir()
	const users, posts = 300, 40000
	if err := leancloudtest.Write(export, leancloudtest.Options{Users: users, Posts: posts, PartSize: 10000, LikesPerPost: 3}); err != nil {
		t.Fatal(err)
	}
	t.Run("sqlite", func(t *testing.T) {
		killAndResume(t, export, t.TempDir(), users, posts)
	})
	t.Run("postgres", func(t *testing.T) {
		killAndResume(t, export, t.TempDir(), users, posts, "SWITCHBOARD_DATABASE_URL="+pgtest.Fresh(t))
	})
}

func importCmd(t *testing.T, export, dir string, env []string) *exec.Cmd {
	cmd := exec.Command(binary(t), "import", "leancloud", export, "--dir", dir, "--batch", "200")
	cmd.Env = append(os.Environ(), "SWITCHBOARD_APP_ID="+appID, "SWITCHBOARD_MASTER_KEY="+masterKey)
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

// postLines is how many post lines the state file says are done.
func postLines(dir string) int64 {
	b, err := os.ReadFile(filepath.Join(dir, "import-leancloud.state"))
	if err != nil {
		return 0
	}
	var st struct {
		Lines map[string]int64 `json:"lines"`
	}
	if json.Unmarshal(b, &st) != nil {
		return 0
	}
	var n int64
	for file, done := range st.Lines {
		if strings.Contains(filepath.Base(file), "Post.") {
			n += done
		}
	}
	return n
}

func killAndResume(t *testing.T, export, dir string, users, posts int, env ...string) {
	cmd := importCmd(t, export, dir, env)
	log := &syncbuf.Buffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// Kill once a few batches of posts are in, while more are being
	// written.
	var at int64
	for at < 1000 {
		select {
		case err := <-exited:
			t.Fatalf("the import ended (%v) before it could be killed; make the export larger:\n%s", err, tail(log.String(), 2000))
		case <-time.After(time.Millisecond):
		}
		at = postLines(dir)
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	err := <-exited
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("the import was not killed by SIGKILL: %v", err)
	}
	left := postLines(dir)
	if left >= int64(posts) {
		t.Fatalf("the state file says %d of %d posts were done at the kill: it was not midway", left, posts)
	}
	t.Logf("killed with %d of %d posts recorded", left, posts)

	again := importCmd(t, export, dir, env)
	out, err := again.CombinedOutput()
	if err != nil {
		t.Fatalf("the re-run failed: %v\n%s", err, tail(string(out), 3000))
	}
	if !strings.Contains(string(out), "imported ") {
		t.Errorf("the re-run printed no report:\n%s", tail(string(out), 2000))
	}

	n := startNode(t, dir, env...)
	count := func(class string, where map[string]any) int {
		w, _ := json.Marshal(where)
		out := n.must(http.StatusOK, http.MethodGet, "/classes/"+class+"?count=1&limit=0&where="+url.QueryEscape(string(w)), nil, true, "")
		return int(out["count"].(float64))
	}
	if got := count("Post", nil); got != posts {
		t.Errorf("%d posts after the re-run, want %d", got, posts)
	}
	if got := count("_User", nil); got != users {
		t.Errorf("%d users, want %d", got, users)
	}
	if got := count("_Session", nil); got != users {
		t.Errorf("%d sessions, want %d (one per user)", got, users)
	}
	likes := map[string]any{"$relatedTo": map[string]any{"object": map[string]any{"__type": "Pointer", "className": "Post",
		"objectId": leancloudtest.PostID(5)}, "key": "likes"}}
	if got := count("_User", likes); got != 3 {
		t.Errorf("post 5 is liked by %d users, want 3", got)
	}
	members := map[string]any{"$relatedTo": map[string]any{"object": map[string]any{"__type": "Pointer", "className": "_Role",
		"objectId": leancloudtest.RoleID}, "key": "users"}}
	if got := count("_User", members); got != users {
		t.Errorf("the role holds %d users, want %d", got, users)
	}
	login := n.must(http.StatusOK, http.MethodPost, "/login", map[string]any{"username": "user7", "password": leancloudtest.Password}, false, "")
	if login["objectId"] != leancloudtest.UserID(7) {
		t.Errorf("login with the old password: %v", login)
	}
	me := n.must(http.StatusOK, http.MethodGet, "/users/me", nil, false, leancloudtest.Token(9))
	if me["objectId"] != leancloudtest.UserID(9) {
		t.Errorf("the old session token: %v", me)
	}
}
