package aliyun_test

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/adapters/internal/conformance"
	"github.com/switchboardhq/switchboard/adapters/sms/aliyun"
	"github.com/switchboardhq/switchboard/adapters/sms/aliyun/aliyunfake"
	"github.com/switchboardhq/switchboard/adapters/sms/smstest"
	"github.com/switchboardhq/switchboard/core"
)

var harness = smstest.Harness{Provider: aliyun.Name, Setup: setup}

func TestConformance(t *testing.T) { smstest.RunConformance(t, harness) }

func setup(t *testing.T) *smstest.Fixture {
	fake := aliyunfake.New(t)
	o := fake.Options()
	return &smstest.Fixture{
		Options: o,
		Sent:    fake.Sent,
		Remote:  fake,
		BadOptions: map[string]map[string]any{
			"no accessKeyId":     conformance.Without(o, "accessKeyId"),
			"no accessKeySecret": conformance.Without(o, "accessKeySecret"),
			"no signName":        conformance.Without(o, "signName"),
			"no templates":       conformance.Without(o, "templates"),
			"empty template":     conformance.With(o, "templates", map[string]any{"login": ""}),
			"relative endpoint":  conformance.With(o, "endpoint", "dysmsapi.aliyuncs.com"),
			"endpoint with path": conformance.With(o, "endpoint", fake.URL()+"api"),
			"maxAttempts 0..10":  conformance.With(o, "maxAttempts", 11),
		},
		Secrets: []string{fake.Secret()},
	}
}

func send(t *testing.T, options map[string]any, msg core.SMSMessage) error {
	t.Helper()
	return smstest.Open(t, aliyun.Name, options).Send(context.Background(), msg)
}

func TestMisconfigured(t *testing.T) {
	notFound := httptest.NewServer(http.NotFoundHandler())
	defer notFound.Close()
	smstest.RunMisconfigured(t, harness, []smstest.Mistake{
		{Name: "wrong secret", Edit: func(o map[string]any) { o["accessKeySecret"] = "not-the-secret" }, Cause: "SignatureDoesNotMatch"},
		{Name: "unknown key id", Edit: func(o map[string]any) { o["accessKeyId"] = "LTAI5tSomeoneElse" }, Cause: "InvalidAccessKeyId.NotFound"},
		{Name: "unapproved signature", Edit: func(o map[string]any) { o["signName"] = "Other" }, Cause: "isv.SMS_SIGNATURE_ILLEGAL"},
		{Name: "unknown template", Edit: func(o map[string]any) { o["templates"] = map[string]any{"login": "SMS_9"} }, Cause: "isv.SMS_TEMPLATE_ILLEGAL"},
		{Name: "template variable missing", Message: func(m *core.SMSMessage) { delete(m.Params, "ttl") }, Cause: "isv.TEMPLATE_MISSING_PARAMETERS"},
		{Name: "no template for the purpose", Message: func(m *core.SMSMessage) { m.Purpose = "promo" }, Cause: `no template for purpose "promo"`},
		{Name: "wrong endpoint", Edit: func(o map[string]any) { o["endpoint"] = notFound.URL }, Cause: "check endpoint"},
	})
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
