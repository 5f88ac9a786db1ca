// Package tencentfake runs a local stand-in for Tencent Cloud's SMS API
// 3.0 (SendSms, version 2021-01-11) that checks requests the way the real
// service does, for the tencent provider's tests and for end-to-end tests
// of phone login:
//
//	fake := tencentfake.New(t)
//	// config: sms: {provider: tencent, tencent: fake.Options()}
//	code := fake.Sent()[0].Content // "【Switchboard】Your login code is 123456. ..."
//
// It verifies the TC3-HMAC-SHA256 Authorization header by rebuilding the
// canonical request from the headers the client says it signed and the
// body as received, checks the SecretId, the credential scope (UTC date of
// X-TC-Timestamp, service sms), the five-minute timestamp window, the
// action, version and region, then the SdkAppId, signature name, template
// and its parameter count, and the phone number. Failures are answered the
// way Tencent Cloud answers them: HTTP 200 with Response.Error, or a
// per-number SendStatusSet code. It records what it delivers and can be
// told to fail transiently, throttle, stall or apply per-number frequency
// limits (see smstest.Remote).
package tencentfake

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/adapters/sms/internal/fakekit"
	"github.com/switchboardhq/switchboard/adapters/sms/smstest"
)

// Credentials and names the fake accepts.
const (
	SecretID = "AKIDSwitchboardFake0000000000000000"
	SDKAppID = "1400000001"
	SignName = "Switchboard"
)

// Templates are the fake's approved templates by id; Options maps the
// purposes login, signup and verify to them.
var Templates = map[string]string{
	"100001": "Your login code is {1}. It expires in {2} minutes.",
	"100002": "Your sign-up code is {1}. It expires in {2} minutes.",
	"100003": "Your verification code is {1}.",
}

// Regions are the regions the SMS API is served in.
var Regions = map[string]bool{"ap-guangzhou": true, "ap-beijing": true, "ap-nanjing": true}

// Server is a running fake.
type Server struct {
	*fakekit.Control
	srv *httptest.Server
	key string
}

// New starts a fake, closed when tb ends.
func New(tb testing.TB) *Server {
	s := &Server{Control: fakekit.New(), key: fakekit.RandomHex(16)}
	s.srv = s.Start(tb, http.HandlerFunc(s.serve))
	return s
}

// URL is the fake's endpoint.
func (s *Server) URL() string { return s.srv.URL + "/" }

// SecretKey is the SecretKey the fake expects.
func (s *Server) SecretKey() string { return s.key }

// Options returns an sms.tencent config section pointing at the fake.
func (s *Server) Options() map[string]any {
	return map[string]any{
		"secretId":  SecretID,
		"secretKey": s.key,
		"sdkAppId":  SDKAppID,
		"signName":  SignName,
		"endpoint":  s.URL(),
		"templates": map[string]any{
			"login":  map[string]any{"id": "100001", "params": []any{"code", "ttl"}},
			"signup": map[string]any{"id": "100002", "params": []any{"code", "ttl"}},
			"verify": map[string]any{"id": "100003", "params": []any{"code"}},
		},
	}
}

func requestID() string {
	h := fakekit.RandomHex(16)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// apiError answers the way API 3.0 reports every error: HTTP 200 with
// Response.Error.
func apiError(w http.ResponseWriter, code, message string) {
	fakekit.WriteJSON(w, http.StatusOK, map[string]any{"Response": map[string]any{
		"Error":     map[string]string{"Code": code, "Message": message},
		"RequestId": requestID(),
	}})
}

var authHeader = regexp.MustCompile(`^TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d{2}-\d{2})/([a-z]+)/tc3_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$`)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	failure, ok := s.Begin(w, r)
	if !ok {
		return
	}
	if failure == smstest.Failing {
		apiError(w, "InternalError", "An internal error has occurred. Retry your request, but if the problem persists, contact us.")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		apiError(w, "InvalidRequest", "Only POST / is served by this fake.")
		return
	}
	if code, msg := s.authenticate(r, body); code != "" {
		apiError(w, code, msg)
		return
	}
	switch {
	case r.Header.Get("X-TC-Action") != "SendSms":
		apiError(w, "InvalidAction", "The requested action `"+r.Header.Get("X-TC-Action")+"` does not exist.")
		return
	case r.Header.Get("X-TC-Version") != "2021-01-11":
		apiError(w, "NoSuchVersion", "The requested version `"+r.Header.Get("X-TC-Version")+"` of action `SendSms` does not exist.")
		return
	case !Regions[r.Header.Get("X-TC-Region")]:
		apiError(w, "UnsupportedRegion", "The `SendSms` action does not support the region `"+r.Header.Get("X-TC-Region")+"`.")
		return
	case !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json"):
		apiError(w, "InvalidParameter", "The request body must be application/json.")
		return
	}
	if failure == smstest.Throttled {
		apiError(w, "RequestLimitExceeded", "Your current request times exceeds limit, please try again later.")
		return
	}
	s.sendSms(w, body)
}

