package app

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/switchboardhq/switchboard/adapters/jobs/river"
	_ "github.com/switchboardhq/switchboard/adapters/store/postgres"
	"github.com/switchboardhq/switchboard/adapters/store/postgres/pgtest"
	"github.com/switchboardhq/switchboard/core/versions"
)

// build makes a plausible artifact: skewed bytes with repeats, as code is.
func build(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.IntN(48))
	}
	return b
}

// nextBuild changes a build the way a new version does: bytes changed
// here and there, a block inserted, a block dropped.
func nextBuild(r *rand.Rand, old []byte) []byte {
	nw := append([]byte(nil), old...)
	for range len(nw) / 300 {
		nw[r.IntN(len(nw))] = byte(r.Uint32())
	}
	at := r.IntN(len(nw))
	nw = append(nw[:at], append(build(r, len(nw)/25), nw[at:]...)...)
	cut := r.IntN(len(nw) - len(nw)/40)
	return append(nw[:cut], nw[cut+len(nw)/40:]...)
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// api sends a JSON request with the given keys ("master", "app", or
// headers) and decodes the answer.
func (s *fileServer) api(method, path string, body any, headers ...string) answer {
	s.t.Helper()
	var rdr io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			s.t.Fatal(err)
		}
		rdr = bytes.NewReader(b)
	}
	return s.do(method, path, rdr, append([]string{"Content-Type: application/json"}, headers...)...)
}

func (s *fileServer) check(body map[string]any) map[string]any {
	s.t.Helper()
	a := s.api("POST", "/updates/check", body, "app")
	if a.status != 200 {
		s.t.Fatalf("check %v: %d %s", body, a.status, a.body)
	}
	return a.json
}

func latestCode(ans map[string]any) int {
	l, _ := ans["latest"].(map[string]any)
	n, _ := l["versionCode"].(float64)
	return int(n)
}

func download(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return b
}

// bspatch applies patch to old with Debian's bspatch; under CI=true a
// missing bspatch fails the test.
func bspatch(t *testing.T, old, patch []byte) []byte {
	t.Helper()
	bin, err := exec.LookPath("bspatch")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("bspatch is required under CI=true (apt-get install bsdiff)")
		}
		t.Skip("bspatch not installed (apt-get install bsdiff)")
	}
	dir := t.TempDir()
	oldPath, patchPath, outPath := filepath.Join(dir, "old"), filepath.Join(dir, "patch"), filepath.Join(dir, "new")
	_ = os.WriteFile(oldPath, old, 0o600)
	_ = os.WriteFile(patchPath, patch, 0o600)
	if out, err := exec.Command(bin, oldPath, outPath, patchPath).CombinedOutput(); err != nil {
		t.Fatalf("bspatch: %v: %s", err, out)
	}
	b, err := os.ReadFile(outPath)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// publish uploads data and publishes it as a release.
func (s *fileServer) publish(data []byte, fields map[string]any) map[string]any {
	s.t.Helper()
	up := s.do("POST", "/files/app.apk", bytes.NewReader(data), "master", "Content-Type: application/vnd.android.package-archive")
	if up.status != 201 {
		s.t.Fatalf("upload: %d %s", up.status, up.body)
	}
	fields["file"] = map[string]any{"__type": "File", "name": up.json["name"]}
	fields["sha256"] = sha(data)
	a := s.api("POST", "/releases", fields, "master")
	if a.status != 201 {
		s.t.Fatalf("publish %v: %d %s", fields, a.status, a.body)
	}
	return a.json
}

