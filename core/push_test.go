package core

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParsePushData(t *testing.T) {
	d, err := ParsePushData(map[string]any{
		"alert": "Hello", "title": "News", "badge": "Increment", "sound": "ping.caf",
		"content-available": float64(1), "category": "NEWS", "uri": "app://news/1", "newsId": float64(7),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := PushData{Alert: "Hello", Title: "News", Badge: PushBadge{Set: true, Increment: true, Value: 1}, Sound: "ping.caf",
		ContentAvailable: true, Category: "NEWS", URI: "app://news/1", Custom: map[string]any{"newsId": float64(7)}}
	if !reflect.DeepEqual(d, want) {
		t.Fatalf("got %+v\nwant %+v", d, want)
	}
	back, err := ParsePushData(d.Map())
	if err != nil || !reflect.DeepEqual(back, d) {
		t.Errorf("Map did not round-trip: %+v, %v", back, err)
	}
}

func TestParsePushDataBadge(t *testing.T) {
	for _, tc := range []struct {
		in          any
		current     int
		want        int
		wantSet     bool
		wantErrCode Code
	}{
		{in: float64(3), current: 9, want: 3, wantSet: true},
		{in: float64(0), current: 9, want: 0, wantSet: true},
		{in: "Increment", current: 4, want: 5, wantSet: true},
		{in: "increment", current: -2, want: 1, wantSet: true},
		{in: map[string]any{"__op": "Increment", "amount": float64(3)}, current: 1, want: 4, wantSet: true},
		{in: float64(-1), wantErrCode: CodeInvalidValue},
		{in: 1.5, wantErrCode: CodeInvalidValue},
		{in: "Decrement", wantErrCode: CodeInvalidValue},
		{in: map[string]any{"__op": "Increment", "amount": "x"}, wantErrCode: CodeInvalidValue},
		{in: true, wantErrCode: CodeInvalidValue},
	} {
		d, err := ParsePushData(map[string]any{"badge": tc.in})
		if tc.wantErrCode != 0 {
			if !IsCode(err, tc.wantErrCode) {
				t.Errorf("badge %v: err %v, want code %d", tc.in, err, tc.wantErrCode)
			}
			continue
		}
		if err != nil {
			t.Errorf("badge %v: %v", tc.in, err)
			continue
		}
		if got, set := d.Badge.For(tc.current); got != tc.want || set != tc.wantSet {
			t.Errorf("badge %v on %d = %d, %v; want %d", tc.in, tc.current, got, set, tc.want)
		}
	}
	if _, set := (PushBadge{}).For(3); set {
		t.Error("no badge given, yet For says set")
	}
}

func TestParsePushDataRejects(t *testing.T) {
	for name, tc := range map[string]struct {
		data map[string]any
		code Code
	}{
		"empty":             {map[string]any{}, CodeInvalidValue},
		"alert number":      {map[string]any{"alert": float64(3)}, CodeIncorrectType},
		"title object":      {map[string]any{"title": map[string]any{}}, CodeIncorrectType},
		"content-available": {map[string]any{"content-available": "yes"}, CodeInvalidValue},
		"aps":               {map[string]any{"aps": map[string]any{"alert": "x"}}, CodeInvalidKeyName},
		"too large":         {map[string]any{"alert": strings.Repeat("x", MaxPushDataBytes)}, CodeInvalidValue},
		"not JSON":          {map[string]any{"alert": "x", "f": func() {}}, CodeInvalidJSON},
	} {
		if _, err := ParsePushData(tc.data); !IsCode(err, tc.code) {
			t.Errorf("%s: err %v, want code %d", name, err, tc.code)
		}
	}
}

func TestParsePushDataAlertDictionary(t *testing.T) {
	d, err := ParsePushData(map[string]any{"alert": map[string]any{"title": "T", "body": "B", "loc-key": "K"}})
	if err != nil {
		t.Fatal(err)
	}
	if d.Alert != "B" || d.AlertFields["loc-key"] != "K" {
		t.Errorf("got %+v", d)
	}
}

func TestParsePushExpiration(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	push := now.Add(time.Hour)
	for name, tc := range map[string]struct {
		body     map[string]any
		pushTime time.Time
		want     time.Time
		code     Code
	}{
		"none":                 {body: map[string]any{}},
		"interval from now":    {body: map[string]any{"expiration_interval": float64(60)}, want: now.Add(time.Minute)},
		"interval from push":   {body: map[string]any{"expiration_interval": float64(60)}, pushTime: push, want: push.Add(time.Minute)},
		"iso time":             {body: map[string]any{"expiration_time": "2025-01-03T00:00:00.000Z"}, want: time.Date(2025, 1, 3, 0, 0, 0, 0, time.UTC)},
		"date object":          {body: map[string]any{"expiration_time": map[string]any{"__type": "Date", "iso": "2025-01-03T00:00:00.000Z"}}, want: time.Date(2025, 1, 3, 0, 0, 0, 0, time.UTC)},
		"epoch seconds":        {body: map[string]any{"expiration_time": float64(now.Add(2 * time.Hour).Unix())}, want: now.Add(2 * time.Hour)},
		"both":                 {body: map[string]any{"expiration_time": "2025-01-03T00:00:00Z", "expiration_interval": float64(5)}, code: CodePushMisconfigured},
		"negative interval":    {body: map[string]any{"expiration_interval": float64(-5)}, code: CodePushMisconfigured},
		"string interval":      {body: map[string]any{"expiration_interval": "5"}, code: CodePushMisconfigured},
		"bad time":             {body: map[string]any{"expiration_time": "soon"}, code: CodePushMisconfigured},
		"time before now":      {body: map[string]any{"expiration_time": "2020-01-01T00:00:00Z"}, code: CodePushMisconfigured},
		"time before pushTime": {body: map[string]any{"expiration_time": now.Add(30 * time.Minute).Format(time.RFC3339)}, pushTime: push, code: CodePushMisconfigured},
	} {
		got, err := ParsePushExpiration(tc.body, tc.pushTime, now)
		if tc.code != 0 {
			if !IsCode(err, tc.code) {
				t.Errorf("%s: err %v, want code %d", name, err, tc.code)
			}
			continue
		}
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("%s: got %v, %v; want %v", name, got, err, tc.want)
		}
	}
}

func TestPushNotificationTTL(t *testing.T) {
	now := time.Now()
	n := &PushNotification{}
	if _, set := n.TTL(now); set || n.Expired(now) {
		t.Error("no expiration, yet a TTL or expired")
	}
	n.Expiration = now.Add(90*time.Second + 500*time.Millisecond)
	if ttl, set := n.TTL(now); !set || ttl != 90*time.Second {
		t.Errorf("TTL %v, %v; want 90s", ttl, set)
	}
	if ttl, _ := n.TTL(now.Add(time.Hour)); ttl != 0 || !n.Expired(now.Add(time.Hour)) {
		t.Errorf("past expiration: TTL %v; want 0 and expired", ttl)
	}
}

func TestRetryAfter(t *testing.T) {
	err := WithRetryAfter(Errorf(CodeConnectionFailed, "slow down"), 3*time.Second)
	if d, ok := RetryAfter(err); !ok || d != 3*time.Second {
		t.Errorf("RetryAfter = %v, %v", d, ok)
	}
	if !IsCode(err, CodeConnectionFailed) || AsError(err).Message != "slow down" {
		t.Errorf("the hint hides the *Error: %v", err)
	}
	if _, ok := RetryAfter(Errorf(CodeConnectionFailed, "x")); ok {
		t.Error("hint found on a plain error")
	}
	if _, ok := RetryAfter(WithRetryAfter(Errorf(CodeConnectionFailed, "x"), 0)); ok {
		t.Error("a zero wait is a hint")
	}
}

func TestDefaultPushRoutes(t *testing.T) {
	for _, tc := range []struct {
		providers []string
		device    PushDevice
		want      string
	}{
		{nil, PushDevice{DeviceType: "ios"}, BuiltinPushProvider},
		{[]string{"jpush", "apns", "fcm", "webpush"}, PushDevice{DeviceType: "android", PushType: "jpush"}, "jpush"},
		{[]string{"jpush", "apns", "fcm", "webpush"}, PushDevice{DeviceType: "android"}, "fcm"},
		{[]string{"jpush", "apns", "fcm", "webpush"}, PushDevice{DeviceType: "IOS"}, "apns"},
		{[]string{"jpush", "apns", "fcm", "webpush"}, PushDevice{DeviceType: "ios", PushType: "fcm"}, "fcm"},
		{[]string{"jpush", "apns", "fcm", "webpush"}, PushDevice{DeviceType: "web"}, "webpush"},
		{[]string{"apns", "builtin"}, PushDevice{DeviceType: "android"}, BuiltinPushProvider},
		{[]string{"jpush"}, PushDevice{DeviceType: "android"}, ""},
	} {
		senders := map[string]PushSender{}
		names := tc.providers
		if len(names) == 0 {
			names = []string{BuiltinPushProvider}
		}
		for _, n := range names {
			senders[n] = newMemSender(1)
		}
		r, err := NewPushRouter(DefaultPushRoutes(tc.providers), senders)
		if err != nil {
			t.Fatalf("%v: %v", tc.providers, err)
		}
		got, _, ok := r.Route(&tc.device)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("providers %v, device %+v: routed to %q, want %q", tc.providers, tc.device, got, tc.want)
		}
	}
}

