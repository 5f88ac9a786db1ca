// Package fcmfake runs a local stand-in for the FCM HTTP v1 API (POST
// /v1/projects/{project}/messages:send) that the Firebase Admin SDK reaches
// through its endpoint option, without authentication:
//
//	fake := fcmfake.New(t)
//	// config: push: {fcm: fake.Options()}
//	dev := fake.Token(7) // a registration token the fake knows
//
// It validates the message as FCM does (exactly one target, string data
// values, a ttl such as "3600s", an apns-expiration in the future, at most
// 4096 bytes) and answers with FCM's Google API error bodies and their
// FcmError details: 404 UNREGISTERED for a token it does not know, 400
// INVALID_ARGUMENT, 403 PERMISSION_DENIED for another project, 429
// QUOTA_EXCEEDED with Retry-After over its rate limit, 500 INTERNAL when
// told to fail. It can also stall or drop connections (see
// pushtest.Remote).
package fcmfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/adapters/push/internal/pushfake"
	"github.com/switchboardhq/switchboard/adapters/push/pushtest"
)

// Server is a running fake.
type Server struct {
	*pushfake.Control
	srv     *httptest.Server
	project string
	prefix  string
	ids     atomic.Int64
}

// New starts a fake, closed when tb ends.
func New(tb testing.TB) *Server {
	s := &Server{Control: pushfake.New(), project: "sb-" + pushfake.RandomHex(4), prefix: "f" + pushfake.RandomHex(4)}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.Serve(tb, s.srv)
	return s
}

// Project is the Firebase project the fake serves.
func (s *Server) Project() string { return s.project }

// Options returns a push.fcm config section pointing at the fake.
func (s *Server) Options() map[string]any {
	return map[string]any{"projectId": s.project, "endpoint": s.srv.URL + "/v1", "unauthenticated": true}
}

// Token returns the i-th registration token the fake knows.
func (s *Server) Token(i int) string { return fmt.Sprintf("%s:APA91b%016x", s.prefix, i) }

// UnknownToken returns a well-formed token the fake reports as unregistered.
func (s *Server) UnknownToken(i int) string { return fmt.Sprintf("e00:APA91b%016x", i) }

