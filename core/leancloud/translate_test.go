package leancloud

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/fileapi"
)

// The translation pieces of the dialect, each against a table of inputs
// and what LeanCloud's servers (and SDKs) expect of them.

var testNow = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func testHandler() *Handler {
	h := New(nil, nil, Options{AppID: "app", ClientKeys: []string{"js-key", "rest-key"}, MasterKey: "mk",
		ReadOnlyMasterKey: "ro", MasterKeyIPs: []string{"10.0.0.0/8", "192.168.1.7"}})
	h.now = func() time.Time { return testNow }
	return h
}

func sign(key string, at time.Time, suffix string) string {
	ts := strconv.FormatInt(at.UnixMilli(), 10)
	sum := md5.Sum([]byte(ts + key))
	return hex.EncodeToString(sum[:]) + "," + ts + suffix
}

func TestAuthenticateHeaders(t *testing.T) {
	h := testHandler()
	cases := []struct {
		name           string
		headers        map[string]string
		remote         string
		master, ro, ok bool
	}{
		{"client key", map[string]string{"X-LC-Id": "app", "X-LC-Key": "js-key"}, "", false, false, true},
		{"another client key", map[string]string{"X-LC-Id": "app", "X-LC-Key": "rest-key"}, "", false, false, true},
		{"wrong key", map[string]string{"X-LC-Id": "app", "X-LC-Key": "nope"}, "", false, false, false},
		{"no key", map[string]string{"X-LC-Id": "app"}, "", false, false, false},
		{"wrong app", map[string]string{"X-LC-Id": "other", "X-LC-Key": "js-key"}, "", false, false, false},
		{"no app", map[string]string{"X-LC-Key": "js-key"}, "", false, false, false},
		{"master key", map[string]string{"X-LC-Id": "app", "X-LC-Key": "mk,master"}, "", true, false, true},
		{"read-only master key", map[string]string{"X-LC-Id": "app", "X-LC-Key": "ro,master"}, "", true, true, true},
		{"client key claimed as master", map[string]string{"X-LC-Id": "app", "X-LC-Key": "js-key,master"}, "", false, false, false},
		{"master key as a client key", map[string]string{"X-LC-Id": "app", "X-LC-Key": "mk"}, "", false, false, false},
		{"master key from a refused address", map[string]string{"X-LC-Id": "app", "X-LC-Key": "mk,master"}, "8.8.8.8:1", false, false, false},
		{"master key from an allowed address", map[string]string{"X-LC-Id": "app", "X-LC-Key": "mk,master"}, "192.168.1.7:1", true, false, true},
		{"legacy headers", map[string]string{"X-AVOSCloud-Application-Id": "app", "X-AVOSCloud-Application-Key": "js-key"}, "", false, false, true},
		{"signature", map[string]string{"X-LC-Id": "app", "X-LC-Sign": sign("js-key", testNow, "")}, "", false, false, true},
		{"signature, upper-case hex", map[string]string{"X-LC-Id": "app", "X-LC-Sign": strings.ToUpper(sign("js-key", testNow, ""))}, "", false, false, true},
		{"master signature", map[string]string{"X-LC-Id": "app", "X-LC-Sign": sign("mk", testNow, ",master")}, "", true, false, true},
		{"read-only master signature", map[string]string{"X-LC-Id": "app", "X-LC-Sign": sign("ro", testNow, ",master")}, "", true, true, true},
		{"client signature claimed as master", map[string]string{"X-LC-Id": "app", "X-LC-Sign": sign("js-key", testNow, ",master")}, "", false, false, false},
		{"signature within the window", map[string]string{"X-LC-Id": "app", "X-LC-Sign": sign("js-key", testNow.Add(-14*time.Minute), "")}, "", false, false, true},
		{"stale signature", map[string]string{"X-LC-Id": "app", "X-LC-Sign": sign("js-key", testNow.Add(-16*time.Minute), "")}, "", false, false, false},
		{"future signature", map[string]string{"X-LC-Id": "app", "X-LC-Sign": sign("js-key", testNow.Add(16*time.Minute), "")}, "", false, false, false},
		{"signature of another key", map[string]string{"X-LC-Id": "app", "X-LC-Sign": sign("guess", testNow, "")}, "", false, false, false},
		{"tampered timestamp", map[string]string{"X-LC-Id": "app", "X-LC-Sign": strings.Replace(sign("js-key", testNow, ""), ",", ",1", 1)}, "", false, false, false},
		{"signature with a bad suffix", map[string]string{"X-LC-Id": "app", "X-LC-Sign": sign("mk", testNow, ",admin")}, "", false, false, false},
		{"signature without a timestamp", map[string]string{"X-LC-Id": "app", "X-LC-Sign": "0123456789abcdef0123456789abcdef"}, "", false, false, false},
		{"signature of the wrong length", map[string]string{"X-LC-Id": "app", "X-LC-Sign": "abc," + strconv.FormatInt(testNow.UnixMilli(), 10)}, "", false, false, false},
		{"legacy signature header", map[string]string{"X-AVOSCloud-Application-Id": "app", "X-AVOSCloud-Request-Sign": sign("rest-key", testNow, "")}, "", false, false, true},
		{"signature wins over a key", map[string]string{"X-LC-Id": "app", "X-LC-Key": "js-key", "X-LC-Sign": sign("guess", testNow, "")}, "", false, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/1.1/classes/X", nil)
			if tc.remote != "" {
				r.RemoteAddr = tc.remote
			} else {
				r.RemoteAddr = "10.1.2.3:4567"
			}
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			auth, err := h.authenticate(r)
			if !tc.ok {
				var lc *lcError
				if !errors.As(err, &lc) || lc.status != http.StatusUnauthorized || lc.code != 401 {
					t.Fatalf("err %v, want 401 Unauthorized", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if auth.Master != tc.master || auth.ReadOnly != tc.ro {
				t.Errorf("auth %+v, want master %v read-only %v", auth, tc.master, tc.ro)
			}
		})
	}
}

// With no client key configured any key is accepted, as the Parse API
// then needs none; a signature must still be fresh.
func TestAuthenticateWithoutClientKeys(t *testing.T) {
	h := New(nil, nil, Options{AppID: "app", MasterKey: "mk"})
	h.now = func() time.Time { return testNow }
	for _, tc := range []struct {
		header, value string
		ok            bool
	}{
		{"X-LC-Key", "anything", true},
		{"X-LC-Sign", sign("anything", testNow, ""), true},
		{"X-LC-Sign", sign("anything", testNow.Add(-time.Hour), ""), false},
		{"X-LC-Key", "anything,master", false},
	} {
		r := httptest.NewRequest(http.MethodGet, "/1.1/classes/X", nil)
		r.Header.Set("X-LC-Id", "app")
		r.Header.Set(tc.header, tc.value)
		if _, err := h.authenticate(r); (err == nil) != tc.ok {
			t.Errorf("%s: %s: err %v, want ok %v", tc.header, tc.value, err, tc.ok)
		}
	}
}

func TestLoginAndSMSErrors(t *testing.T) {
	wrap := func(cause error, code core.Code) error {
		return &core.Error{Code: code, Message: "Invalid username/password.", Err: cause}
	}
	cases := []struct {
		name string
		err  error
		fn   func(error) error
		code int
	}{
		{"unknown user", wrap(core.ErrLoginUnknownUser, core.CodeObjectNotFound), loginError, 211},
		{"wrong password", wrap(core.ErrLoginWrongPassword, core.CodeObjectNotFound), loginError, 210},
		{"locked", wrap(core.ErrLoginLocked, core.CodeObjectNotFound), loginError, 219},
		{"other login error kept", core.Errorf(core.CodeEmailNotFound, "x"), loginError, int(core.CodeEmailNotFound)},
		{"wrong SMS code", core.Errorf(core.CodeObjectNotFound, "Invalid SMS code."), smsError, 603},
		{"no user for the number", core.Errorf(core.CodeObjectNotFound, "no user with this phone"), smsError, 213},
		{"too frequent", core.Errorf(core.CodeRequestLimitExceeded, "slow down"), smsError, 601},
		{"bad number", core.Errorf(core.CodeInvalidValue, "bad number"), smsError, 127},
		{"no SMS provider", core.Errorf(core.CodeCommandUnavailable, "no sms"), smsError, 602},
		{"provider failure", core.Internal(errors.New("boom")), smsError, 602},
		{"number taken", core.Errorf(core.CodeAccountAlreadyLinked, "taken"), smsError, 214},
		{"other SMS error kept", core.Errorf(core.CodeInvalidJSON, "x"), smsError, int(core.CodeInvalidJSON)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			writeError(w, httptest.NewRequest(http.MethodPost, "/1.1/login", nil), tc.fn(tc.err))
			var body map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			if body["code"] != float64(tc.code) || body["error"] == "" {
				t.Errorf("answer %d %s, want code %d", w.Code, w.Body, tc.code)
			}
		})
	}
}

func TestWriteErrorStatuses(t *testing.T) {
	cases := []struct {
		err    error
		status int
		code   float64
	}{
		{errUnauthorized, 401, 401},
		{&lcError{http.StatusBadRequest, 305, "No effect on updating/deleting a document."}, 400, 305},
		{core.ErrNotFound(), 404, 101},
		{core.Errorf(core.CodeOperationForbidden, "no"), 400, 119},
		{errors.New("a bug"), 500, 1},
	}
	for _, tc := range cases {
		w := httptest.NewRecorder()
		writeError(w, httptest.NewRequest(http.MethodGet, "/1.1/x", nil), tc.err)
		var body map[string]any
		_ = json.Unmarshal(w.Body.Bytes(), &body)
		if w.Code != tc.status || body["code"] != tc.code {
			t.Errorf("%v: %d %s, want %d code %v", tc.err, w.Code, w.Body, tc.status, tc.code)
		}
		if tc.status == 500 && strings.Contains(w.Body.String(), "a bug") {
			t.Errorf("an internal error's cause reached the client: %s", w.Body)
		}
	}
}

func TestDecodeWhere(t *testing.T) {
	cases := []struct {
		raw  string
		want map[string]any
		code core.Code
	}{
		{`{"a":1}`, map[string]any{"a": 1.0}, 0},
		{`[]`, map[string]any{}, 0},
		{`null`, map[string]any{}, 0},
		{`[{"a":1}]`, map[string]any{"$and": []any{map[string]any{"a": 1.0}}}, 0},
		{`[{"a":1},{"b":{"$gt":2}}]`, map[string]any{"$and": []any{map[string]any{"a": 1.0}, map[string]any{"b": map[string]any{"$gt": 2.0}}}}, 0},
		{`[1]`, nil, core.CodeInvalidQuery},
		{`[{"a":1}, "b"]`, nil, core.CodeInvalidQuery},
		{`"a"`, nil, core.CodeInvalidJSON},
		{`5`, nil, core.CodeInvalidJSON},
		{`{`, nil, core.CodeInvalidJSON},
	}
	for _, tc := range cases {
		got, err := decodeWhere(tc.raw)
		if tc.code != 0 {
			if !core.IsCode(err, tc.code) {
				t.Errorf("%s: err %v, want code %d", tc.raw, err, tc.code)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v %v, want %v", tc.raw, got, err, tc.want)
		}
	}
}

func TestFindParams(t *testing.T) {
	h := testHandler()
	cases := []struct {
		query map[string]string
		want  map[string]any
	}{
		{map[string]string{"keys": "-secret"}, map[string]any{"excludeKeys": "secret"}},
		{map[string]string{"keys": "a,b"}, map[string]any{"keys": "a,b"}},
		{map[string]string{"keys": "a, -b ,c,-d,"}, map[string]any{"keys": "a,c", "excludeKeys": "b,d"}},
		{map[string]string{"keys": ""}, map[string]any{}},
		{map[string]string{"limit": "5", "skip": "2", "order": "-n", "include": "p", "count": "1", "other": "x"},
			map[string]any{"limit": "5", "skip": "2", "order": "-n", "include": "p", "count": "1"}},
		{map[string]string{"where": `[{"a":1},{"p":{"__type":"Pointer","className":"_File","objectId":"x"}}]`},
			map[string]any{"where": map[string]any{"$and": []any{map[string]any{"a": 1.0},
				map[string]any{"p": map[string]any{"__type": "Pointer", "className": FileClass, "objectId": "x"}}}}}},
		{map[string]string{"where": ""}, map[string]any{}},
	}
	for _, tc := range cases {
		got, err := h.findParams(&call{query: tc.query})
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%v: %v %v, want %v", tc.query, got, err, tc.want)
		}
	}
	if _, err := h.findParams(&call{query: map[string]string{"where": "[1]"}}); !core.IsCode(err, core.CodeInvalidQuery) {
		t.Errorf("a bad where: %v", err)
	}
}

func TestBatchEntries(t *testing.T) {
	parent := &call{}
	cases := []struct {
		raw        any
		method     string
		path       []string
		query      map[string]string
		wantErrSub string
	}{
		{map[string]any{"method": "post", "path": "/1.1/classes/Game", "body": map[string]any{"a": 1.0}}, "POST", []string{"classes", "Game"}, map[string]string{}, ""},
		{map[string]any{"method": "GET", "path": "/1.1/classes/Game?limit=2", "params": map[string]any{"where": map[string]any{"a": 1.0}}}, "GET", []string{"classes", "Game"},
			map[string]string{"limit": "2", "where": `{"a":1}`}, ""},
		{map[string]any{"method": "DELETE", "path": "/1.1/classes/Game/a,b"}, "DELETE", []string{"classes", "Game", "a,b"}, map[string]string{}, ""},
		{map[string]any{"method": "PATCH", "path": "/1.1/classes/Game"}, "", nil, nil, "method"},
		{map[string]any{"method": "POST", "path": "/1.1/login"}, "", nil, nil, "cannot batch"},
		{map[string]any{"method": "POST", "path": "/1.1/classes/Game", "body": []any{1.0}}, "", nil, nil, "body"},
		{"not an object", "", nil, nil, "each batch request"},
	}
	for _, tc := range cases {
		sub, err := decodeBatchEntry(parent, tc.raw)
		if tc.wantErrSub != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErrSub) {
				t.Errorf("%v: err %v, want one about %q", tc.raw, err, tc.wantErrSub)
			}
			continue
		}
		if err != nil || sub.method != tc.method || !reflect.DeepEqual(sub.path, tc.path) || !reflect.DeepEqual(sub.query, tc.query) {
			t.Errorf("%v: %+v %v", tc.raw, sub, err)
		}
	}
}

