// Package aliyunfake runs a local stand-in for Alibaba Cloud's Dysms
// SendSms API that checks requests the way the real service does, for the
// aliyun provider's tests and for end-to-end tests of phone login:
//
//	fake := aliyunfake.New(t)
//	// config: sms: {provider: aliyun, aliyun: fake.Options()}
//	// ... request a login code ...
//	code := fake.Sent()[0].Content // "【Switchboard】Your code is 123456 ..."
//
// It verifies the RPC signature (HMAC-SHA1 over the canonicalized query,
// keyed with the AccessKey secret and "&"), the AccessKey ID, the
// Timestamp window and the SignatureNonce's uniqueness, then the signature
// name, template code, template variables and phone number, answering each
// failure with Dysms's own error code and HTTP status. It records what it
// delivers and can be told to fail transiently, throttle, stall or apply
// per-number flow control (see smstest.Remote).
package aliyunfake

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/adapters/sms/internal/fakekit"
	"github.com/switchboardhq/switchboard/adapters/sms/smstest"
)

// Credentials and names the fake accepts.
const (
	AccessKeyID = "LTAI5tFakeAccessKey"
	SignName    = "Switchboard"
)

// Templates are the fake's approved templates by code; Options maps the
// purposes login, signup and verify to them.
var Templates = map[string]string{
	"SMS_100000001": "Your login code is ${code}. It expires in ${ttl} minutes.",
	"SMS_100000002": "Your sign-up code is ${code}. It expires in ${ttl} minutes.",
	"SMS_100000003": "Your verification code is ${code}.",
}

// Server is a running fake.
type Server struct {
	*fakekit.Control
	srv    *httptest.Server
	secret string

	mu     sync.Mutex
	nonces map[string]bool
}

// New starts a fake, closed when tb ends.
func New(tb testing.TB) *Server {
	s := &Server{Control: fakekit.New(), secret: fakekit.RandomHex(15), nonces: map[string]bool{}}
	s.srv = s.Start(tb, http.HandlerFunc(s.serve))
	return s
}

// URL is the fake's endpoint.
func (s *Server) URL() string { return s.srv.URL + "/" }

// Secret is the AccessKey secret the fake expects.
func (s *Server) Secret() string { return s.secret }

// Options returns an sms.aliyun config section pointing at the fake.
func (s *Server) Options() map[string]any {
	return map[string]any{
		"accessKeyId":     AccessKeyID,
		"accessKeySecret": s.secret,
		"signName":        SignName,
		"endpoint":        s.URL(),
		"templates":       map[string]any{"login": "SMS_100000001", "signup": "SMS_100000002", "verify": "SMS_100000003"},
	}
}

// popError answers with the gateway's error body.
func popError(w http.ResponseWriter, status int, code, message string) {
	fakekit.WriteJSON(w, status, map[string]string{
		"RequestId": requestID(), "HostId": "dysmsapi.aliyuncs.com", "Code": code, "Message": message,
		"Recommend": "https://api.aliyun.com/troubleshoot?q=" + code + "&product=Dysmsapi",
	})
}

// bizError answers a SendSms refusal, which Dysms sends with HTTP 200.
func bizError(w http.ResponseWriter, code, message string) {
	fakekit.WriteJSON(w, http.StatusOK, map[string]string{"RequestId": requestID(), "Code": code, "Message": message})
}

