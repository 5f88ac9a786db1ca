// Package tencent is the "tencent" sms provider: Tencent Cloud SMS through
// its API 3.0 SendSms action (version 2021-01-11).
//
// Each message is one POST of a JSON body (PhoneNumberSet with the E.164
// number, SmsSdkAppId, SignName, TemplateId, TemplateParamSet) to the
// endpoint, with the X-TC-Action, X-TC-Version, X-TC-Timestamp and
// X-TC-Region headers, signed with TC3-HMAC-SHA256 (the content-type, host
// and x-tc-action headers and the body are signed). Tencent templates take
// positional parameters {1}, {2}, ...: each template in the options lists
// the message params to fill them with, in order.
//
// Errors come from Response.Error.Code or, for the number, from
// SendStatusSet[0].Code ("Ok" is success). LimitExceeded.* (per-number and
// daily frequency limits such as LimitExceeded.PhoneNumberDailyLimit or
// LimitExceeded.PhoneNumberThirtySecondLimit) is CodeRequestLimitExceeded.
// InvalidParameterValue.IncorrectPhoneNumber, a number on the do-not-
// disturb list or in an unsupported region is CodeInvalidValue, as are
// refusals of the content. RequestLimitExceeded (API throttling),
// InternalError, 5xx answers and network errors are CodeConnectionFailed
// and are retried. AuthFailure.* and template, signature, app and balance
// errors are internal errors whose logged cause says what to fix.
//
// Options (sms.tencent):
//
//	secretId     string, required. The API key's SecretId.
//	secretKey    string, required. The API key's SecretKey.
//	sdkAppId     string, required. The SMS application's SdkAppId
//	             (1400...).
//	signName     string. The approved signature; required to send to
//	             mainland China numbers.
//	templates    map, required. Message purpose → {id, params}: the
//	             approved TemplateId and the message params that fill its
//	             {1}, {2}, ... in order, e.g.
//	             {login: {id: "1234567", params: [code, ttl]}}.
//	region       string, optional. ap-guangzhou (default), ap-beijing or
//	             ap-nanjing.
//	endpoint     string, optional. The API base URL, no path. Default
//	             https://sms.tencentcloudapi.com/.
//	maxAttempts  int, optional. Tries per message, 1 to 10. Default 3.
package tencent

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/adapters/internal/retry"
	"github.com/switchboardhq/switchboard/adapters/sms/internal/smskit"
	"github.com/switchboardhq/switchboard/core"
)

// Name is the provider's name in core.SMSProviders.
const Name = "tencent"

// DefaultEndpoint is Tencent Cloud's SMS API endpoint.
const DefaultEndpoint = "https://sms.tencentcloudapi.com/"

// DefaultRegion is the region requests name unless configured.
const DefaultRegion = "ap-guangzhou"

// APIVersion is the SMS API version this provider speaks.
const APIVersion = "2021-01-11"

// service is the product name in the credential scope.
const service = "sms"

// contentType is sent and signed; the value signed must be the one sent.
const contentType = "application/json; charset=utf-8"

func init() { core.SMSProviders.Register(Name, Open) }

// Template is one approved template.
type Template struct {
	ID     string   `json:"id"`
	Params []string `json:"params"`
}

// Options is the sms.tencent config section.
type Options struct {
	SecretID  string              `json:"secretId"`
	SecretKey string              `json:"secretKey"`
	SDKAppID  string              `json:"sdkAppId"`
	SignName  string              `json:"signName"`
	Templates map[string]Template `json:"templates"`
	Region    string              `json:"region"`
	smskit.Options
}

// Open implements core.OpenSMSFunc.
func Open(_ context.Context, env core.ProviderEnv) (core.SMSSender, error) {
	options := env.Options
	opts := Options{Region: DefaultRegion, Options: smskit.Options{Endpoint: DefaultEndpoint}}
	if err := core.DecodeOptions(options, &opts); err != nil {
		return nil, err
	}
	if err := smskit.Required("secretId", opts.SecretID, "secretKey", opts.SecretKey, "sdkAppId", opts.SDKAppID, "region", opts.Region); err != nil {
		return nil, err
	}
	if err := smskit.CheckTemplates(opts.Templates, func(t Template) string { return t.ID }, "{id, params}"); err != nil {
		return nil, err
	}
	endpoint, err := opts.Check()
	if err != nil {
		return nil, err
	}
	return &sender{opts: opts, endpoint: endpoint, client: smskit.Client(), retry: opts.Retry(), now: time.Now}, nil
}

