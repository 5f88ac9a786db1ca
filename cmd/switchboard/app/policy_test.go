package app

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// examplesDir holds the policy guide's worked examples with their tests.
var examplesDir = filepath.Join("..", "..", "..", "policies", "testdata", "examples")

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const pushRego = "package switchboard.push\n\nallow if {\n\t\"role:marketing\" in input.auth.roles\n}\n"

func TestPolicyCommand(t *testing.T) {
	failing := writeFiles(t, map[string]string{
		"push.rego":      pushRego,
		"push_test.rego": "package switchboard.push_test\n\nimport data.switchboard.push\n\ntest_sales_sends if push.allow with input as {\"auth\": {\"roles\": [\"role:sales\"]}}\n",
	})
	noTests := writeFiles(t, map[string]string{"push.rego": pushRego})
	broken := writeFiles(t, map[string]string{"push.rego": "package switchboard.push\n\nallow if {\n\t\"a\" ==\n}\n"})
	inputs := writeFiles(t, map[string]string{
		"push-10001.json": `{"point": "push", "action": "send", "auth": {"userId": "m", "roles": ["role:marketing"]}, "extra": {"audienceSize": 10001}}`,
		"push-10000.json": `{"point": "push", "action": "send", "auth": {"userId": "m", "roles": ["role:marketing"]}, "extra": {"audienceSize": 10000}}`,
		"posts-find.json": `{"point": "objects", "action": "find", "class": "Post", "auth": {"userId": "u1"}}`,
		"post-schema.json": `{"className": "Post", "fields": {"published": {"type": "Boolean"},
			"author": {"type": "Pointer", "targetClass": "_User"}}}`,
		"typo.json":   `{"point": "push", "action": "send", "auht": {}}`,
		"master.json": `{"point": "push", "action": "send", "auth": {"master": true}, "extra": {"audienceSize": 99999}}`,
	})
	in := func(name string) string { return filepath.Join(inputs, name) }
	tests := []struct {
		name        string
		args        []string
		code        int
		out, errOut string
	}{
		{"no subcommand", nil, exitUsage, "", "Usage:"},
		{"unknown subcommand", []string{"tset"}, exitUsage, "", `unknown command "tset"`},
		{"help", []string{"help"}, exitOK, "switchboard policy test", ""},
		{"the examples' tests pass", []string{"test", examplesDir}, exitOK, "PASS: 14/14", ""},
		{"verbose lists each test", []string{"test", "--verbose", examplesDir}, exitOK, "test_marketing_cannot_send_to_10001: PASS", ""},
		{"a failing test", []string{"test", failing}, exitFailure, "test_sales_sends", ""},
		{"no tests", []string{"test", noTests}, exitFailure, "", "no test_ rules"},
		{"a policy that does not compile", []string{"test", broken}, exitFailure, "", "push.rego:5"},
		{"a missing folder", []string{"test", filepath.Join(inputs, "nosuch")}, exitFailure, "", "no policy folder"},
		{"two folders", []string{"test", "a", "b"}, exitUsage, "", `unexpected argument "b"`},
		{"eval needs --input", []string{"eval", "--dir", examplesDir}, exitUsage, "", "--input FILE is required"},
		{"eval denies with the reason", []string{"eval", "--input", in("push-10001.json"), "--dir", examplesDir}, exitFailure,
			`"decision": "deny"`, ""},
		{"the reason names the line", []string{"eval", "--input", in("push-10001.json"), "--dir", examplesDir}, exitFailure,
			`push.rego:9: input.extra.audienceSize <= data.limits.push.maxAudience is false`, ""},
		{"eval allows", []string{"eval", "--input", in("push-10000.json"), "--dir", examplesDir}, exitOK, `"decision": "allow"`, ""},
		{"eval shows a read's filter", []string{"eval", "--input", in("posts-find.json"), "--schema", in("post-schema.json"), "--dir", examplesDir}, exitOK,
			`"author": {`, ""},
		{"a misspelt input key", []string{"eval", "--input", in("typo.json"), "--dir", examplesDir}, exitFailure, "", `unknown field "auht"`},
		{"the master key bypasses as on the server", []string{"eval", "--input", in("master.json"), "--dir", examplesDir}, exitOK, `"decision": "allow"`, ""},
		{"unless asked to apply", []string{"eval", "--apply-to-master", "--input", in("master.json"), "--dir", examplesDir}, exitFailure, `"decision": "deny"`, ""},
		{"eval on a broken folder", []string{"eval", "--input", in("push-10000.json"), "--dir", broken}, exitFailure, "", "push.rego:5"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := policyCommand(context.Background(), tc.args, &out, &errOut)
			if code != tc.code || !strings.Contains(out.String(), tc.out) || !strings.Contains(errOut.String(), tc.errOut) {
				t.Errorf("policy %v: exit %d (want %d)\nstdout: %s\nstderr: %s\nwant stdout with %q, stderr with %q",
					tc.args, code, tc.code, out.String(), errOut.String(), tc.out, tc.errOut)
			}
		})
	}
}

// TestPolicyEvalFilter checks the filter eval prints, as JSON.
func TestPolicyEvalFilter(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"in.json":     `{"point": "objects", "action": "find", "class": "Post", "auth": {"userId": "u1"}}`,
		"schema.json": `{"className": "Post", "fields": {"published": {"type": "Boolean"}, "author": {"type": "Pointer", "targetClass": "_User"}}}`,
	})
	var out, errOut bytes.Buffer
	code := policyCommand(context.Background(), []string{"eval", "--input", filepath.Join(dir, "in.json"), "--schema", filepath.Join(dir, "schema.json"), "--dir", examplesDir}, &out, &errOut)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var res struct {
		Decision string         `json:"decision"`
		Filter   map[string]any `json:"filter"`
		Revision string         `json:"revision"`
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	want := `{"$or":[{"published":{"$eq":true}},{"author":{"$eq":"u1"}}]}`
	got, _ := json.Marshal(res.Filter)
	if res.Decision != "filter" || string(got) != want || res.Revision == "" {
		t.Errorf("got %s %s (revision %q), want filter %s", res.Decision, got, res.Revision, want)
	}
}
