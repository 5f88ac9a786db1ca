package app

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// writeJSONL writes rows as JSON Lines.
func writeJSONL(t *testing.T, path string, rows ...map[string]any) {
	t.Helper()
	var b bytes.Buffer
	for _, r := range rows {
		j, _ := json.Marshal(r)
		b.Write(j)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

func runImportCommand(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := []string{"SWITCHBOARD_APP_ID=app", "SWITCHBOARD_MASTER_KEY=mk", "SWITCHBOARD_JOBS__PROVIDER=none"}
	code := Run(context.Background(), append([]string{"import"}, args...), env, &out, &errOut)
	return code, out.String() + errOut.String()
}

// TestImportLeanCloudFetchFiles: `switchboard import leancloud
// --fetch-files` copies the files' bytes from the app's file domain (a
// local server standing for it, reached through --file-domain) into the
// files provider; a file the domain cannot serve keeps its URL, is
// reported, and is fetched by a re-run once it can be. Indexes come from
// indexes.json.
func TestImportLeanCloudFetchFiles(t *testing.T) {
	var flaky atomic.Int32
	var missingServed atomic.Bool
	domain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/app1/cat.png":
			w.Header().Set("Content-Type", "image/png")
			_, _ = w.Write([]byte("cat bytes"))
		case "/app1/flaky.txt":
			if flaky.Add(1) == 1 {
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return
			}
			_, _ = w.Write([]byte("flaky bytes"))
		case "/app1/later.txt":
			if !missingServed.Load() {
				http.NotFound(w, r)
				return
			}
			_, _ = w.Write([]byte("later bytes"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer domain.Close()

	export := t.TempDir()
	const lcDomain = "https://lc-abc.lcfile.com"
	ids := []string{"5f0000000000000000000001", "5f0000000000000000000002", "5f0000000000000000000003"}
	writeJSONL(t, filepath.Join(export, "_File.jsonl"),
		map[string]any{"objectId": ids[0], "name": "猫.png", "url": lcDomain + "/app1/cat.png", "mime_type": "image/png",
			"metaData": map[string]any{"owner": "unknown"}, "createdAt": "2021-01-01T00:00:00.000Z", "updatedAt": "2021-01-01T00:00:00.000Z"},
		map[string]any{"objectId": ids[1], "name": "flaky.txt", "url": lcDomain + "/app1/flaky.txt"},
		map[string]any{"objectId": ids[2], "name": "later.txt", "url": lcDomain + "/app1/later.txt"})
	writeJSONL(t, filepath.Join(export, "Post.jsonl"),
		map[string]any{"objectId": "6a0000000000000000000001", "title": "a", "score": 3.0,
			"pic":   map[string]any{"__type": "File", "id": ids[0]},
			"files": []any{map[string]any{"__type": "Pointer", "className": "_File", "objectId": ids[1]}, map[string]any{"__type": "File", "id": ids[2]}}})
	indexes := `{"Post": [{"v": 2, "key": {"_id": 1}, "name": "_id_"}, {"v": 2, "key": {"score": -1, "title": 1}, "name": "score_-1_title_1"},
		{"key": {"title": 1}, "name": "title_1", "unique": true}, {"key": {"meta.deep": 1}, "name": "deep"}]}`
	if err := os.WriteFile(filepath.Join(export, "indexes.json"), []byte(indexes), 0o600); err != nil {
		t.Fatal(err)
	}

	data := t.TempDir()
	code, out := runImportCommand(t, "leancloud", export, "--dir", data, "--fetch-files", "--file-domain", domain.URL)
	if code != 0 {
		t.Fatalf("import: %d\n%s", code, out)
	}
	if !strings.Contains(out, "imported 4 objects") || !strings.Contains(out, "2 indexes") || !strings.Contains(out, "fetched 2 files") || !strings.Contains(out, "1 could not be fetched") {
		t.Errorf("import output:\n%s", out)
	}
	report, _ := os.ReadFile(filepath.Join(data, "import-leancloud-report.txt"))
	for _, want := range []string{ids[2], "404", "title_1 of Post is unique", "deep of Post"} {
		if !strings.Contains(string(report), want) {
			t.Errorf("the report lacks %q:\n%s", want, report)
		}
	}

	check := func(wantLater string) {
		t.Helper()
		s := startFileServer(t, data)
		defer s.stop()
		root := strings.TrimSuffix(s.base, "/parse")
		post := s.do("GET", root+"/1.1/classes/Post/6a0000000000000000000001", nil, "X-LC-Id: app", "X-LC-Key: k")
		pic, _ := post.json["pic"].(map[string]any)
		if pic["id"] != ids[0] || pic["name"] != "猫.png" || !strings.HasPrefix(pic["url"].(string), s.base+"/files/app/") {
			t.Fatalf("the imported file on /1.1: %s", post.body)
		}
		files, _ := post.json["files"].([]any)
		if len(files) != 2 {
			t.Fatalf("files: %s", post.body)
		}
		for i, want := range []string{"flaky bytes", wantLater} {
			f := files[i].(map[string]any)
			u := f["url"].(string)
			if want == "" {
				if u != lcDomain+"/app1/later.txt" {
					t.Errorf("a file not fetched should keep its URL: %v", f)
				}
				continue
			}
			if dl := s.do("GET", u, nil); string(dl.body) != want {
				t.Errorf("file %d (%s): %d %q", i, u, dl.status, dl.body)
			}
		}
		if dl := s.do("GET", pic["url"].(string), nil); string(dl.body) != "cat bytes" || dl.header.Get("Content-Type") != "image/png" {
			t.Errorf("the fetched cat: %d %q %v", dl.status, dl.body, dl.header)
		}
		// Parse clients of the same data get the same file.
		parse := s.do("GET", "/classes/Post/6a0000000000000000000001", nil, "master")
		if ppic, _ := parse.json["pic"].(map[string]any); ppic["url"] != pic["url"] {
			t.Errorf("pic on /parse: %v, on /1.1: %v", parse.json["pic"], pic)
		}
		schema := s.do("GET", "/schemas/Post", nil, "master")
		ix, _ := schema.json["indexes"].(map[string]any)
		if ix["score_desc_title_1"] == nil || ix["title_1"] == nil || len(ix) != 3 {
			t.Errorf("indexes: %v", schema.json["indexes"])
		}
	}
	check("")

	// The file domain serves the missing file now: a re-run fetches it,
	// and writes no object twice.
	missingServed.Store(true)
	code, out = runImportCommand(t, "leancloud", export, "--dir", data, "--fetch-files", "--file-domain", domain.URL)
	if code != 0 || !strings.Contains(out, "imported 0 objects") || !strings.Contains(out, "fetched 1 files") {
		t.Fatalf("re-run: %d\n%s", code, out)
	}
	check("later bytes")

	if code, out := runImportCommand(t, "leancloud", export, "--dir", data, "--fetch-files", "--file-domain", "ftp://x"); code == 0 || !strings.Contains(out, "file domain") {
		t.Errorf("a bad --file-domain: %d %s", code, out)
	}
}