// authenticate checks the Authorization header and returns the API's
// error code and message for a request that fails it.
func (s *Server) authenticate(r *http.Request, body []byte) (code, message string) {
	m := authHeader.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		return "AuthFailure.InvalidAuthorization", "Authorization header does not follow the TencentCloud standard."
	}
	secretID, date, svc, signedHeaders, signature := m[1], m[2], m[3], m[4], m[5]
	if secretID != SecretID {
		return "AuthFailure.SecretIdNotFound", "The SecretId is not found, please ensure that your SecretId is correct."
	}
	ts, err := strconv.ParseInt(r.Header.Get("X-TC-Timestamp"), 10, 64)
	if err != nil {
		return "InvalidParameter", "X-TC-Timestamp is not a valid timestamp."
	}
	if d := time.Since(time.Unix(ts, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return "AuthFailure.SignatureExpire", fmt.Sprintf("Signature expired. Timestamp(%d) is invalid, the server time is %d.", ts, time.Now().Unix())
	}
	if date != time.Unix(ts, 0).UTC().Format("2006-01-02") || svc != "sms" {
		return "AuthFailure.SignatureFailure", "The provided credentials could not be validated because of the credential scope."
	}
	names := strings.Split(signedHeaders, ";")
	if !contains(names, "content-type") || !contains(names, "host") {
		return "AuthFailure.SignatureFailure", "content-type and host must be signed."
	}
	var canonical bytes.Buffer
	fmt.Fprintf(&canonical, "%s\n/\n%s\n", r.Method, r.URL.RawQuery)
	for _, name := range names {
		v := r.Header.Get(name)
		if name == "host" {
			v = r.Host
		}
		fmt.Fprintf(&canonical, "%s:%s\n", name, strings.ToLower(strings.TrimSpace(v)))
	}
	payloadHash := sha256.Sum256(body)
	fmt.Fprintf(&canonical, "\n%s\n%s", signedHeaders, hex.EncodeToString(payloadHash[:]))
	requestHash := sha256.Sum256(canonical.Bytes())
	toSign := fmt.Sprintf("TC3-HMAC-SHA256\n%d\n%s/%s/tc3_request\n%s", ts, date, svc, hex.EncodeToString(requestHash[:]))
	key := []byte("TC3" + s.key)
	for _, part := range []string{date, svc, "tc3_request"} {
		key = mac(key, part)
	}
	got, _ := hex.DecodeString(signature)
	if !hmac.Equal(got, mac(key, toSign)) {
		return "AuthFailure.SignatureFailure", "The provided credentials could not be validated. Please check your signature is correct."
	}
	return "", ""
}

func mac(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var placeholder = regexp.MustCompile(`\{(\d+)\}`)

func (s *Server) sendSms(w http.ResponseWriter, body []byte) {
	var req struct {
		PhoneNumberSet   []string
		SmsSdkAppId      string
		SignName         string
		TemplateId       string
		TemplateParamSet []string
		ExtendCode       string
		SessionContext   string
		SenderId         string
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		apiError(w, "UnknownParameter", "The request body could not be decoded: "+err.Error())
		return
	}
	switch {
	case len(req.PhoneNumberSet) == 0:
		apiError(w, "MissingParameter", "The request is missing a required parameter `PhoneNumberSet`.")
		return
	case len(req.PhoneNumberSet) > 200:
		apiError(w, "LimitExceeded.PhoneNumberCountLimit", "the number of phone numbers in one request exceeds 200")
		return
	case req.SmsSdkAppId != SDKAppID:
		apiError(w, "InvalidParameterValue.SdkAppIdNotExist", "SdkAppId does not exist.")
		return
	}
	tmpl, ok := Templates[req.TemplateId]
	if !ok {
		apiError(w, "FailedOperation.TemplateIncorrectOrUnapproved", "the template is not approved or its content does not match")
		return
	}
	if n := len(placeholder.FindAllString(tmpl, -1)); n != len(req.TemplateParamSet) {
		apiError(w, "FailedOperation.TemplateParamSetNotMatchApprovedTemplate", fmt.Sprintf("the template takes %d parameters, %d given", n, len(req.TemplateParamSet)))
		return
	}
	type status struct {
		SerialNo, PhoneNumber string
		Fee                   int
		SessionContext        string
		Code, Message         string
		IsoCode               string
	}
	var set []status
	for _, number := range req.PhoneNumberSet {
		to, ok := normalize(number)
		st := status{SerialNo: "2640:" + fakekit.RandomHex(10), PhoneNumber: number, SessionContext: req.SessionContext, IsoCode: "CN"}
		switch {
		case !ok:
			st.Code, st.Message, st.IsoCode = "InvalidParameterValue.IncorrectPhoneNumber", "incorrect phone number", ""
		case strings.HasPrefix(to, "+86") && req.SignName != SignName:
			st.Code, st.Message = "FailedOperation.SignatureIncorrectOrUnapproved", "signature format error or signature not approved"
		case !s.Take(to):
			st.Code, st.Message = "LimitExceeded.PhoneNumberDailyLimit", "the number of SMS messages sent from a single mobile phone number every day exceeds the upper limit"
		default:
			st.Code, st.Message, st.Fee = "Ok", "send success", 1
			text := placeholder.ReplaceAllStringFunc(tmpl, func(p string) string {
				i, _ := strconv.Atoi(placeholder.FindStringSubmatch(p)[1])
				return req.TemplateParamSet[i-1]
			})
			s.Record(to, "【"+req.SignName+"】"+text)
		}
		set = append(set, st)
	}
	fakekit.WriteJSON(w, http.StatusOK, map[string]any{"Response": map[string]any{"SendStatusSet": set, "RequestId": requestID()}})
}

// normalize reads a PhoneNumberSet entry as Tencent does: E.164, or for
// mainland numbers also 0086, 86 or no prefix.
func normalize(n string) (string, bool) {
	if !strings.HasPrefix(n, "+") {
		n = strings.TrimPrefix(n, "00")
		if len(n) == 11 && n[0] == '1' {
			n = "86" + n
		}
		n = "+" + n
	}
	return n, fakekit.ValidNumber(n)
}