type sender struct {
	opts     Options
	endpoint *url.URL
	client   *http.Client
	retry    retry.Policy
	now      func() time.Time
}

var _ core.SMSSender = (*sender)(nil)

// request is the SendSms body.
type request struct {
	PhoneNumberSet   []string `json:"PhoneNumberSet"`
	SmsSdkAppID      string   `json:"SmsSdkAppId"`
	SignName         string   `json:"SignName,omitempty"`
	TemplateID       string   `json:"TemplateId"`
	TemplateParamSet []string `json:"TemplateParamSet,omitempty"`
}

// Send implements core.SMSSender.
func (s *sender) Send(ctx context.Context, msg core.SMSMessage) error {
	if err := smskit.Canceled(ctx); err != nil {
		return err
	}
	if msg.To == "" {
		return smskit.InvalidNumber(Name, errors.New("empty number"))
	}
	t, err := smskit.Template(Name, s.opts.Templates, msg.Purpose)
	if err != nil {
		return err
	}
	body := request{PhoneNumberSet: []string{msg.To}, SmsSdkAppID: s.opts.SDKAppID, SignName: s.opts.SignName, TemplateID: t.ID}
	for _, name := range t.Params {
		v, ok := msg.Params[name]
		if !ok {
			return smskit.Misconfigured(Name, "templates.%s.params names %q, which the %s message does not carry (it has %s)", msg.Purpose, name, msg.Purpose, strings.Join(slices.Sorted(maps.Keys(msg.Params)), ", "))
		}
		body.TemplateParamSet = append(body.TemplateParamSet, v)
	}
	payload, err := json.Marshal(body)
	if err != nil {
		return core.Internal(fmt.Errorf("sms.tencent: encoding the request: %w", err))
	}
	return s.retry.Do(ctx, func(ctx context.Context) error { return s.call(ctx, payload) })
}

// call makes one signed SendSms request; each try is signed with its own
// timestamp.
func (s *sender) call(ctx context.Context, payload []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint.String(), bytes.NewReader(payload))
	if err != nil {
		return smskit.Misconfigured(Name, "building the request: %v", err)
	}
	now := s.now()
	host := strings.ToLower(s.endpoint.Host)
	req.Host = host
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-TC-Action", "SendSms")
	req.Header.Set("X-TC-Version", APIVersion)
	req.Header.Set("X-TC-Timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("X-TC-Region", s.opts.Region)
	req.Header.Set("Authorization", authorization(s.opts.SecretID, s.opts.SecretKey, service, now, http.MethodPost,
		[][2]string{{"content-type", contentType}, {"host", host}, {"x-tc-action", "sendsms"}}, payload))
	resp, err := smskit.Do(s.client, Name, req)
	if err != nil {
		return err
	}
	var answer struct {
		Response struct {
			Error *struct {
				Code    string `json:"Code"`
				Message string `json:"Message"`
			} `json:"Error"`
			SendStatusSet []struct {
				PhoneNumber string `json:"PhoneNumber"`
				Code        string `json:"Code"`
				Message     string `json:"Message"`
			} `json:"SendStatusSet"`
			RequestID string `json:"RequestId"`
		} `json:"Response"`
	}
	if err := json.Unmarshal(resp.Body, &answer); err != nil || answer.Response.RequestID == "" {
		return smskit.Misconfigured(Name, "unexpected answer from %s (HTTP %d): %s (check endpoint)", s.endpoint, resp.Status, smskit.Snippet(resp.Body))
	}
	r := answer.Response
	if r.Error != nil {
		return classify(r.Error.Code, r.Error.Message, r.RequestID)
	}
	if len(r.SendStatusSet) != 1 {
		return smskit.Misconfigured(Name, "SendSms answered %d statuses for one number (RequestId %s)", len(r.SendStatusSet), r.RequestID)
	}
	if st := r.SendStatusSet[0]; st.Code != "Ok" {
		return classify(st.Code, st.Message, r.RequestID)
	}
	return nil
}