func requestID() string {
	h := strings.ToUpper(fakekit.RandomHex(16))
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	failure, ok := s.Begin(w, r)
	if !ok {
		return
	}
	if failure == smstest.Failing {
		popError(w, http.StatusServiceUnavailable, "ServiceUnavailable", "The request has failed due to a temporary failure of the server.")
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		popError(w, http.StatusBadRequest, "UnsupportedHTTPMethod", "This http method is not supported.")
		return
	}
	if r.URL.Path != "/" {
		popError(w, http.StatusNotFound, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
		return
	}
	if err := r.ParseForm(); err != nil {
		popError(w, http.StatusBadRequest, "InvalidParameter", "The request could not be parsed.")
		return
	}
	q := r.Form
	for _, p := range []string{"AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp", "Action", "Version"} {
		if q.Get(p) == "" {
			popError(w, http.StatusBadRequest, "Missing"+p, "The input parameter \""+p+"\" that is mandatory for processing this request is not supplied.")
			return
		}
	}
	switch {
	case q.Get("SignatureMethod") != "HMAC-SHA1":
		popError(w, http.StatusBadRequest, "InvalidSignatureMethod", "Specified signature method is not supported.")
		return
	case q.Get("SignatureVersion") != "1.0":
		popError(w, http.StatusBadRequest, "UnsupportedSignatureVersion", "Specified signature version is not supported.")
		return
	case q.Get("AccessKeyId") != AccessKeyID:
		popError(w, http.StatusNotFound, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
		return
	}
	ts, err := time.Parse("2006-01-02T15:04:05Z", q.Get("Timestamp"))
	if err != nil {
		popError(w, http.StatusBadRequest, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.")
		return
	}
	if d := time.Since(ts); d > 15*time.Minute || d < -15*time.Minute {
		popError(w, http.StatusBadRequest, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
		return
	}
	if toSign := stringToSign(r.Method, q); !validSignature(toSign, q.Get("Signature"), s.secret) {
		popError(w, http.StatusBadRequest, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation. server string to sign is:"+toSign)
		return
	}
	s.mu.Lock()
	used := s.nonces[q.Get("SignatureNonce")]
	s.nonces[q.Get("SignatureNonce")] = true
	s.mu.Unlock()
	if used {
		popError(w, http.StatusBadRequest, "SignatureNonceUsed", "Specified signature nonce was used already.")
		return
	}
	if q.Get("Action") != "SendSms" {
		popError(w, http.StatusNotFound, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
		return
	}
	if q.Get("Version") != "2017-05-25" {
		popError(w, http.StatusNotFound, "InvalidVersion", "Specified parameter Version is not valid.")
		return
	}
	if failure == smstest.Throttled {
		popError(w, http.StatusBadRequest, "Throttling.User", "Request was denied due to user flow control.")
		return
	}
	s.sendSms(w, q)
}

var variable = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`)

func (s *Server) sendSms(w http.ResponseWriter, q url.Values) {
	if q.Get("SignName") != SignName {
		bizError(w, "isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名")
		return
	}
	tmpl, ok := Templates[q.Get("TemplateCode")]
	if !ok {
		bizError(w, "isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板")
		return
	}
	vars := map[string]string{}
	if tp := q.Get("TemplateParam"); tp != "" {
		if err := json.Unmarshal([]byte(tp), &vars); err != nil {
			bizError(w, "isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
			return
		}
	}
	for _, m := range variable.FindAllStringSubmatch(tmpl, -1) {
		if _, ok := vars[m[1]]; !ok {
			bizError(w, "isv.TEMPLATE_MISSING_PARAMETERS", "模版缺少变量")
			return
		}
	}
	numbers := strings.Split(q.Get("PhoneNumbers"), ",")
	if len(numbers) != 1 {
		bizError(w, "isv.MOBILE_COUNT_OVER_LIMIT", "手机号码数量超过限制") // the provider sends one at a time
		return
	}
	to, ok := normalize(numbers[0])
	if !ok {
		bizError(w, "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
		return
	}
	if !s.Take(to) {
		bizError(w, "isv.BUSINESS_LIMIT_CONTROL", "触发号码天级流控Permits:1")
		return
	}
	s.Record(to, "【"+SignName+"】"+variable.ReplaceAllStringFunc(tmpl, func(v string) string {
		return vars[variable.FindStringSubmatch(v)[1]]
	}))
	fakekit.WriteJSON(w, http.StatusOK, map[string]string{
		"RequestId": requestID(), "BizId": strings.ToUpper(fakekit.RandomHex(8)) + "^0", "Code": "OK", "Message": "OK",
	})
}

// normalize turns a PhoneNumbers entry into E.164 as Dysms reads it:
// "+86…", "0086…", "86…" or a bare 11-digit mainland number, or an
// international number as country code and number.
func normalize(n string) (string, bool) {
	n = strings.TrimPrefix(n, "+")
	n = strings.TrimPrefix(n, "00")
	if len(n) == 11 && n[0] == '1' {
		n = "86" + n
	}
	e164 := "+" + n
	return e164, fakekit.ValidNumber(e164)
}

// stringToSign rebuilds the string the client signed from the parameters
// as received, the way Alibaba Cloud's documentation describes it: encode
// with the form encoder, then turn + into %20, * into %2A and %7E back
// into ~.
func stringToSign(method string, q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		if k != "Signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	pairs := make([]string, len(keys))
	for i, k := range keys {
		pairs[i] = popEncode(k) + "=" + popEncode(q.Get(k))
	}
	return method + "&" + popEncode("/") + "&" + popEncode(strings.Join(pairs, "&"))
}

func popEncode(s string) string {
	s = url.QueryEscape(s)
	return strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~").Replace(s)
}

func validSignature(toSign, got, secret string) bool {
	sig, err := base64.StdEncoding.DecodeString(got)
	if err != nil {
		return false
	}
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(toSign))
	return hmac.Equal(sig, mac.Sum(nil))
}
