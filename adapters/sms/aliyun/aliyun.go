// Package aliyun is the "aliyun" sms provider: Alibaba Cloud Short Message
// Service (Dysms), through its RPC-style SendSms API (version 2017-05-25).
//
// Each message is one signed GET request to the endpoint with Action
// SendSms, PhoneNumbers (the E.164 number without its "+", which Dysms
// reads as country code and number), SignName, TemplateCode (picked by the
// message's purpose) and TemplateParam (the message's params as a JSON
// object of strings). Requests carry a fresh SignatureNonce and are signed
// with HMAC-SHA1 as Alibaba Cloud's RPC signature version 1.0 prescribes.
//
// Errors: OK is success. isv.BUSINESS_LIMIT_CONTROL and
// isv.DAY_LIMIT_CONTROL (Dysms's per-number and daily flow control) are
// CodeRequestLimitExceeded. isv.MOBILE_NUMBER_ILLEGAL and other refusals
// of the number or content are CodeInvalidValue. Throttling*,
// ServiceUnavailable, isp.SYSTEM_ERROR, 5xx answers and network errors are
// CodeConnectionFailed and are retried. Key, signature, template and
// account errors (SignatureDoesNotMatch, InvalidAccessKeyId.NotFound,
// isv.SMS_TEMPLATE_ILLEGAL, isv.AMOUNT_NOT_ENOUGH, ...) are internal
// errors whose logged cause says what to fix.
//
// Options (sms.aliyun):
//
//	accessKeyId      string, required. The RAM user's AccessKey ID.
//	accessKeySecret  string, required. Its AccessKey secret.
//	signName         string, required. The approved signature (签名名称)
//	                 shown at the start of each message.
//	templates        map, required. Message purpose → approved template
//	                 code, e.g. {login: SMS_123456789, verify: SMS_987654321}.
//	                 The template's ${variables} are filled from the
//	                 message params (login codes use "code" and "ttl").
//	regionId         string, optional. Default cn-hangzhou.
//	endpoint         string, optional. The API base URL, no path. Default
//	                 https://dysmsapi.aliyuncs.com/ (international
//	                 accounts: https://dysmsapi.ap-southeast-1.aliyuncs.com/).
//	maxAttempts      int, optional. Tries per message, 1 to 10. Default 3.
package aliyun

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/adapters/internal/retry"
	"github.com/switchboardhq/switchboard/adapters/sms/internal/smskit"
	"github.com/switchboardhq/switchboard/core"
)

// Name is the provider's name in core.SMSProviders.
const Name = "aliyun"

// DefaultEndpoint is Dysms's public endpoint.
const DefaultEndpoint = "https://dysmsapi.aliyuncs.com/"

// DefaultRegionID is the region Dysms is called in.
const DefaultRegionID = "cn-hangzhou"

// APIVersion is the Dysms API version this provider speaks.
const APIVersion = "2017-05-25"

func init() { core.SMSProviders.Register(Name, Open) }

// Options is the sms.aliyun config section.
type Options struct {
	AccessKeyID     string            `json:"accessKeyId"`
	AccessKeySecret string            `json:"accessKeySecret"`
	SignName        string            `json:"signName"`
	Templates       map[string]string `json:"templates"`
	RegionID        string            `json:"regionId"`
	smskit.Options
}

// Open implements core.OpenSMSFunc.
func Open(_ context.Context, env core.ProviderEnv) (core.SMSSender, error) {
	options := env.Options
	opts := Options{RegionID: DefaultRegionID, Options: smskit.Options{Endpoint: DefaultEndpoint}}
	if err := core.DecodeOptions(options, &opts); err != nil {
		return nil, err
	}
	if err := smskit.Required("accessKeyId", opts.AccessKeyID, "accessKeySecret", opts.AccessKeySecret, "signName", opts.SignName, "regionId", opts.RegionID); err != nil {
		return nil, err
	}
	if err := smskit.CheckTemplates(opts.Templates, func(code string) string { return code }, "an approved TemplateCode"); err != nil {
		return nil, err
	}
	endpoint, err := opts.Check()
	if err != nil {
		return nil, err
	}
	return &sender{opts: opts, endpoint: endpoint.String(), client: smskit.Client(), retry: opts.Retry(), now: time.Now}, nil
}

type sender struct {
	opts     Options
	endpoint string
	client   *http.Client
	retry    retry.Policy
	now      func() time.Time
}

var _ core.SMSSender = (*sender)(nil)

// Send implements core.SMSSender.
func (s *sender) Send(ctx context.Context, msg core.SMSMessage) error {
	if err := smskit.Canceled(ctx); err != nil {
		return err
	}
	if msg.To == "" {
		return smskit.InvalidNumber(Name, errors.New("empty number"))
	}
	code, err := smskit.Template(Name, s.opts.Templates, msg.Purpose)
	if err != nil {
		return err
	}
	params := map[string]string{
		"Action":       "SendSms",
		"Version":      APIVersion,
		"Format":       "JSON",
		"RegionId":     s.opts.RegionID,
		"AccessKeyId":  s.opts.AccessKeyID,
		"PhoneNumbers": strings.TrimPrefix(msg.To, "+"),
		"SignName":     s.opts.SignName,
		"TemplateCode": code,
	}
	if len(msg.Params) > 0 {
		tp, err := json.Marshal(msg.Params)
		if err != nil {
			return core.Internal(fmt.Errorf("sms.aliyun: encoding params: %w", err))
		}
		params["TemplateParam"] = string(tp)
	}
	return s.retry.Do(ctx, func(ctx context.Context) error { return s.call(ctx, params) })
}

