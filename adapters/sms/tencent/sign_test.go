package tencent

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/adapters/sms/smstest"
	"github.com/switchboardhq/switchboard/adapters/sms/tencent/tencentfake"
	"github.com/switchboardhq/switchboard/core"
)

// The worked example in Tencent Cloud's "Signature v3" documentation
// (CVM DescribeInstances), so the signature is checked against the
// service's own numbers and not only against our fake.
func TestAuthorizationKnownAnswer(t *testing.T) {
	payload := `{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}`
	if got := sha256Hex([]byte(payload)); got != "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064" {
		t.Fatalf("payload hash %s", got)
	}
	got := authorization("AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "cvm",
		time.Unix(1551113065, 0), "POST",
		[][2]string{{"content-type", "application/json; charset=utf-8"}, {"host", "cvm.tencentcloudapi.com"}},
		[]byte(payload))
	want := "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, " +
		"SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
	if got != want {
		t.Fatalf("authorization\n got %s\nwant %s", got, want)
	}
}

func TestClassify(t *testing.T) {
	for code, want := range map[string]core.Code{
		"LimitExceeded.PhoneNumberDailyLimit":             core.CodeRequestLimitExceeded,
		"LimitExceeded.PhoneNumberThirtySecondLimit":      core.CodeRequestLimitExceeded,
		"LimitExceeded.PhoneNumberOneHourLimit":           core.CodeRequestLimitExceeded,
		"LimitExceeded.DeliveryFrequencyLimit":            core.CodeRequestLimitExceeded,
		"LimitExceeded.AppDailyLimit":                     core.CodeRequestLimitExceeded,
		"LimitExceeded.PhoneNumberCountLimit":             core.CodeInternalServerError,
		"InvalidParameterValue.IncorrectPhoneNumber":      core.CodeInvalidValue,
		"FailedOperation.PhoneNumberInBlacklist":          core.CodeInvalidValue,
		"FailedOperation.ContainSensitiveWord":            core.CodeInvalidValue,
		"AuthFailure.SignatureFailure":                    core.CodeInternalServerError,
		"AuthFailure.SecretIdNotFound":                    core.CodeInternalServerError,
		"AuthFailure.SignatureExpire":                     core.CodeInternalServerError,
		"InternalError":                                   core.CodeConnectionFailed,
		"InternalError.Timeout":                           core.CodeConnectionFailed,
		"InternalError.SigVerificationFail":               core.CodeInternalServerError,
		"RequestLimitExceeded":                            core.CodeConnectionFailed,
		"RequestLimitExceeded.IPLimitExceeded":            core.CodeConnectionFailed,
		"FailedOperation.TemplateIncorrectOrUnapproved":   core.CodeInternalServerError,
		"FailedOperation.InsufficientBalanceInSmsPackage": core.CodeInternalServerError,
		"UnauthorizedOperation.SmsSdkAppIdVerifyFail":     core.CodeInternalServerError,
		"SomethingNew.Unlisted":                           core.CodeInternalServerError,
	} {
		if err := classify(code, "m", "r"); !core.IsCode(err, want) {
			t.Errorf("%s -> %v, want code %d", code, err, want)
		}
	}
}

func TestClockSkew(t *testing.T) {
	fake := tencentfake.New(t)
	s, err := Open(context.Background(), core.ProviderEnv{Options: fake.Options()})
	if err != nil {
		t.Fatal(err)
	}
	s.(*sender).now = func() time.Time { return time.Now().Add(10 * time.Minute) }
	err = s.Send(context.Background(), smstest.Message(smstest.Number(1)))
	if !core.IsCode(err, core.CodeInternalServerError) || !strings.Contains(err.Error(), "check the server clock") {
		t.Fatalf("err = %v", err)
	}
}
