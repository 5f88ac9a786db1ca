package aliyun_test

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/adapters/sms/aliyun"
	"github.com/switchboardhq/switchboard/adapters/sms/aliyun/aliyunfake"
	"github.com/switchboardhq/switchboard/adapters/sms/smstest"
	"github.com/switchboardhq/switchboard/core"
)

func TestConformance(t *testing.T) {
	smstest.RunConformance(t, smstest.Harness{Provider: aliyun.Name, Setup: func(t *testing.T) *smstest.Fixture {
		fake := aliyunfake.New(t)
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
				"no accessKeyId":     without("accessKeyId"),
				"no accessKeySecret": without("accessKeySecret"),
				"no signName":        without("signName"),
				"no templates":       without("templates"),
				"empty template":     with("templates", map[string]any{"login": ""}),
				"relative endpoint":  with("endpoint", "dysmsapi.aliyuncs.com"),
				"endpoint with path": with("endpoint", fake.URL()+"api"),
				"maxAttempts 0..10":  with("maxAttempts", 11),
			},
			Secrets: []string{fake.Secret()},
		}
	}})
}

// notFound is an endpoint that answers every request with 404.
func notFound(t *testing.T) string {
	srv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	return srv.URL
}

func send(t *testing.T, options map[string]any, msg core.SMSMessage) error {
	t.Helper()
	return smstest.Open(t, aliyun.Name, options).Send(context.Background(), msg)
}

// Configuration mistakes are internal errors (the client can do nothing
// about them) whose logged cause says what to fix.
func TestMisconfigured(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(o map[string]any)
		msg   func(m *core.SMSMessage)
		cause string
	}{
		{"wrong secret", func(o map[string]any) { o["accessKeySecret"] = "not-the-secret" }, nil, "SignatureDoesNotMatch"},
		{"unknown key id", func(o map[string]any) { o["accessKeyId"] = "LTAI5tSomeoneElse" }, nil, "InvalidAccessKeyId.NotFound"},
		{"unapproved signature", func(o map[string]any) { o["signName"] = "Other" }, nil, "isv.SMS_SIGNATURE_ILLEGAL"},
		{"unknown template", func(o map[string]any) { o["templates"] = map[string]any{"login": "SMS_9"} }, nil, "isv.SMS_TEMPLATE_ILLEGAL"},
		{"template variable missing", nil, func(m *core.SMSMessage) { delete(m.Params, "ttl") }, "isv.TEMPLATE_MISSING_PARAMETERS"},
		{"no template for the purpose", nil, func(m *core.SMSMessage) { m.Purpose = "promo" }, `no template for purpose "promo"`},
		{"wrong endpoint", func(o map[string]any) { o["endpoint"] = notFound(t) }, nil, "check endpoint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := aliyunfake.New(t)
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
			if strings.Contains(err.Error(), fake.Secret()) {
				t.Errorf("error %q repeats the secret", err)
			}
			if n := fake.Requests(); n > 1 {
				t.Errorf("%d requests; a configuration error must not be retried", n)
			}
		})
	}
}

func TestWhatIsDelivered(t *testing.T) {
	fake := aliyunfake.New(t)
	msg := smstest.Message(smstest.Number(5))
	msg.Purpose = "verify"
	if err := send(t, fake.Options(), msg); err != nil {
		t.Fatal(err)
	}
	sent := fake.Sent()
	if len(sent) != 1 || sent[0].To != smstest.Number(5) || sent[0].Content != "【Switchboard】Your verification code is "+smstest.Code+"." {
		t.Fatalf("sent %+v", sent)
	}
}

// International numbers go out as country code and number, without "+".
func TestInternationalNumber(t *testing.T) {
	fake := aliyunfake.New(t)
	if err := send(t, fake.Options(), smstest.Message("+85291234567")); err != nil {
		t.Fatal(err)
	}
	if sent := fake.Sent(); len(sent) != 1 || sent[0].To != "+85291234567" {
		t.Fatalf("sent %+v", sent)
	}
}

func TestMaxAttempts(t *testing.T) {
	fake := aliyunfake.New(t)
	o := fake.Options()
	o["maxAttempts"] = 1
	fake.Fail(smstest.Failing, -1)
	err := send(t, o, smstest.Message(smstest.Number(1)))
	smstest.WantCode(t, err, core.CodeConnectionFailed)
	if n := fake.Requests(); n != 1 {
		t.Errorf("%d requests with maxAttempts 1", n)
	}
	var ce *core.Error
	if !errors.As(err, &ce) || !strings.Contains(ce.Err.Error(), "ServiceUnavailable") {
		t.Errorf("cause of %v does not name ServiceUnavailable", err)
	}
}

func TestOptionsNotShared(t *testing.T) {
	fake := aliyunfake.New(t)
	o := fake.Options()
	before := maps.Clone(o)
	_ = send(t, o, smstest.Message(smstest.Number(1)))
	if len(o) != len(before) {
		t.Errorf("Open changed the options map")
	}
}