// googleError answers with a Google API error, with an FcmError detail when
// fcmCode is set.
func googleError(w http.ResponseWriter, status int, grpcStatus, message, fcmCode string) {
	e := map[string]any{"code": status, "message": message, "status": grpcStatus}
	if fcmCode != "" {
		e["details"] = []any{map[string]any{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": fcmCode}}
	}
	pushfake.WriteJSON(w, status, map[string]any{"error": e})
}

type message struct {
	Token        string                        `json:"token"`
	Topic        string                        `json:"topic"`
	Condition    string                        `json:"condition"`
	Data         map[string]any                `json:"data"`
	Notification *struct{ Title, Body string } `json:"notification"`
	Android      *struct {
		TTL          string         `json:"ttl"`
		Priority     string         `json:"priority"`
		Notification map[string]any `json:"notification"`
	} `json:"android"`
	APNS *struct {
		Headers map[string]string `json:"headers"`
		Payload map[string]any    `json:"payload"`
	} `json:"apns"`
	Webpush *struct {
		Headers map[string]string `json:"headers"`
	} `json:"webpush"`
}

var ttlForm = regexp.MustCompile(`^[0-9]+(\.[0-9]{1,9})?s$`)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	failure, ok := s.BeginHTTP(w, r)
	if !ok {
		return
	}
	rate := s.Take()
	switch {
	case failure == pushtest.Failing:
		googleError(w, http.StatusInternalServerError, "INTERNAL", "Internal error encountered.", "INTERNAL")
		return
	case failure == pushtest.Throttled || !rate.Allowed:
		w.Header().Set("Retry-After", rate.RetryAfter())
		googleError(w, http.StatusTooManyRequests, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Send requests'.", "QUOTA_EXCEEDED")
		return
	}
	project, found := strings.CutPrefix(r.URL.Path, "/v1/projects/")
	project, found2 := strings.CutSuffix(project, "/messages:send")
	if !found || !found2 || r.Method != http.MethodPost {
		googleError(w, http.StatusNotFound, "NOT_FOUND", "The requested URL was not found on this server.", "")
		return
	}
	if project != s.project {
		googleError(w, http.StatusForbidden, "PERMISSION_DENIED", fmt.Sprintf("Permission 'cloudmessaging.messages.create' denied on resource '//cloudresourcemanager.googleapis.com/projects/%s' (or it may not exist).", project), "")
		return
	}
	var req struct {
		ValidateOnly bool     `json:"validate_only"`
		Message      *message `json:"message"`
	}
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(&req); err != nil || req.Message == nil {
		googleError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid JSON payload received.", "INVALID_ARGUMENT")
		return
	}
	m := req.Message
	if msg := check(m); msg != "" {
		googleError(w, http.StatusBadRequest, "INVALID_ARGUMENT", msg, "INVALID_ARGUMENT")
		return
	}
	if !strings.HasPrefix(m.Token, s.prefix+":") {
		googleError(w, http.StatusNotFound, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED")
		return
	}
	if !req.ValidateOnly {
		s.Record(received(m))
	}
	pushfake.WriteJSON(w, http.StatusOK, map[string]any{"name": fmt.Sprintf("projects/%s/messages/%d", s.project, 1700000000000000+s.ids.Add(1))})
}

// check validates a message as FCM does; "" when it is fine.
func check(m *message) string {
	targets := 0
	for _, t := range []string{m.Token, m.Topic, m.Condition} {
		if t != "" {
			targets++
		}
	}
	if targets != 1 {
		return "Exactly one of token, topic or condition must be specified."
	}
	for k, v := range m.Data {
		if _, ok := v.(string); !ok {
			return fmt.Sprintf("Invalid value at 'message.data[%s].value' (TYPE_STRING)", k)
		}
		if k == "from" || k == "notification" || k == "message_type" || strings.HasPrefix(k, "google") || strings.HasPrefix(k, "gcm") {
			return "Invalid data payload key: " + k
		}
	}
	if m.Android != nil && m.Android.TTL != "" && !ttlForm.MatchString(m.Android.TTL) {
		return "Invalid value at 'message.android.ttl' (type.googleapis.com/google.protobuf.Duration), Field 'ttl', Illegal duration format"
	}
	if m.APNS != nil {
		if exp, ok := m.APNS.Headers["apns-expiration"]; ok {
			if _, err := strconv.ParseInt(exp, 10, 64); err != nil {
				return "Invalid APNs header apns-expiration"
			}
		}
	}
	if b, _ := json.Marshal(m); len(b) > 4096+200 {
		return "Message is too big"
	}
	return ""
}

func received(m *message) pushtest.Received {
	rc := pushtest.Received{Token: m.Token, TTL: -1, Custom: map[string]any{}}
	if m.Notification != nil {
		rc.Alert, rc.Title = m.Notification.Body, m.Notification.Title
	}
	for k, v := range m.Data {
		rc.Custom[k] = v
	}
	switch {
	case m.Android != nil && m.Android.TTL != "":
		secs, _ := strconv.ParseFloat(strings.TrimSuffix(m.Android.TTL, "s"), 64)
		rc.TTL = int(secs)
	case m.Webpush != nil && m.Webpush.Headers["TTL"] != "":
		rc.TTL, _ = strconv.Atoi(m.Webpush.Headers["TTL"])
	case m.APNS != nil && m.APNS.Headers["apns-expiration"] != "":
		exp, _ := strconv.ParseInt(m.APNS.Headers["apns-expiration"], 10, 64)
		rc.TTL = int(time.Until(time.Unix(exp, 0)).Seconds())
	}
	if m.APNS != nil {
		if aps, ok := m.APNS.Payload["aps"].(map[string]any); ok && aps["badge"] != nil {
			rc.Badge = fmt.Sprint(aps["badge"])
		}
	}
	return rc
}
