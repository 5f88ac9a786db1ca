package tencent_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/adapters/sms/smstest"
	"github.com/switchboardhq/switchboard/adapters/sms/tencent"
	"github.com/switchboardhq/switchboard/adapters/sms/tencent/tencentfake"
	"github.com/switchboardhq/switchboard/core"
)

func TestConformance(t *testing.T) {
	smstest.RunConformance(t, smstest.Harness{Provider: tencent.Name, Setup: func(t *testing.T) *smstest.Fixture {
		fake := tencentfake.New(t)
		without := func(key string) map[string]any {
			o := fake.Options()
			delete(o, key)
			return o
		}
		with := func(key string, v any) map[string]any {
			o := fake.Options()
			o[key] = v
			return o
		}
		return &smstest.Fixture{
			Options: fake.Options(),
			Sent:    fake.Sent,
			Remote:  fake,
			BadOptions: map[string]map[string]any{
				"no secretId":              without("secretId"),
				"no secretKey":             without("secretKey"),
				"no sdkAppId":              without("sdkAppId"),
				"no templates":             without("templates"),
				"template without id":      with("templates", map[string]any{"login": map[string]any{"params": []any{"code"}}}),
				"template as a string":     with("templates", map[string]any{"login": "100001"}),
				"unknown template key":     with("templates", map[string]any{"login": map[string]any{"id": "1", "param": []any{"code"}}}),
				"endpoint with a path":     with("endpoint", fake.URL()+"sms"),
				"endpoint without scheme":  with("endpoint", "sms.tencentcloudapi.com"),
				"maxAttempts out of range": with("maxAttempts", -1),
			},
			Secrets: []string{fake.SecretKey()},
		}
	}})
}

func send(t *testing.T, options map[string]any, msg core.SMSMessage) error {
	t.Helper()
	return smstest.Open(t, tencent.Name, options).Send(context.Background(), msg)
}

func TestMisconfigured(t *testing.T) {
	notFound := httptest.NewServer(http.NotFoundHandler())
	defer notFound.Close()
	for _, tc := range []struct {
		name  string
		edit  func(o map[string]any)
		msg   func(m *core.SMSMessage)
		cause string
	}{
		{"wrong secret key", func(o map[string]any) { o["secretKey"] = "not-the-key" }, nil, "AuthFailure.SignatureFailure"},
		{"unknown secret id", func(o map[string]any) { o["secretId"] = "AKIDsomeoneelse" }, nil, "AuthFailure.SecretIdNotFound"},
		{"unknown app", func(o map[string]any) { o["sdkAppId"] = "1400999999" }, nil, "check sdkAppId"},
		{"unapproved signature", func(o map[string]any) { o["signName"] = "Other" }, nil, "FailedOperation.SignatureIncorrectOrUnapproved"},
		{"unknown template", func(o map[string]any) {
			o["templates"] = map[string]any{"login": map[string]any{"id": "999", "params": []any{"code", "ttl"}}}
		}, nil, "FailedOperation.TemplateIncorrectOrUnapproved"},
		{"too few template params", func(o map[string]any) {
			o["templates"] = map[string]any{"login": map[string]any{"id": "100001", "params": []any{"code"}}}
		}, nil, "FailedOperation.TemplateParamSetNotMatchApprovedTemplate"},
		{"param the message lacks", nil, func(m *core.SMSMessage) { delete(m.Params, "ttl") }, `names "ttl"`},
		{"no template for the purpose", nil, func(m *core.SMSMessage) { m.Purpose = "promo" }, `no template for purpose "promo"`},
		{"unsupported region", func(o map[string]any) { o["region"] = "ap-mars" }, nil, "UnsupportedRegion"},
		{"wrong endpoint", func(o map[string]any) { o["endpoint"] = notFound.URL }, nil, "check endpoint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := tencentfake.New(t)
			o := fake.Options()
			if tc.edit != nil {
				tc.edit(o)
			}
			msg := smstest.Message(smstest.Number(1))
			if tc.msg != nil {
				tc.msg(&msg)
			}
			err := send(t, o, msg)
			smstest.WantCode(t, err, core.CodeInternalServerError)
			if !strings.Contains(err.Error(), tc.cause) {
				t.Errorf("error %q does not say %q", err, tc.cause)
			}
			if strings.Contains(err.Error(), fake.SecretKey()) {
				t.Errorf("error %q repeats the secret", err)
			}
			if n := fake.Requests(); n > 1 {
				t.Errorf("%d requests; a configuration error must not be retried", n)
			}
		})
	}
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