func TestConvertPermissions(t *testing.T) {
	got := convertPermissions(map[string]any{
		"find":       map[string]any{"*": true},
		"create":     map[string]any{"onlySignInUsers": true},
		"update":     map[string]any{"roles": []any{"Admin", 3.0}, "users": []any{"u1"}},
		"delete":     map[string]any{"*": false},
		"add_fields": map[string]any{"u2": true},
		"get":        "nonsense",
	})
	want := map[string]any{
		"find": map[string]any{"*": true}, "create": map[string]any{"requiresAuthentication": true},
		"update": map[string]any{"role:Admin": true, "u1": true}, "delete": map[string]any{},
		"addField": map[string]any{"u2": true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}

func TestNormalizePhoneAndLabels(t *testing.T) {
	for in, want := range map[string]string{"13800000001": "+8613800000001", "138-0000-0001": "+8613800000001",
		"+8613800000001": "+8613800000001", "+1 (415) 555-0100": "+14155550100", "23800000001": "23800000001"} {
		if got := normalizePhone(in); got != want {
			t.Errorf("normalizePhone(%q) = %q, want %q", in, got, want)
		}
	}
	for path, want := range map[string]string{"": "root", "classes/X/1": "classes", "fileTokens": "fileTokens"} {
		var segs []string
		if path != "" {
			segs = strings.Split(path, "/")
		}
		if got := routeLabel(segs); got != want {
			t.Errorf("routeLabel(%q) = %q", path, got)
		}
	}
}

func TestStorageName(t *testing.T) {
	cases := map[string]string{
		"photo.png":                              "photo.png",
		"照片.png":                                 "__.png",
		"头像 (1).png":                             "__ _1_.png",
		"../../etc/passwd":                       "passwd",
		`C:\Users\a\b.txt`:                       "b.txt",
		".hidden":                                "file.hidden",
		"":                                       "file.",
		"-dash.txt":                              "file-dash.txt",
		"a/b/c.jpg":                              "c.jpg",
		"x" + strings.Repeat("y", 200) + ".jpeg": "x" + strings.Repeat("y", 94) + ".jpeg",
	}
	for in, want := range cases {
		got := StorageName(in)
		if got != want {
			t.Errorf("StorageName(%q) = %q, want %q", in, got, want)
		}
		if len(got) > fileapi.MaxNameLen || strings.ContainsAny(got, "/\\") {
			t.Errorf("StorageName(%q) = %q is not a name the files API takes", in, got)
		}
	}
	if importKey("5f01", "猫.png") != "5f01__.png" {
		t.Errorf("importKey = %q", importKey("5f01", "猫.png"))
	}
}

func TestQiniuBucketAndPlans(t *testing.T) {
	policy := func(scope string, enc *base64.Encoding) string {
		b, _ := json.Marshal(map[string]any{"scope": scope, "deadline": 1})
		return "AK:sig:" + enc.EncodeToString(b)
	}
	for token, want := range map[string]string{
		policy("bucket-1:key", base64.URLEncoding): "bucket-1",
		policy("bucket-2", base64.RawURLEncoding):  "bucket-2",
		"not-a-token": "",
		"AK:sig:!!!":  "",
		"AK:sig:" + base64.URLEncoding.EncodeToString([]byte("[]")): "",
	} {
		if got := qiniuBucket(token); got != want {
			t.Errorf("qiniuBucket(%q) = %q, want %q", token, got, want)
		}
	}
	d := func(up core.DirectUpload) *fileapi.Direct {
		return &fileapi.Direct{Name: "k_a.png", URL: "u", ContentType: "image/png", Ticket: "ticket", Upload: &up}
	}
	cases := []struct {
		name              string
		d                 *fileapi.Direct
		provider, pending string
	}{
		{"s3 presigned PUT", d(core.DirectUpload{Method: "PUT", URL: "https://s3/x", Headers: map[string]string{"Content-Type": "image/png"}}), "s3", pendingConfirm},
		{"local one-time PUT", d(core.DirectUpload{Method: "PUT", URL: "http://me/x"}), "s3", pendingConfirm},
		{"PUT with a header the SDK cannot send", d(core.DirectUpload{Method: "PUT", URL: "x", Headers: map[string]string{"x-amz-meta-a": "b"}}), "", ""},
		{"qiniu form with callback", d(core.DirectUpload{Method: "POST", URL: "https://up", FileField: "file", Callback: true,
			Fields: map[string]string{"token": policy("b:k_a.png", base64.URLEncoding), "key": "k_a.png"}}), "qiniu", pendingCallback},
		{"qiniu form without callback", d(core.DirectUpload{Method: "POST", URL: "https://up", FileField: "file",
			Fields: map[string]string{"token": "t", "key": "k_a.png"}}), "", ""},
		{"form with another key", d(core.DirectUpload{Method: "POST", URL: "https://up", FileField: "file", Callback: true,
			Fields: map[string]string{"token": "t", "key": "other"}}), "", ""},
		{"form with more fields", d(core.DirectUpload{Method: "POST", URL: "https://up", FileField: "file", Callback: true,
			Fields: map[string]string{"token": "t", "key": "k_a.png", "policy": "p"}}), "", ""},
	}
	for _, tc := range cases {
		p := sdkPlan(tc.d)
		if tc.provider == "" {
			if p != nil {
				t.Errorf("%s: planned %+v, want the upload through the server", tc.name, p)
			}
			continue
		}
		if p == nil || p.provider != tc.provider || p.pending != tc.pending || p.key != "k_a.png" || p.uploadURL != tc.d.Upload.URL {
			t.Errorf("%s: %+v", tc.name, p)
		}
		if tc.provider == "qiniu" && (p.token != tc.d.Upload.Fields["token"] || p.bucket != "b") {
			t.Errorf("%s: token %q bucket %q", tc.name, p.token, p.bucket)
		}
		if tc.provider == "s3" && p.token != "ticket" {
			t.Errorf("%s: token %q, want the ticket", tc.name, p.token)
		}
	}
}

func TestFileViews(t *testing.T) {
	stored := map[string]any{"objectId": "f1", "name": "a.png", "key": "f1_a.png", "mime_type": "image/png",
		"file":        map[string]any{"__type": "File", "name": "f1_a.png", "url": "https://me/files/app/f1_a.png?sig=1"},
		"uploadToken": "hash", "pending": "confirm", "createdAt": "2020-01-01T00:00:00.000Z"}
	v := fileView(stored)
	if v["url"] != "https://me/files/app/f1_a.png?sig=1" || v["file"] != nil || v["uploadToken"] != nil || v["pending"] != nil ||
		!reflect.DeepEqual(v["metaData"], map[string]any{}) || v["name"] != "a.png" {
		t.Errorf("fileView of a stored file: %v", v)
	}
	external := map[string]any{"objectId": "f2", "name": "b.png", "key": "f2_b.png", "url": "https://cdn/b.png", "metaData": map[string]any{"size": 3.0}}
	fv := fileValue(external, "https://me/files/app/f2_b.png")
	if fv["__type"] != "File" || fv["id"] != "f2" || fv["objectId"] != "f2" || fv["url"] != "https://cdn/b.png" {
		t.Errorf("fileValue of an external file: %v", fv)
	}
	if fv := fileValue(stored, "https://me/resolved-for-caller"); fv["url"] != "https://me/resolved-for-caller" {
		t.Errorf("fileValue takes the reply's URL of stored content: %v", fv)
	}
	res := fileRecordViews(map[string]any{"results": []map[string]any{stored}})
	if r := res.(map[string]any)["results"].([]map[string]any)[0]; r["pending"] != nil || r["url"] == nil {
		t.Errorf("a query's results: %v", r)
	}
}

func TestRecordACLAndMeta(t *testing.T) {
	user := &core.Auth{UserID: "u1"}
	anon := &core.Auth{}
	acl, err := recordACL(nil, user)
	if err != nil || !reflect.DeepEqual(acl, core.ACL{"*": {Read: true}, "u1": {Read: true, Write: true}}) {
		t.Errorf("default ACL of a user's file: %v %v", acl, err)
	}
	if acl, _ := recordACL(nil, anon); !reflect.DeepEqual(acl, core.ACL{"*": {Read: true}}) {
		t.Errorf("default ACL of a file without a session: %v", acl)
	}
	if acl, err := recordACL(map[string]any{"role:A": map[string]any{"read": true}}, user); err != nil || !acl["role:A"].Read || acl["u1"].Write {
		t.Errorf("the client's ACL: %v %v", acl, err)
	}
	if _, err := recordACL("nonsense", user); err == nil {
		t.Error("a bad ACL passed")
	}
	meta := recordMeta(map[string]any{"owner": "forged", "__source": "external", "w": 2.0}, user, 7)
	if !reflect.DeepEqual(meta, map[string]any{"owner": "u1", "w": 2.0, "size": 7.0}) {
		t.Errorf("meta: %v", meta)
	}
	if meta := recordMeta("x", anon, -1); !reflect.DeepEqual(meta, map[string]any{"owner": "unknown"}) {
		t.Errorf("meta without size: %v", meta)
	}
}

func TestExportIndexes(t *testing.T) {
	mongo := `{"Post": [{"v": 2, "key": {"_id": 1}, "name": "_id_"}, {"key": {"score": -1, "_p_owner": 1}, "name": "by owner"},
		{"key": {"title": "text"}, "name": "title_text"}, {"key": {"_created_at": 1}, "name": "c", "unique": true}],
		"results": 1}`
	byClass, err := readIndexesDoc([]byte(mongo))
	if err != nil {
		t.Fatal(err)
	}
	post := byClass["Post"]
	if len(post) != 4 || !post[3].Unique || post[1].Keys[0].Field != "_p_owner" {
		t.Fatalf("decoded %+v", post)
	}
	listed, _ := readIndexesDoc([]byte(`{"results": [{"className": "Post", "indexes": {"n_1": {"n": 1}}}]}`))
	if len(listed["Post"]) != 1 || listed["Post"][0].Name != "n_1" {
		t.Errorf("results form: %+v", listed)
	}
	if _, err := readIndexesDoc([]byte(`[`)); err == nil {
		t.Error("bad JSON passed")
	}

	c := &core.Class{Name: "Post", Fields: map[string]core.Field{"score": {Type: core.TypeNumber}, "owner": {Type: core.TypePointer},
		"title": {Type: core.TypeString}, "meta": {Type: core.TypeObject}, "place": {Type: core.TypeGeoPoint}}}
	cases := []struct {
		ix       exportIndex
		name     string
		keys     map[string]any
		ok       bool
		errMatch string
	}{
		{post[0], "", nil, false, ""},
		{post[1], "owner_1_score_desc", map[string]any{"owner": 1.0, "score": -1.0}, true, ""},
		{post[2], "title_text", map[string]any{"title": "text"}, true, ""},
		{post[3], "c", map[string]any{"createdAt": 1.0}, true, ""},
		{exportIndex{Name: "m", Keys: []indexKey{{"meta.a", 1.0}}}, "", nil, false, "path into an object"},
		{exportIndex{Name: "o", Keys: []indexKey{{"owner.$id", 1.0}}}, "o", map[string]any{"owner": 1.0}, true, ""},
		{exportIndex{Name: "g", Keys: []indexKey{{"place", "2dsphere"}}}, "", nil, false, "not supported"},
		{exportIndex{Name: "z", Keys: []indexKey{{"nothere", 1.0}}}, "", nil, false, "not in the class"},
		{exportIndex{Name: "d", Keys: []indexKey{{"score", 2.0}}}, "", nil, false, "direction"},
	}
	for _, tc := range cases {
		name, keys, ok, err := schemaIndex(c, tc.ix)
		if tc.errMatch != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errMatch) {
				t.Errorf("%+v: err %v, want %q", tc.ix, err, tc.errMatch)
			}
			continue
		}
		if err != nil || ok != tc.ok || name != tc.name || !reflect.DeepEqual(keys, tc.keys) {
			t.Errorf("%+v: %q %v %v %v", tc.ix, name, keys, ok, err)
		}
	}
}

func TestTokenHash(t *testing.T) {
	first, again := tokenHash("a"), tokenHash("a")
	if first == tokenHash("b") || len(first) != 64 || first != again {
		t.Error("tokenHash is not a stable sha256 in hex")
	}
	if got := strings.Join([]string{urlName("https://x/a/b.png?x=1"), urlName("https://x/"), urlName("::")}, " "); got != "b.png file file" {
		t.Errorf("urlName: %s", got)
	}
}
