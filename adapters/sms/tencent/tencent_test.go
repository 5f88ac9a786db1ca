package tencent_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/switchboardhq/switchboard/adapters/internal/conformance"
	"github.com/switchboardhq/switchboard/adapters/sms/smstest"
	"github.com/switchboardhq/switchboard/adapters/sms/tencent"
	"github.com/switchboardhq/switchboard/adapters/sms/tencent/tencentfake"
	"github.com/switchboardhq/switchboard/core"
)

var harness = smstest.Harness{Provider: tencent.Name, Setup: setup}

func TestConformance(t *testing.T) { smstest.RunConformance(t, harness) }

func setup(t *testing.T) *smstest.Fixture {
	fake := tencentfake.New(t)
	o := fake.Options()
	return &smstest.Fixture{
		Options: o,
		Sent:    fake.Sent,
		Remote:  fake,
		BadOptions: map[string]map[string]any{
			"no secretId":              conformance.Without(o, "secretId"),
			"no secretKey":             conformance.Without(o, "secretKey"),
			"no sdkAppId":              conformance.Without(o, "sdkAppId"),
			"no templates":             conformance.Without(o, "templates"),
			"template without id":      conformance.With(o, "templates", map[string]any{"login": map[string]any{"params": []any{"code"}}}),
			"template as a string":     conformance.With(o, "templates", map[string]any{"login": "100001"}),
			"unknown template key":     conformance.With(o, "templates", map[string]any{"login": map[string]any{"id": "1", "param": []any{"code"}}}),
			"endpoint with a path":     conformance.With(o, "endpoint", fake.URL()+"sms"),
			"endpoint without scheme":  conformance.With(o, "endpoint", "sms.tencentcloudapi.com"),
			"maxAttempts out of range": conformance.With(o, "maxAttempts", -1),
		},
		Secrets: []string{fake.SecretKey()},
	}
}

func send(t *testing.T, options map[string]any, msg core.SMSMessage) error {
	t.Helper()
	return smstest.Open(t, tencent.Name, options).Send(context.Background(), msg)
}

func TestMisconfigured(t *testing.T) {
	notFound := httptest.NewServer(http.NotFoundHandler())
	defer notFound.Close()
	templates := func(id string, params ...any) func(o map[string]any) {
		return func(o map[string]any) {
			o["templates"] = map[string]any{"login": map[string]any{"id": id, "params": params}}
		}
	}
	smstest.RunMisconfigured(t, harness, []smstest.Mistake{
		{Name: "wrong secret key", Edit: func(o map[string]any) { o["secretKey"] = "not-the-key" }, Cause: "AuthFailure.SignatureFailure"},
		{Name: "unknown secret id", Edit: func(o map[string]any) { o["secretId"] = "AKIDsomeoneelse" }, Cause: "AuthFailure.SecretIdNotFound"},
		{Name: "unknown app", Edit: func(o map[string]any) { o["sdkAppId"] = "1400999999" }, Cause: "check sdkAppId"},
		{Name: "unapproved signature", Edit: func(o map[string]any) { o["signName"] = "Other" }, Cause: "FailedOperation.SignatureIncorrectOrUnapproved"},
		{Name: "unknown template", Edit: templates("999", "code", "ttl"), Cause: "FailedOperation.TemplateIncorrectOrUnapproved"},
		{Name: "too few template params", Edit: templates("100001", "code"), Cause: "FailedOperation.TemplateParamSetNotMatchApprovedTemplate"},
		{Name: "param the message lacks", Message: func(m *core.SMSMessage) { delete(m.Params, "ttl") }, Cause: `names "ttl"`},
		{Name: "no template for the purpose", Message: func(m *core.SMSMessage) { m.Purpose = "promo" }, Cause: `no template for purpose "promo"`},
		{Name: "unsupported region", Edit: func(o map[string]any) { o["region"] = "ap-mars" }, Cause: "UnsupportedRegion"},
		{Name: "wrong endpoint", Edit: func(o map[string]any) { o["endpoint"] = notFound.URL }, Cause: "check endpoint"},
	})
}

func TestWhatIsDelivered(t *testing.T) {
	fake := tencentfake.New(t)
	msg := smstest.Message(smstest.Number(5))
	if err := send(t, fake.Options(), msg); err != nil {
		t.Fatal(err)
	}
	sent := fake.Sent()
	want := "【Switchboard】Your login code is " + smstest.Code + ". It expires in 5 minutes."
	if len(sent) != 1 || sent[0].To != smstest.Number(5) || sent[0].Content != want {
		t.Fatalf("sent %+v, want one %q", sent, want)
	}
}

// International numbers need no signature name.
func TestInternationalWithoutSignName(t *testing.T) {
	fake := tencentfake.New(t)
	o := fake.Options()
	delete(o, "signName")
	if err := send(t, o, smstest.Message("+14155550123")); err != nil {
		t.Fatal(err)
	}
	if sent := fake.Sent(); len(sent) != 1 || sent[0].To != "+14155550123" {
		t.Fatalf("sent %+v", sent)
	}
}
