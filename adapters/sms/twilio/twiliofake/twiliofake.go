// Package twiliofake runs a local stand-in for Twilio's Messages REST API
// (POST /2010-04-01/Accounts/{AccountSid}/Messages.json) that checks
// requests the way Twilio does, for the twilio provider's tests and for
// end-to-end tests of phone login:
//
//	fake := twiliofake.New(t)
//	// config: sms: {provider: twilio, twilio: fake.Options()}
//	text := fake.Sent()[0].Content // the message's Body
//
// It checks HTTP Basic auth (account SID and auth token; 401 with code
// 20003 otherwise), the account in the path (404, 20404), the form fields
// To, Body and From or MessagingServiceSid, and answers like Twilio: 201
// with the Message resource, or Twilio's JSON error body with its code
// (21211 invalid To, 21602 no Body, 21606 unknown From, 21611 sender queue
// full, 20429 too many requests, ...). It records what it delivers and can
// be told to fail transiently, throttle (optionally with a Retry-After
// header), stall or fill the sender's queue (see smstest.Remote).
package twiliofake

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/switchboardhq/switchboard/adapters/sms/internal/fakekit"
	"github.com/switchboardhq/switchboard/adapters/sms/smstest"
)

// The sender the fake's account owns.
const From = "+15005550006"

// Server is a running fake.
type Server struct {
	*fakekit.Control
	srv        *httptest.Server
	accountSID string
	authToken  string
	serviceSID string

	mu         sync.Mutex
	retryAfter string
}

// New starts a fake, closed when tb ends.
func New(tb testing.TB) *Server {
	s := &Server{
		Control:    fakekit.New(),
		accountSID: "AC" + fakekit.RandomHex(16),
		authToken:  fakekit.RandomHex(16),
		serviceSID: "MG" + fakekit.RandomHex(16),
	}
	s.srv = s.Start(tb, http.HandlerFunc(s.serve))
	return s
}

// URL is the fake's API base URL.
func (s *Server) URL() string { return s.srv.URL }

// AccountSID is the fake's account.
func (s *Server) AccountSID() string { return s.accountSID }

// AuthToken is the account's auth token.
func (s *Server) AuthToken() string { return s.authToken }

// MessagingServiceSID is a Messaging Service of the account.
func (s *Server) MessagingServiceSID() string { return s.serviceSID }

// RetryAfter sets the Retry-After header sent with 429 answers ("" for
// none, which is what Twilio usually sends).
func (s *Server) RetryAfter(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.retryAfter = v
}

// Options returns an sms.twilio config section pointing at the fake.
func (s *Server) Options() map[string]any {
	return map[string]any{"accountSid": s.accountSID, "authToken": s.authToken, "from": From, "endpoint": s.URL()}
}

// twilioError answers with Twilio's error body.
func twilioError(w http.ResponseWriter, status, code int, message string) {
	fakekit.WriteJSON(w, status, map[string]any{
		"code": code, "message": message, "more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code), "status": status,
	})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	failure, ok := s.Begin(w, r)
	if !ok {
		return
	}
	if failure == smstest.Failing {
		twilioError(w, http.StatusServiceUnavailable, 20503, "Service Unavailable")
		return
	}
	user, pass, hasAuth := r.BasicAuth()
	if !hasAuth || user != s.accountSID || subtle.ConstantTimeCompare([]byte(pass), []byte(s.authToken)) != 1 {
		w.Header().Set("WWW-Authenticate", `Basic realm="Twilio API"`)
		twilioError(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	if r.URL.Path != "/2010-04-01/Accounts/"+s.accountSID+"/Messages.json" {
		twilioError(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
		return
	}
	if r.Method != http.MethodPost {
		twilioError(w, http.StatusMethodNotAllowed, 20004, "Method not allowed")
		return
	}
	if failure == smstest.Throttled {
		s.mu.Lock()
		if s.retryAfter != "" {
			w.Header().Set("Retry-After", s.retryAfter)
		}
		s.mu.Unlock()
		twilioError(w, http.StatusTooManyRequests, 20429, "Too Many Requests")
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		twilioError(w, http.StatusBadRequest, 21604, "A 'To' phone number is required.")
		return
	}
	if err := r.ParseForm(); err != nil {
		twilioError(w, http.StatusBadRequest, 20001, "Unable to parse the request body")
		return
	}
	to, body, from, service := r.PostForm.Get("To"), r.PostForm.Get("Body"), r.PostForm.Get("From"), r.PostForm.Get("MessagingServiceSid")
	switch {
	case to == "":
		twilioError(w, http.StatusBadRequest, 21604, "A 'To' phone number is required.")
		return
	case from == "" && service == "":
		twilioError(w, http.StatusBadRequest, 21603, "A 'From' phone number is required.")
		return
	case from != "" && from != From:
		twilioError(w, http.StatusBadRequest, 21606, "The From phone number "+from+" is not a valid, SMS-capable inbound phone number or short code for your account.")
		return
	case from == "" && service != s.serviceSID:
		twilioError(w, http.StatusBadRequest, 21705, "The Messaging Service Sid "+service+" is invalid.")
		return
	case !fakekit.ValidNumber(to):
		twilioError(w, http.StatusBadRequest, 21211, "Invalid 'To' Phone Number: "+to)
		return
	case body == "":
		twilioError(w, http.StatusBadRequest, 21602, "Message body is required.")
		return
	case utf8.RuneCountInString(body) > 1600:
		twilioError(w, http.StatusBadRequest, 21617, "The concatenated message body exceeds the 1600 character limit.")
		return
	}
	sender := from + service
	if !s.Take(sender) {
		twilioError(w, http.StatusBadRequest, 21611, "This 'From' number has exceeded the maximum number of queued messages")
		return
	}
	s.Record(to, body)
	sid := "SM" + fakekit.RandomHex(16)
	now := time.Now().UTC().Format(time.RFC1123Z)
	resource := map[string]any{
		"sid": sid, "account_sid": s.accountSID, "to": to, "body": body, "status": "queued",
		"direction": "outbound-api", "api_version": "2010-04-01", "num_segments": "1", "num_media": "0",
		"date_created": now, "date_updated": now, "date_sent": nil, "price": nil, "price_unit": "USD",
		"error_code": nil, "error_message": nil,
		"uri": "/2010-04-01/Accounts/" + s.accountSID + "/Messages/" + sid + ".json",
	}
	if from != "" {
		resource["from"], resource["messaging_service_sid"] = from, nil
	} else {
		resource["from"], resource["messaging_service_sid"] = nil, service
	}
	fakekit.WriteJSON(w, http.StatusCreated, resource)
}