// waitPatches waits until release id has n patches and returns them.
func (s *fileServer) waitPatches(id string, n int) []any {
	s.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		a := s.api("GET", "/releases/"+id, nil, "master")
		ps, _ := a.json["patches"].([]any)
		if len(ps) >= n {
			return ps
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("release %s has %d patches, want %d: %s", id, len(ps), n, a.body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestReleasesEndToEnd publishes three Android releases and checks what
// clients at each version are told, that every patch applied by the real
// bspatch gives the target byte for byte, the staged rollout's shares
// over 10k devices, and that disabling a release rolls back.
func TestReleasesEndToEnd(t *testing.T) {
	s := startFileServer(t, t.TempDir(), "SWITCHBOARD_RELEASES__CHECK_REQUESTS_PER_MINUTE=-1")
	r := rand.New(rand.NewPCG(16, 16))
	v1 := build(r, 300_000)
	v2 := nextBuild(r, v1)
	v3 := nextBuild(r, v2)
	builds := map[int][]byte{1: v1, 2: v2, 3: v3}

	r1 := s.publish(v1, map[string]any{"platform": "android", "versionCode": 1, "versionName": "1.0.0", "notes": "first"})
	r2 := s.publish(v2, map[string]any{"platform": "android", "versionCode": 2, "versionName": "1.1.0", "mandatory": true,
		"notes": map[string]any{"en": "security fix", "zh-CN": "安全修复"}})
	r3 := s.publish(v3, map[string]any{"platform": "android", "versionCode": 3, "versionName": "1.2.0", "minSupportedVersionCode": 1})
	ids := map[int]string{1: r1["objectId"].(string), 2: r2["objectId"].(string), 3: r3["objectId"].(string)}
	if r3["sha256"] != sha(v3) || r3["size"] != float64(len(v3)) || r3["md5"] == "" {
		t.Errorf("published release: %v", r3)
	}
	s.waitPatches(ids[2], 1)
	patches := s.waitPatches(ids[3], 2)
	for _, p := range patches {
		pm := p.(map[string]any)
		if pm["peakBytes"].(float64) <= 0 || pm["algo"] != "bsdiff40" {
			t.Errorf("patch record: %v", pm)
		}
	}

	cases := []struct {
		client       int
		base         bool
		hasUpdate    bool
		latest       int
		mandatory    bool
		patchFromVer int // 0: no patch
	}{
		{client: 0, hasUpdate: true, latest: 3, mandatory: true}, // below minSupported, and v2 is mandatory
		{client: 1, base: true, hasUpdate: true, latest: 3, mandatory: true, patchFromVer: 1},
		{client: 2, base: true, hasUpdate: true, latest: 3, mandatory: false, patchFromVer: 2},
		{client: 3, base: true, hasUpdate: false, latest: 3},
	}
	for _, c := range cases {
		req := map[string]any{"platform": "android", "versionCode": c.client, "versionName": "x", "channel": "production", "deviceId": "device-1"}
		if c.base {
			req["baseSha256"] = sha(builds[c.client])
		}
		ans := s.check(req)
		if ans["hasUpdate"] != c.hasUpdate || latestCode(ans) != c.latest || ans["mandatory"] != c.mandatory {
			t.Errorf("client at %d: %v", c.client, ans)
			continue
		}
		if !c.hasUpdate {
			if ans["patch"] != nil || ans["full"] != nil {
				t.Errorf("client at %d is up to date but got files: %v", c.client, ans)
			}
			continue
		}
		full := ans["full"].(map[string]any)
		if ans["resultSha256"] != sha(v3) || full["sha256"] != sha(v3) || full["size"] != float64(len(v3)) {
			t.Errorf("client at %d: full %v, resultSha256 %v", c.client, full, ans["resultSha256"])
		}
		if !bytes.Equal(download(t, full["url"].(string)), v3) {
			t.Errorf("client at %d: the full download is not v3", c.client)
		}
		patch, _ := ans["patch"].(map[string]any)
		if c.patchFromVer == 0 {
			if patch != nil {
				t.Errorf("client at %d without a base got a patch: %v", c.client, patch)
			}
			continue
		}
		if patch == nil || patch["fromSha256"] != sha(builds[c.patchFromVer]) || patch["algo"] != "bsdiff40" {
			t.Fatalf("client at %d: patch %v", c.client, patch)
		}
		pb := download(t, patch["url"].(string))
		if sha(pb) != patch["sha256"] || float64(len(pb)) != patch["size"] {
			t.Errorf("client at %d: the patch download does not match its sha256/size", c.client)
		}
		if len(pb) >= len(v3)/3 {
			t.Errorf("client at %d: a %d-byte patch for a %d-byte build", c.client, len(pb), len(v3))
		}
		got := bspatch(t, builds[c.patchFromVer], pb)
		if !bytes.Equal(got, v3) || sha(got) != ans["resultSha256"] {
			t.Errorf("client at %d: bspatch made %d bytes that are not v3", c.client, len(got))
		}
	}
	// A base the server has no patch from gets the full file only.
	ans := s.check(map[string]any{"platform": "android", "versionCode": 1, "deviceId": "d", "baseSha256": sha([]byte("other build"))})
	if ans["patch"] != nil || ans["full"] == nil {
		t.Errorf("unknown base: %v", ans)
	}
	// Another channel has no releases.
	if ans := s.check(map[string]any{"platform": "android", "channel": "beta", "versionCode": 1, "deviceId": "d"}); ans["hasUpdate"] != false || ans["latest"] != nil {
		t.Errorf("empty channel: %v", ans)
	}

	// Staged rollout: 30% of devices get v3, the others v2.
	if a := s.api("PUT", "/releases/"+ids[3], map[string]any{"rolloutPercent": 30}, "master"); a.status != 200 || a.json["rolloutPercent"] != float64(30) {
		t.Fatalf("rollout 30%%: %d %s", a.status, a.body)
	}
	const devices = 10_000
	got3 := 0
	for i := range devices {
		dev := fmt.Sprintf("device-%05d", i)
		ans := s.check(map[string]any{"platform": "android", "versionCode": 1, "deviceId": dev})
		switch latestCode(ans) {
		case 3:
			got3++
			if !versions.InRollout(dev, ids[3], 30) {
				t.Fatalf("%s got v3 outside the documented hash", dev)
			}
		case 2:
		default:
			t.Fatalf("%s: %v", dev, ans)
		}
	}
	if share := float64(got3) / devices; math.Abs(share-0.30) > 0.02 {
		t.Errorf("rollout share %.4f, want 0.30 ± 0.02", share)
	}

	// Disabling v3 rolls back: v1 clients get v2 (with its patch), v3
	// clients are not told to update.
	if a := s.api("PUT", "/releases/"+ids[3], map[string]any{"enabled": false, "rolloutPercent": 100}, "master"); a.status != 200 || a.json["enabled"] != false {
		t.Fatalf("disable: %d %s", a.status, a.body)
	}
	ans = s.check(map[string]any{"platform": "android", "versionCode": 1, "deviceId": "d", "baseSha256": sha(v1)})
	if latestCode(ans) != 2 || ans["hasUpdate"] != true || ans["resultSha256"] != sha(v2) {
		t.Fatalf("after the rollback, v1: %v", ans)
	}
	p, _ := ans["patch"].(map[string]any)
	if p == nil || !bytes.Equal(bspatch(t, v1, download(t, p["url"].(string))), v2) {
		t.Errorf("after the rollback the v1 patch does not make v2: %v", p)
	}
	if ans := s.check(map[string]any{"platform": "android", "versionCode": 3, "deviceId": "d"}); ans["hasUpdate"] != false {
		t.Errorf("after the rollback, v3: %v", ans)
	}

	// A write through /classes with the master key reaches the answers at
	// once too.
	if a := s.api("PUT", "/classes/_Release/"+ids[3], map[string]any{"enabled": true}, "master"); a.status != 200 {
		t.Fatalf("enable through /classes: %d %s", a.status, a.body)
	}
	if ans := s.check(map[string]any{"platform": "android", "versionCode": 1, "deviceId": "d"}); latestCode(ans) != 3 {
		t.Errorf("after enabling through /classes: %v", ans)
	}
	s.api("PUT", "/classes/_Release/"+ids[3], map[string]any{"enabled": false}, "master")

	// The list shows every release, newest first, with its patches.
	list := s.api("GET", "/releases?platform=android", nil, "master")
	results, _ := list.json["results"].([]any)
	if len(results) != 3 || results[0].(map[string]any)["versionCode"] != float64(3) {
		t.Errorf("list: %s", list.body)
	}
}

// TestReleasesBundlesAndStore: JS bundles roll back to the release before
// a disabled one; iOS releases may point at the App Store.
func TestReleasesBundlesAndStore(t *testing.T) {
	s := startFileServer(t, t.TempDir())
	r := rand.New(rand.NewPCG(1, 6))
	b1 := build(r, 20_000)
	b2 := nextBuild(r, b1)
	s.publish(b1, map[string]any{"platform": "bundle", "channel": "staging", "versionCode": 10})
	rel2 := s.publish(b2, map[string]any{"platform": "bundle", "channel": "staging", "versionCode": 11})
	if ans := s.check(map[string]any{"platform": "bundle", "channel": "staging", "versionCode": 10, "deviceId": "d"}); latestCode(ans) != 11 {
		t.Errorf("bundle 10: %v", ans)
	}
	s.api("PUT", "/releases/"+rel2["objectId"].(string), map[string]any{"enabled": false}, "master")
	ans := s.check(map[string]any{"platform": "bundle", "channel": "staging", "versionCode": 11, "deviceId": "d"})
	if ans["hasUpdate"] != true || ans["rollback"] != true || ans["mandatory"] != true || latestCode(ans) != 10 || ans["resultSha256"] != sha(b1) {
		t.Errorf("a client on a pulled bundle: %v", ans)
	}
	// The JS SDK's envelope (text/plain, keys in the body) and a GET with
	// a query string are answered alike.
	env := s.do("POST", "/updates/check", bytes.NewReader([]byte(`{"_ApplicationId":"app","_ClientVersion":"js5","platform":"bundle","channel":"staging","versionCode":11,"deviceId":"d"}`)),
		"Content-Type: text/plain")
	if env.status != 200 || env.json["rollback"] != true {
		t.Errorf("check in the SDK envelope: %d %s", env.status, env.body)
	}
	if a := s.do("GET", "/updates/check?platform=bundle&channel=staging&versionCode=10&deviceId=d", nil, "app"); a.status != 200 || latestCode(a.json) != 10 || a.json["hasUpdate"] != false {
		t.Errorf("check by GET: %d %s", a.status, a.body)
	}
	// The production channel is apart.
	if ans := s.check(map[string]any{"platform": "bundle", "versionCode": 1, "deviceId": "d"}); ans["hasUpdate"] != false {
		t.Errorf("bundle production: %v", ans)
	}

	a := s.api("POST", "/releases", map[string]any{"platform": "ios", "versionCode": 5, "versionName": "2.0",
		"storeUrl": "https://apps.apple.com/app/id123456789", "mandatory": true}, "master")
	if a.status != 201 {
		t.Fatalf("ios store release: %d %s", a.status, a.body)
	}
	ans = s.check(map[string]any{"platform": "ios", "versionCode": 4, "deviceId": "d"})
	full, _ := ans["full"].(map[string]any)
	if ans["mandatory"] != true || full["url"] != "https://apps.apple.com/app/id123456789" || full["store"] != true {
		t.Errorf("ios check: %v", ans)
	}
}

// TestReleasesRefusals: bad input, missing keys and the rate limit answer
// Parse-style 4xx errors and store nothing.
func TestReleasesRefusals(t *testing.T) {
	s := startFileServer(t, t.TempDir(), "SWITCHBOARD_READ_ONLY_MASTER_KEY=romk", "SWITCHBOARD_RELEASES__CHECK_REQUESTS_PER_MINUTE=40")
	up := s.do("POST", "/files/app.apk", bytes.NewReader([]byte("build one")), "master", "Content-Type: application/octet-stream")
	file := map[string]any{"__type": "File", "name": up.json["name"]}
	ok := s.api("POST", "/releases", map[string]any{"platform": "android", "versionCode": 1, "file": file}, "master")
	if ok.status != 201 {
		t.Fatalf("publish: %d %s", ok.status, ok.body)
	}
	id := ok.json["objectId"].(string)
	romk := []string{"X-Parse-Application-Id: app", "X-Parse-Master-Key: romk"}
	type req struct {
		name    string
		method  string
		path    string
		body    any
		headers []string
		status  int
		code    int
	}
	android := func(extra map[string]any) map[string]any {
		m := map[string]any{"platform": "android", "versionCode": 2, "file": file}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	check := func(extra map[string]any) map[string]any {
		m := map[string]any{"platform": "android", "versionCode": 1, "deviceId": "d"}
		for k, v := range extra {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return m
	}
	cases := []req{
		{"publish without keys", "POST", "/releases", android(nil), []string{"app"}, 400, 119},
		{"publish with the read-only key", "POST", "/releases", android(nil), romk, 400, 119},
		{"update with the read-only key", "PUT", "/releases/" + id, map[string]any{"enabled": false}, romk, 400, 119},
		{"list without keys", "GET", "/releases", nil, []string{"app"}, 400, 119},
		{"unknown platform", "POST", "/releases", android(map[string]any{"platform": "windows"}), []string{"master"}, 400, 162},
		{"missing platform", "POST", "/releases", map[string]any{"versionCode": 2, "file": file}, []string{"master"}, 400, 135},
		{"fractional versionCode", "POST", "/releases", android(map[string]any{"versionCode": 1.5}), []string{"master"}, 400, 111},
		{"negative versionCode", "POST", "/releases", android(map[string]any{"versionCode": -1}), []string{"master"}, 400, 162},
		{"string versionCode", "POST", "/releases", android(map[string]any{"versionCode": "two"}), []string{"master"}, 400, 111},
		{"duplicate versionCode", "POST", "/releases", android(map[string]any{"versionCode": 1}), []string{"master"}, 400, 137},
		{"unknown field", "POST", "/releases", android(map[string]any{"colour": "red"}), []string{"master"}, 400, 105},
		{"no file", "POST", "/releases", map[string]any{"platform": "android", "versionCode": 2}, []string{"master"}, 400, 135},
		{"missing file", "POST", "/releases", android(map[string]any{"file": map[string]any{"__type": "File", "name": "nope.apk"}}), []string{"master"}, 400, 162},
		{"bad file name", "POST", "/releases", android(map[string]any{"file": "../../etc/passwd"}), []string{"master"}, 400, 162},
		{"file of a wrong type", "POST", "/releases", android(map[string]any{"file": 12}), []string{"master"}, 400, 111},
		{"damaged upload", "POST", "/releases", android(map[string]any{"sha256": sha([]byte("other"))}), []string{"master"}, 400, 162},
		{"storeUrl on android", "POST", "/releases", android(map[string]any{"storeUrl": "https://example.com"}), []string{"master"}, 400, 162},
		{"ios with neither", "POST", "/releases", map[string]any{"platform": "ios", "versionCode": 2}, []string{"master"}, 400, 135},
		{"storeUrl not a URL", "POST", "/releases", map[string]any{"platform": "ios", "versionCode": 2, "storeUrl": "javascript:alert(1)"}, []string{"master"}, 400, 162},
		{"rollout above 100", "POST", "/releases", android(map[string]any{"rolloutPercent": 101}), []string{"master"}, 400, 162},
		{"minSupported above versionCode", "POST", "/releases", android(map[string]any{"minSupportedVersionCode": 3}), []string{"master"}, 400, 162},
		{"notes of a bad locale", "POST", "/releases", android(map[string]any{"notes": map[string]any{"<b>": "x"}}), []string{"master"}, 400, 162},
		{"notes of a wrong type", "POST", "/releases", android(map[string]any{"notes": []any{"x"}}), []string{"master"}, 400, 111},
		{"bad channel", "POST", "/releases", android(map[string]any{"channel": "a b"}), []string{"master"}, 400, 162},
		{"update of versionCode", "PUT", "/releases/" + id, map[string]any{"versionCode": 9}, []string{"master"}, 400, 136},
		{"update with a bad rollout", "PUT", "/releases/" + id, map[string]any{"rolloutPercent": "all"}, []string{"master"}, 400, 111},
		{"update of a missing release", "PUT", "/releases/nope", map[string]any{"enabled": false}, []string{"master"}, 404, 101},
		{"get of a missing release", "GET", "/releases/nope", nil, []string{"master"}, 404, 101},
		{"check without platform", "POST", "/updates/check", check(map[string]any{"platform": nil}), []string{"app"}, 400, 135},
		{"check of a bad platform", "POST", "/updates/check", check(map[string]any{"platform": 7}), []string{"app"}, 400, 111},
		{"check without versionCode", "POST", "/updates/check", check(map[string]any{"versionCode": nil}), []string{"app"}, 400, 135},
		{"check with a bad versionCode", "POST", "/updates/check", check(map[string]any{"versionCode": "1x"}), []string{"app"}, 400, 111},
		{"check without deviceId", "POST", "/updates/check", check(map[string]any{"deviceId": nil}), []string{"app"}, 400, 135},
		{"check with an empty deviceId", "POST", "/updates/check", check(map[string]any{"deviceId": ""}), []string{"app"}, 400, 162},
		{"check with a bad baseSha256", "POST", "/updates/check", check(map[string]any{"baseSha256": "abc"}), []string{"app"}, 400, 162},
		{"check with a long versionName", "POST", "/updates/check", check(map[string]any{"versionName": string(make([]byte, 200))}), []string{"app"}, 400, 162},
		{"check without the app id", "POST", "/updates/check", check(nil), nil, 403, 0},
		{"releases through /classes without keys", "GET", "/classes/_Release", nil, []string{"app"}, 400, 119},
		{"patches through /classes without keys", "GET", "/classes/_ReleasePatch", nil, []string{"app"}, 400, 119},
		{"a release written through /classes without keys", "POST", "/classes/_Release", map[string]any{"platform": "android"}, []string{"app"}, 400, 119},
	}
	for _, c := range cases {
		a := s.api(c.method, c.path, c.body, c.headers...)
		if a.status != c.status || a.code() != c.code {
			t.Errorf("%s: %d %s, want %d with code %d", c.name, a.status, a.body, c.status, c.code)
		}
	}
	// Raw bodies that are not JSON objects.
	for _, body := range []string{"", "[]", "{", "null"} {
		a := s.do("POST", "/updates/check", bytes.NewReader([]byte(body)), "app", "Content-Type: application/json")
		if a.status/100 != 4 {
			t.Errorf("check with body %q: %d %s", body, a.status, a.body)
		}
	}
	// Nothing was stored by the refusals, and the read-only key may list.
	list := s.api("GET", "/releases", nil, romk...)
	if rs, _ := list.json["results"].([]any); list.status != 200 || len(rs) != 1 {
		t.Errorf("after the refusals: %d %s", list.status, list.body)
	}
	// The check's rate limit (40 a minute here, the refusals above count).
	limited := false
	for range 60 {
		if a := s.api("POST", "/updates/check", check(nil), "app"); a.status != 200 {
			if a.code() != 155 || a.status/100 != 4 {
				t.Fatalf("rate-limited check: %d %s", a.status, a.body)
			}
			limited = true
			break
		}
	}
	if !limited {
		t.Error("60 checks in a row from one address were not limited")
	}
}

// TestReleasesAcrossNodes: two nodes on one PostgreSQL database and one
// files folder. The patch job runs on the job queue, and a change made on
// one node reaches the other's cached answers.
func TestReleasesAcrossNodes(t *testing.T) {
	pgtest.Require(t)
	db, files := pgtest.Fresh(t), t.TempDir()
	env := []string{"SWITCHBOARD_DATABASE_URL=" + db, "SWITCHBOARD_FILES__LOCAL__DIR=" + files, "SWITCHBOARD_JOBS__PROVIDER=river",
		"SWITCHBOARD_RELEASES__CHECK_REQUESTS_PER_MINUTE=-1"}
	a := startFileServer(t, t.TempDir(), env...)
	b := startFileServer(t, t.TempDir(), env...)
	r := rand.New(rand.NewPCG(3, 4))
	v1 := build(r, 50_000)
	v2 := nextBuild(r, v1)
	a.publish(v1, map[string]any{"platform": "android", "versionCode": 1})
	rel := a.publish(v2, map[string]any{"platform": "android", "versionCode": 2})
	id := rel["objectId"].(string)
	b.waitPatches(id, 1)
	// The job reports what it built: size, time and peak memory.
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := a.api("GET", "/jobs/status", nil, "master")
		var msg string
		for _, row := range st.json["results"].([]any) {
			if j := row.(map[string]any); j["jobName"] == versions.PatchJobKind && j["params"].(map[string]any)["release"] == id {
				msg, _ = j["message"].(string)
			}
		}
		if strings.Contains(msg, "1 patch(es) built; from ") && strings.Contains(msg, "ms, peak heap ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no report of the patch job: %s", st.body)
		}
		time.Sleep(50 * time.Millisecond)
	}

	waitFor := func(what string, cond func(map[string]any) bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			ans := b.check(map[string]any{"platform": "android", "versionCode": 1, "deviceId": "d", "baseSha256": sha(v1)})
			if cond(ans) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("node b never saw %s: %v", what, ans)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor("the patch", func(ans map[string]any) bool { return latestCode(ans) == 2 && ans["patch"] != nil })
	if a := a.api("PUT", "/releases/"+id, map[string]any{"enabled": false}, "master"); a.status != 200 {
		t.Fatalf("disable: %d %s", a.status, a.body)
	}
	waitFor("the rollback", func(ans map[string]any) bool { return ans["hasUpdate"] == false && latestCode(ans) == 1 })
}

func runRelease(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := releaseCommand(t.Context(), args, env, &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestReleaseCommand drives `switchboard release` against a server:
// publish (upload with a progress bar), list, rollout and rollback.
func TestReleaseCommand(t *testing.T) {
	s := startFileServer(t, t.TempDir(), "SWITCHBOARD_RELEASES__CHECK_REQUESTS_PER_MINUTE=-1")
	env := []string{"SWITCHBOARD_APP_ID=app", "SWITCHBOARD_MASTER_KEY=mk", "SWITCHBOARD_SERVER_URL=" + s.base}
	r := rand.New(rand.NewPCG(7, 7))
	v1 := build(r, 40_000)
	v2 := nextBuild(r, v1)
	dir := t.TempDir()
	p1, p2, notes := filepath.Join(dir, "app-1.apk"), filepath.Join(dir, "app-2.apk"), filepath.Join(dir, "notes.json")
	_ = os.WriteFile(p1, v1, 0o600)
	_ = os.WriteFile(p2, v2, 0o600)
	_ = os.WriteFile(notes, []byte(`{"en": "faster", "zh-CN": "更快"}`), 0o600)

	code, out, errOut := runRelease(t, env, "publish", p1, "--platform", "android", "--version-code", "1", "--version-name", "1.0")
	if code != 0 || !strings.Contains(out, "published android production 1 (1.0)") || !strings.Contains(out, sha(v1)) {
		t.Fatalf("publish 1: %d %q %q", code, out, errOut)
	}
	code, out, errOut = runRelease(t, env, "publish", "--platform", "android", "--version-code", "2", "--notes-file", notes, "--mandatory", p2)
	if code != 0 || !strings.Contains(out, "published android production 2") {
		t.Fatalf("publish 2: %d %q %q", code, out, errOut)
	}
	rel2 := s.api("GET", "/releases?platform=android", nil, "master").json["results"].([]any)[0].(map[string]any)
	id2 := rel2["objectId"].(string)
	if rel2["mandatory"] != true || rel2["notes"].(map[string]any)["zh-CN"] != "更快" {
		t.Errorf("release 2 as published: %v", rel2)
	}
	s.waitPatches(id2, 1)
	code, out, _ = runRelease(t, env, "list", "--platform", "android")
	if code != 0 || !strings.Contains(out, id2) || strings.Count(out, "\n") != 3 {
		t.Errorf("list: %d %q", code, out)
	}
	if code, out, errOut = runRelease(t, env, "rollout", id2, "40"); code != 0 || !strings.Contains(out, "40%") {
		t.Errorf("rollout: %d %q %q", code, out, errOut)
	}
	if code, out, errOut = runRelease(t, env, "rollback", "--platform", "android"); code != 0 || !strings.Contains(out, "disabled android production 2") {
		t.Errorf("rollback: %d %q %q", code, out, errOut)
	}
	if ans := s.check(map[string]any{"platform": "android", "versionCode": 0, "deviceId": "d"}); latestCode(ans) != 1 {
		t.Errorf("after the rollback: %v", ans)
	}
	// Mistakes are usage errors or the server's message.
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"publish", p1, "--platform", "android"}, exitUsage, "--version-code are required"},
		{[]string{"publish", "--platform", "android", "--version-code", "3"}, exitUsage, "give FILE"},
		{[]string{"publish", p1, "--platform", "android", "--version-code", "1"}, exitFailure, "already has a release with versionCode 1"},
		{[]string{"publish", filepath.Join(dir, "missing.apk"), "--platform", "android", "--version-code", "5"}, exitFailure, "no such file"},
		{[]string{"rollout", id2, "lots"}, exitUsage, "PERCENT"},
		{[]string{"rollout", id2, "140"}, exitFailure, "between 0 and 100"},
		{[]string{"rollback", "--platform", "ios"}, exitFailure, "no enabled ios release"},
		{[]string{"frobnicate"}, exitUsage, "unknown command"},
	} {
		code, _, errOut := runRelease(t, env, c.args...)
		if code != c.code || !strings.Contains(errOut, c.msg) {
			t.Errorf("%v: %d %q, want %d with %q", c.args, code, errOut, c.code, c.msg)
		}
	}
}