func TestNewPushRouterRejects(t *testing.T) {
	s := map[string]PushSender{"fcm": newMemSender(10)}
	for name, tc := range map[string]struct {
		routes  []PushRoute
		senders map[string]PushSender
		says    string
	}{
		"no routes":        {nil, s, "no routes"},
		"unknown provider": {[]PushRoute{{Provider: "apns"}}, s, `"apns" is not configured`},
		"empty provider":   {[]PushRoute{{DeviceType: "ios"}}, s, "provider is required"},
		"unused provider":  {[]PushRoute{{Provider: "fcm"}}, map[string]PushSender{"fcm": newMemSender(1), "apns": newMemSender(1)}, "no route sends to it"},
		"zero batch":       {[]PushRoute{{Provider: "fcm"}}, map[string]PushSender{"fcm": newMemSender(0)}, "at least one"},
	} {
		if _, err := NewPushRouter(tc.routes, tc.senders); err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: err %v, want it to say %q", name, err, tc.says)
		}
	}
}

type closeCounter struct {
	*memSender
	closed *int
}

func (c closeCounter) Close() error { *c.closed++; return nil }

// closed counts Close calls of test-ok senders; registering once keeps
// -count=N from registering the same name twice.
var (
	closed        int
	registerTests sync.Once
)

