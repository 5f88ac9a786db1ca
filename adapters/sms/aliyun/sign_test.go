package aliyun

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/adapters/sms/aliyun/aliyunfake"
	"github.com/switchboardhq/switchboard/adapters/sms/smstest"
	"github.com/switchboardhq/switchboard/core"
)

// Known answers from Alibaba Cloud's documentation, so that the signature
// is checked against the service's own examples and not only against our
// fake.
func TestSignKnownAnswers(t *testing.T) {
	for _, tc := range []struct {
		name       string
		secret     string
		params     map[string]string
		toSign     string
		wantSigned string
	}{
		{
			name:   "RPC signature example (DescribeRegions)",
			secret: "testsecret",
			params: map[string]string{
				"AccessKeyId": "testid", "Action": "DescribeRegions", "Format": "XML",
				"SignatureMethod": "HMAC-SHA1", "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
				"SignatureVersion": "1.0", "Timestamp": "2016-02-23T12:46:24Z", "Version": "2014-05-26",
			},
			toSign: "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML" +
				"%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf" +
				"%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26",
			wantSigned: "OLeaidS1JvxuMvnyHOwuJ+uX5qY=",
		},
		{
			name:   "Dysms SendSms example, with a Chinese SignName",
			secret: "testSecret",
			params: map[string]string{
				"AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123",
				"PhoneNumbers": "15300000001", "RegionId": "cn-hangzhou", "SignName": "阿里云短信测试专用",
				"SignatureMethod": "HMAC-SHA1", "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
				"SignatureVersion": "1.0", "TemplateCode": "SMS_71390007", "TemplateParam": `{"customer":"test"}`,
				"Timestamp": "2017-07-12T02:42:19Z", "Version": "2017-05-25",
			},
			toSign: "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123" +
				"%26PhoneNumbers%3D15300000001%26RegionId%3Dcn-hangzhou" +
				"%26SignName%3D%25E9%2598%25BF%25E9%2587%258C%25E4%25BA%2591%25E7%259F%25AD%25E4%25BF%25A1%25E6%25B5%258B%25E8%25AF%2595%25E4%25B8%2593%25E7%2594%25A8" +
				"%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D45e25e9b-0a6f-4070-8c85-2956eda1b466" +
				"%26SignatureVersion%3D1.0%26TemplateCode%3DSMS_71390007" +
				"%26TemplateParam%3D%257B%2522customer%2522%253A%2522test%2522%257D" +
				"%26Timestamp%3D2017-07-12T02%253A42%253A19Z%26Version%3D2017-05-25",
			wantSigned: "zJDF+Lrzhj/ThnlvIToysFRq6t4=",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := stringToSign("GET", tc.params); got != tc.toSign {
				t.Errorf("string to sign\n got %s\nwant %s", got, tc.toSign)
			}
			if got := sign("GET", tc.params, tc.secret); got != tc.wantSigned {
				t.Errorf("signature %s, want %s", got, tc.wantSigned)
			}
			with := map[string]string{"Signature": "ignored"}
			for k, v := range tc.params {
				with[k] = v
			}
			if got := sign("GET", with, tc.secret); got != tc.wantSigned {
				t.Errorf("a Signature parameter changed the signature: %s", got)
			}
		})
	}
}

func TestPercentEncode(t *testing.T) {
	for in, want := range map[string]string{
		"a b":                  "a%20b",
		"a*b":                  "a%2Ab",
		"a~b-c_d.e":            "a~b-c_d.e",
		"/=&+":                 "%2F%3D%26%2B",
		"2016-02-23T12:46:24Z": "2016-02-23T12%3A46%3A24Z",
		"派":                    "%E6%B4%BE",
	} {
		if got := percentEncode(in); got != want {
			t.Errorf("percentEncode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestClassify(t *testing.T) {
	for code, want := range map[string]core.Code{
		"isv.BUSINESS_LIMIT_CONTROL":     core.CodeRequestLimitExceeded,
		"isv.DAY_LIMIT_CONTROL":          core.CodeRequestLimitExceeded,
		"isv.MOBILE_NUMBER_ILLEGAL":      core.CodeInvalidValue,
		"isv.BLACK_KEY_CONTROL_LIMIT":    core.CodeInvalidValue,
		"Throttling":                     core.CodeConnectionFailed,
		"Throttling.User":                core.CodeConnectionFailed,
		"ServiceUnavailable":             core.CodeConnectionFailed,
		"isp.SYSTEM_ERROR":               core.CodeConnectionFailed,
		"SignatureDoesNotMatch":          core.CodeInternalServerError,
		"InvalidAccessKeyId.NotFound":    core.CodeInternalServerError,
		"InvalidTimeStamp.Expired":       core.CodeInternalServerError,
		"isv.SMS_TEMPLATE_ILLEGAL":       core.CodeInternalServerError,
		"isv.AMOUNT_NOT_ENOUGH":          core.CodeInternalServerError,
		"isv.SOMETHING_NEW_AND_UNLISTED": core.CodeInternalServerError,
	} {
		if err := classify(400, code, "m", "r"); !core.IsCode(err, want) {
			t.Errorf("%s -> %v, want code %d", code, err, want)
		}
	}
}

// A clock far off makes Dysms refuse the Timestamp; the logged cause says
// to check the clock.
func TestClockSkew(t *testing.T) {
	fake := aliyunfake.New(t)
	s, err := Open(context.Background(), core.ProviderEnv{Options: fake.Options()})
	if err != nil {
		t.Fatal(err)
	}
	s.(*sender).now = func() time.Time { return time.Now().Add(-time.Hour) }
	err = s.Send(context.Background(), smstest.Message(smstest.Number(1)))
	if !core.IsCode(err, core.CodeInternalServerError) || !strings.Contains(err.Error(), "check the server clock") {
		t.Fatalf("err = %v", err)
	}
}
