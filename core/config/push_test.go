package config

import (
	"reflect"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/core"
)

func TestPushSection(t *testing.T) {
	c, err := Parse([]byte(`
push:
  routes:
    - {pushType: jpush, provider: jpush}
    - "deviceType=ios provider=apns"
    - {provider: fcm}
  concurrency: 4
  resumeAfter: 10s
  jpush: {appKey: k, masterSecret: s}
  fcm: {credentialsFile: /x.json}
`))
	if err != nil {
		t.Fatal(err)
	}
	if err := ApplyEnv(c, []string{"SWITCHBOARD_PUSH__JPUSH__MASTER_SECRET=from-env", "SWITCHBOARD_PUSH__APNS__KEY_ID=K1"}); err != nil {
		t.Fatal(err)
	}
	pc, err := c.Push.PushConfig(core.ProviderEnv{DataDir: "d"})
	if err != nil {
		t.Fatal(err)
	}
	want := []core.PushRoute{{PushType: "jpush", Provider: "jpush"}, {DeviceType: "ios", Provider: "apns"}, {Provider: "fcm"}}
	if !reflect.DeepEqual(pc.Routes, want) {
		t.Errorf("routes %+v, want %+v", pc.Routes, want)
	}
	if pc.Providers["jpush"]["masterSecret"] != "from-env" || pc.Providers["jpush"]["appKey"] != "k" || pc.Providers["apns"]["keyId"] != "K1" {
		t.Errorf("providers %v", pc.Providers)
	}
	if c.Push.Concurrency != 4 || c.Push.ResumeAfter != Duration(10e9) || pc.Env.DataDir != "d" {
		t.Errorf("section %+v", c.Push)
	}

	// Routes from the environment replace the file's.
	if err := ApplyEnv(c, []string{"SWITCHBOARD_PUSH__ROUTES=deviceType=web provider=webpush, provider=builtin"}); err != nil {
		t.Fatal(err)
	}
	pc, _ = c.Push.PushConfig(core.ProviderEnv{})
	if want := []core.PushRoute{{DeviceType: "web", Provider: "webpush"}, {Provider: "builtin"}}; !reflect.DeepEqual(pc.Routes, want) {
		t.Errorf("routes from the environment %+v, want %+v", pc.Routes, want)
	}
}

func TestPushSectionErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"push: {routes: [\"deviceType=ios\"]}", "push.routes[0]: \"deviceType=ios\": provider is required"},
		{"push: {routes: [\"os=ios provider=apns\"]}", `unknown key "os"`},
		{"push: {routes: [\"ios apns\"]}", "want key=value pairs"},
		{"push: {routes: [{device: ios, provider: apns}]}", `unknown key "device"`},
		{"push: {concurrency: -1}", "push.concurrency: must be 1 to 256"},
		{"push: {resumeAfter: 1s}", "push.resumeAfter: must be at least 3s"},
	} {
		c, err := Parse([]byte(tc.yaml))
		if err == nil {
			c.MasterKey = "mk"
			err = c.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.yaml, err, tc.want)
		}
	}
}