// classify maps a Tencent Cloud error code to the contract's codes.
func classify(code, message, requestID string) error {
	cause := fmt.Errorf("SendSms: %s: %s (RequestId %s)", code, message, requestID)
	family, _, _ := strings.Cut(code, ".")
	switch {
	case code == "AuthFailure.SignatureExpire", code == "InternalError.RequestTimeException":
		return smskit.Misconfigured(Name, "%v: check the server clock", cause)
	case family == "AuthFailure":
		return smskit.Misconfigured(Name, "%v: check secretId and secretKey", cause)
	case code == "LimitExceeded.PhoneNumberCountLimit":
		return smskit.Misconfigured(Name, "%v", cause)
	case family == "LimitExceeded":
		return smskit.Limited(Name, cause)
	case code == "InvalidParameterValue.IncorrectPhoneNumber", code == "FailedOperation.PhoneNumberInBlacklist",
		code == "FailedOperation.PhoneNumberParseFail", code == "UnsupportedOperation.UnsupportedRegion":
		return smskit.InvalidNumber(Name, cause)
	case code == "FailedOperation.ContainSensitiveWord", code == "InvalidParameterValue.ContentLengthLimit",
		code == "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter", code == "InvalidParameterValue.TemplateParameterLengthLimit",
		code == "InvalidParameterValue.TemplateParameterFormatError":
		return smskit.Rejected(Name, "the text message service refused the message content", cause)
	case code == "InternalError.SigVerificationFail", code == "InternalError.SigFieldMissing", code == "InternalError.RestApiInterfaceNotExist":
		return smskit.Misconfigured(Name, "%v", cause)
	case family == "RequestLimitExceeded", family == "InternalError", family == "ResourceUnavailable", family == "ServiceUnavailable":
		return smskit.Unavailable(Name, cause)
	case code == "FailedOperation.SignatureIncorrectOrUnapproved", code == "FailedOperation.MissingSignature":
		return smskit.Misconfigured(Name, "%v: check signName is an approved signature", cause)
	case strings.HasPrefix(code, "FailedOperation.Template"), code == "FailedOperation.MissingTemplateToModify":
		return smskit.Misconfigured(Name, "%v: check templates: an approved TemplateId whose {n} placeholders match its params", cause)
	case strings.Contains(code, "SdkAppId"):
		return smskit.Misconfigured(Name, "%v: check sdkAppId", cause)
	}
	return smskit.Misconfigured(Name, "%v", cause)
}

// authorization returns the TC3-HMAC-SHA256 Authorization header value.
// headers are the signed headers as lower-case name and value, sorted by
// name.
func authorization(secretID, secretKey, service string, t time.Time, method string, headers [][2]string, payload []byte) string {
	date := t.UTC().Format("2006-01-02")
	var canonicalHeaders strings.Builder
	names := make([]string, len(headers))
	for i, h := range headers {
		names[i] = h[0]
		canonicalHeaders.WriteString(h[0] + ":" + h[1] + "\n")
	}
	signedHeaders := strings.Join(names, ";")
	canonicalRequest := strings.Join([]string{
		method, "/", "", canonicalHeaders.String(), signedHeaders, sha256Hex(payload),
	}, "\n")
	scope := date + "/" + service + "/tc3_request"
	stringToSign := "TC3-HMAC-SHA256\n" + strconv.FormatInt(t.Unix(), 10) + "\n" + scope + "\n" + sha256Hex([]byte(canonicalRequest))
	key := hmacSHA256([]byte("TC3"+secretKey), date)
	key = hmacSHA256(key, service)
	key = hmacSHA256(key, "tc3_request")
	signature := hex.EncodeToString(hmacSHA256(key, stringToSign))
	return "TC3-HMAC-SHA256 Credential=" + secretID + "/" + scope + ", SignedHeaders=" + signedHeaders + ", Signature=" + signature
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func hmacSHA256(key []byte, msg string) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(msg))
	return mac.Sum(nil)
}