// call makes one signed SendSms request. Each call signs anew: a retry
// needs a fresh SignatureNonce and Timestamp.
func (s *sender) call(ctx context.Context, params map[string]string) error {
	q := make(map[string]string, len(params)+6)
	for k, v := range params {
		q[k] = v
	}
	q["SignatureMethod"] = "HMAC-SHA1"
	q["SignatureVersion"] = "1.0"
	q["SignatureNonce"] = nonce()
	q["Timestamp"] = s.now().UTC().Format("2006-01-02T15:04:05Z")
	q["Signature"] = sign(http.MethodGet, q, s.opts.AccessKeySecret)

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.endpoint+"?"+canonicalQuery(q), nil)
	if err != nil {
		return smskit.Misconfigured(Name, "building the request: %v", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := smskit.Do(s.client, Name, req)
	if err != nil {
		return err
	}
	var body struct {
		Code      string `json:"Code"`
		Message   string `json:"Message"`
		RequestID string `json:"RequestId"`
		BizID     string `json:"BizId"`
	}
	if err := json.Unmarshal(resp.Body, &body); err != nil || body.Code == "" {
		return smskit.Misconfigured(Name, "unexpected answer from %s (HTTP %d): %s (check endpoint)", s.endpoint, resp.Status, smskit.Snippet(resp.Body))
	}
	if body.Code == "OK" {
		return nil
	}
	return classify(resp.Status, body.Code, body.Message, body.RequestID)
}

// classify maps a Dysms error code to the contract's codes.
func classify(status int, code, message, requestID string) error {
	cause := fmt.Errorf("SendSms: HTTP %d %s: %s (RequestId %s)", status, code, message, requestID)
	switch {
	case code == "isv.BUSINESS_LIMIT_CONTROL", code == "isv.DAY_LIMIT_CONTROL", code == "isv.MONTH_LIMIT_CONTROL":
		return smskit.Limited(Name, cause)
	case code == "isv.MOBILE_NUMBER_ILLEGAL", code == "isv.DOMESTIC_NUMBER_NOT_SUPPORTED":
		return smskit.InvalidNumber(Name, cause)
	case code == "isv.BLACK_KEY_CONTROL_LIMIT", code == "isv.PARAM_LENGTH_LIMIT", code == "isv.PARAM_NOT_SUPPORT_URL":
		return smskit.Rejected(Name, "the text message service refused the message content", cause)
	case strings.HasPrefix(code, "Throttling"), code == "ServiceUnavailable", code == "isp.SYSTEM_ERROR", code == "InternalError", code == "isp.GATEWAY_ERROR":
		return smskit.Unavailable(Name, cause)
	case code == "SignatureDoesNotMatch", code == "IncompleteSignature":
		return smskit.Misconfigured(Name, "%v: the signature was refused; check accessKeySecret", cause)
	case strings.HasPrefix(code, "InvalidAccessKeyId"):
		return smskit.Misconfigured(Name, "%v: check accessKeyId and that the key is enabled", cause)
	case strings.HasPrefix(code, "InvalidTimeStamp"):
		return smskit.Misconfigured(Name, "%v: check the server clock", cause)
	case code == "isv.SMS_SIGNATURE_ILLEGAL", code == "isv.SMS_SIGN_ILLEGAL":
		return smskit.Misconfigured(Name, "%v: check signName is an approved signature", cause)
	case code == "isv.SMS_TEMPLATE_ILLEGAL", code == "isv.TEMPLATE_MISSING_PARAMETERS", code == "isv.INVALID_JSON_PARAM", code == "isv.TEMPLATE_PARAMS_ILLEGAL":
		return smskit.Misconfigured(Name, "%v: check templates names approved templates whose variables match the message params", cause)
	case code == "isv.AMOUNT_NOT_ENOUGH", code == "isv.OUT_OF_SERVICE", code == "isv.ACCOUNT_ABNORMAL", code == "isv.ACCOUNT_NOT_EXISTS", code == "isv.PRODUCT_UN_SUBSCRIPT", code == "isv.PRODUCT_UNSUBSCRIBE", code == "isp.RAM_PERMISSION_DENY":
		return smskit.Misconfigured(Name, "%v: check the Alibaba Cloud account, its balance and the key's permissions", cause)
	}
	return smskit.Misconfigured(Name, "%v", cause)
}

// sign computes the RPC signature: Base64(HMAC-SHA1(secret+"&",
// method&%2F&percentEncode(canonicalQuery))). The Signature parameter, if
// present, is left out.
func sign(method string, params map[string]string, secret string) string {
	unsigned := make(map[string]string, len(params))
	for k, v := range params {
		if k != "Signature" {
			unsigned[k] = v
		}
	}
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(stringToSign(method, unsigned)))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func stringToSign(method string, params map[string]string) string {
	return method + "&" + percentEncode("/") + "&" + percentEncode(canonicalQuery(params))
}

// canonicalQuery sorts the parameters by name and joins them as
// name=value with &, both percent-encoded.
func canonicalQuery(params map[string]string) string {
	var b strings.Builder
	for i, k := range slices.Sorted(maps.Keys(params)) {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(percentEncode(k))
		b.WriteByte('=')
		b.WriteString(percentEncode(params[k]))
	}
	return b.String()
}

// percentEncode is RFC 3986 encoding of UTF-8 bytes as Alibaba Cloud
// requires: A-Z a-z 0-9 - _ . ~ stay, every other byte is %XY with
// upper-case hex (so a space is %20, never +).
func percentEncode(s string) string {
	const hexdigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexdigits[c>>4])
		b.WriteByte(hexdigits[c&15])
	}
	return b.String()
}

func nonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