func TestOpenPush(t *testing.T) {
	registerTests.Do(registerTestProviders)
	closed = 0
	r, err := OpenPush(context.Background(), PushConfig{Providers: map[string]map[string]any{"test-ok": {"max": 7}}, Routes: []PushRoute{{Provider: "test-ok"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, s, ok := r.Route(&PushDevice{DeviceType: "android"}); !ok || s.MaxBatch() != 7 {
		t.Fatalf("route: %v %v", s, ok)
	}
	if err := r.Close(); err != nil || closed != 1 {
		t.Fatalf("Close: %v, closed %d", err, closed)
	}
	openPushFailures(t)
}

func registerTestProviders() {
	PushProviders.Register("test-ok", func(_ context.Context, env ProviderEnv) (PushSender, error) {
		o := env.Options
		var opts struct {
			Max int `json:"max"`
		}
		if err := DecodeOptions(o, &opts); err != nil {
			return nil, err
		}
		return closeCounter{newMemSender(opts.Max), &closed}, nil
	})
	PushProviders.Register("test-broken", func(context.Context, ProviderEnv) (PushSender, error) {
		return nil, errors.New("bad key")
	})
}

func openPushFailures(t *testing.T) {
	_, err := OpenPush(context.Background(), PushConfig{Providers: map[string]map[string]any{"test-ok": {"typo": 1}}})
	if err == nil || !strings.Contains(err.Error(), "typo") || !strings.Contains(err.Error(), "push.test-ok") {
		t.Errorf("unknown option: %v", err)
	}
	_, err = OpenPush(context.Background(), PushConfig{Providers: map[string]map[string]any{"nosuch": nil}})
	if err == nil || !strings.Contains(err.Error(), "forgotten import") {
		t.Errorf("unknown provider: %v", err)
	}
	closed = 0
	_, err = OpenPush(context.Background(), PushConfig{Providers: map[string]map[string]any{"test-ok": nil, "test-broken": nil}, Routes: []PushRoute{{Provider: "test-ok"}, {Provider: "test-broken"}}})
	if err == nil || !strings.Contains(err.Error(), "bad key") {
		t.Errorf("broken provider: %v", err)
	}
	closed = 0
	_, err = OpenPush(context.Background(), PushConfig{Providers: map[string]map[string]any{"test-ok": nil}, Routes: []PushRoute{{Provider: "elsewhere"}}})
	if err == nil || closed != 1 {
		t.Errorf("bad route: %v; the opened provider must be closed (closed %d)", err, closed)
	}
}

func TestPushDeviceFromObject(t *testing.T) {
	d := PushDeviceFromObject(Object{
		"objectId": "abc", "installationId": "iid", "deviceType": "android", "pushType": "jpush",
		"registrationId": "1a0018970a", "tags": []any{"beijing", float64(3), "vip"}, "alias": "u42",
		"badge": float64(4), "timeZone": "Asia/Shanghai", "appVersion": "1.2", "localeIdentifier": "zh-CN",
	})
	want := PushDevice{ID: "abc", InstallationID: "iid", DeviceType: "android", PushType: "jpush", RegistrationID: "1a0018970a",
		Tags: []string{"beijing", "vip"}, Alias: "u42", Badge: 4, TimeZone: "Asia/Shanghai", AppVersion: "1.2", LocaleIdentifier: "zh-CN"}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("got %+v\nwant %+v", d, want)
	}
	odd := PushDeviceFromObject(Object{"objectId": "x", "deviceToken": float64(1), "badge": "many", "tags": "a"})
	if odd.DeviceToken != "" || odd.Badge != 0 || odd.Tags != nil {
		t.Errorf("odd row read as %+v", odd)
	}
}
