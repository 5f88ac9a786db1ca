// Package apnsfake runs a local stand-in for the APNs provider API: an
// HTTP/2 TLS server (POST /3/device/{token}) that checks requests the way
// Apple does, for the apns provider's tests:
//
//	fake := apnsfake.New(t)
//	// config: push: {apns: fake.Options()}   (endpoint and caCertFile set)
//	dev := fake.Token(7) // a device token the fake knows
//
// It generates a .p8 signing key and checks the provider token on every
// request: an ES256 JWT with the key's id (kid) and the team (iss), issued
// (iat) within the last hour and signed by that key (403
// MissingProviderToken, InvalidProviderToken or ExpiredProviderToken
// otherwise). It requires HTTP/2, apns-topic equal to the bundle id (400
// MissingTopic, TopicDisallowed), a valid apns-push-type, apns-priority,
// apns-expiration and apns-id, a JSON payload with an aps dictionary of at
// most 4096 bytes (413 PayloadTooLarge), and answers Apple's reasons: 400
// BadDeviceToken for a malformed token, 410 Unregistered with a timestamp
// for one it does not know, 429 TooManyRequests over its rate limit, 500
// InternalServerError when told to fail.
package apnsfake

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v4"

	"github.com/switchboardhq/switchboard/adapters/push/internal/pushfake"
	"github.com/switchboardhq/switchboard/adapters/push/pushtest"
)

// The fake's team, key id and bundle id.
const (
	TeamID = "TEAM123456"
	KeyID  = "KEY1234567"
	Topic  = "com.example.switchboard"
)

// Server is a running fake.
type Server struct {
	*pushfake.Control
	srv    *httptest.Server
	key    *ecdsa.PrivateKey
	keyPEM string
	caFile string
	prefix string
}

// New starts a fake, closed when tb ends.
func New(tb testing.TB) *Server {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	s := &Server{
		Control: pushfake.New(),
		key:     key,
		keyPEM:  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		prefix:  pushfake.RandomHex(4),
	}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.srv.EnableHTTP2 = true
	s.srv.StartTLS()
	s.Serve(tb, s.srv)
	s.caFile = pushfake.WriteCA(tb, s.srv)
	return s
}

// Key is the .p8 signing key's PEM text.
func (s *Server) Key() string { return s.keyPEM }

// Options returns a push.apns config section pointing at the fake.
func (s *Server) Options() map[string]any {
	return map[string]any{"key": s.keyPEM, "keyId": KeyID, "teamId": TeamID, "topic": Topic, "endpoint": s.srv.URL, "caCertFile": s.caFile}
}

// Token returns the i-th device token the fake knows.
func (s *Server) Token(i int) string { return fmt.Sprintf("%s%056x", s.prefix, i) }

// UnknownToken returns a well-formed token the fake reports as
// unregistered.
func (s *Server) UnknownToken(i int) string { return fmt.Sprintf("ffffffff%056x", i) }

// OtherKey returns a .p8 key Apple does not know, for wrong credentials.
func OtherKey(tb testing.TB) string {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func reason(w http.ResponseWriter, status int, why string) {
	body := map[string]any{"reason": why}
	if status == http.StatusGone {
		body["timestamp"] = time.Now().UnixMilli()
	}
	pushfake.WriteJSON(w, status, body)
}

var (
	hexToken = regexp.MustCompile(`^[0-9a-fA-F]{64,200}$`)
	uuidForm = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

var pushTypes = map[string]bool{"alert": true, "background": true, "location": true, "voip": true, "complication": true, "fileprovider": true, "mdm": true, "liveactivity": true, "pushtotalk": true}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	failure, ok := s.BeginHTTP(w, r)
	if !ok {
		return
	}
	id := r.Header.Get("apns-id")
	if id == "" {
		id = strings.ToUpper(pushfake.RandomHex(4)) + "-0000-0000-0000-000000000000"
	}
	w.Header().Set("apns-id", id)
	rate := s.Take()
	switch {
	case failure == pushtest.Failing:
		reason(w, http.StatusInternalServerError, "InternalServerError")
		return
	case failure == pushtest.Throttled || !rate.Allowed:
		reason(w, http.StatusTooManyRequests, "TooManyRequests")
		return
	}
	if r.ProtoMajor != 2 {
		reason(w, http.StatusBadRequest, "BadPath") // APNs speaks HTTP/2 only
		return
	}
	token, found := strings.CutPrefix(r.URL.Path, "/3/device/")
	if !found {
		reason(w, http.StatusNotFound, "BadPath")
		return
	}
	if r.Method != http.MethodPost {
		reason(w, http.StatusMethodNotAllowed, "MethodNotAllowed")
		return
	}
	if status, why := s.checkAuth(r.Header.Get("authorization")); status != 0 {
		reason(w, status, why)
		return
	}
	switch topic := r.Header.Get("apns-topic"); {
	case topic == "":
		reason(w, http.StatusBadRequest, "MissingTopic")
		return
	case topic != Topic:
		reason(w, http.StatusBadRequest, "TopicDisallowed")
		return
	}
	pushType := r.Header.Get("apns-push-type")
	if !pushTypes[pushType] {
		reason(w, http.StatusBadRequest, "InvalidPushType")
		return
	}
	priority := r.Header.Get("apns-priority")
	if priority != "" && priority != "10" && priority != "5" && priority != "1" || pushType == "background" && priority != "5" {
		reason(w, http.StatusBadRequest, "BadPriority")
		return
	}
	if id := r.Header.Get("apns-id"); id != "" && !uuidForm.MatchString(id) {
		reason(w, http.StatusBadRequest, "BadMessageId")
		return
	}
	ttl := -1
	if exp := r.Header.Get("apns-expiration"); exp != "" {
		secs, err := strconv.ParseInt(exp, 10, 64)
		if err != nil || secs < 0 {
			reason(w, http.StatusBadRequest, "BadExpirationDate")
			return
		}
		if secs > 0 {
			ttl = int(time.Until(time.Unix(secs, 0)).Seconds())
		}
	}
	var body map[string]any
	raw, _ := io.ReadAll(io.LimitReader(r.Body, MaxPayload+1))
	n := len(raw)
	switch {
	case n == 0:
		reason(w, http.StatusBadRequest, "PayloadEmpty")
		return
	case n > MaxPayload:
		reason(w, http.StatusRequestEntityTooLarge, "PayloadTooLarge")
		return
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		reason(w, http.StatusBadRequest, "BadRequest")
		return
	}
	aps, ok := body["aps"].(map[string]any)
	if !ok {
		reason(w, http.StatusBadRequest, "BadRequest")
		return
	}
	if !hexToken.MatchString(token) || len(token)%2 != 0 {
		reason(w, http.StatusBadRequest, "BadDeviceToken")
		return
	}
	if _, err := hex.DecodeString(token); err != nil || !strings.HasPrefix(token, s.prefix) {
		reason(w, http.StatusGone, "Unregistered")
		return
	}
	s.Record(received(token, ttl, aps, body))
	w.WriteHeader(http.StatusOK)
}

// MaxPayload is APNs' payload limit.
const MaxPayload = 4096

// checkAuth checks the provider token; 0 when it is fine.
func (s *Server) checkAuth(header string) (int, string) {
	bearer, ok := strings.CutPrefix(header, "bearer ")
	if !ok || bearer == "" {
		return http.StatusForbidden, "MissingProviderToken"
	}
	tok, err := jwt.Parse(bearer, func(t *jwt.Token) (any, error) {
		if t.Method != jwt.SigningMethodES256 {
			return nil, fmt.Errorf("alg %v", t.Header["alg"])
		}
		if t.Header["kid"] != KeyID {
			return nil, fmt.Errorf("kid %v", t.Header["kid"])
		}
		return &s.key.PublicKey, nil
	}, jwt.WithoutClaimsValidation())
	if err != nil || !tok.Valid {
		return http.StatusForbidden, "InvalidProviderToken"
	}
	claims, _ := tok.Claims.(jwt.MapClaims)
	if claims["iss"] != TeamID {
		return http.StatusForbidden, "InvalidProviderToken"
	}
	iat, ok := claims["iat"].(float64)
	if !ok {
		return http.StatusForbidden, "InvalidProviderToken"
	}
	if age := time.Since(time.Unix(int64(iat), 0)); age > time.Hour {
		return http.StatusForbidden, "ExpiredProviderToken"
	} else if age < -time.Minute {
		return http.StatusForbidden, "InvalidProviderToken"
	}
	return 0, ""
}

func received(token string, ttl int, aps, body map[string]any) pushtest.Received {
	rc := pushtest.Received{Token: token, TTL: ttl, Custom: map[string]any{}}
	switch a := aps["alert"].(type) {
	case string:
		rc.Alert = a
	case map[string]any:
		rc.Alert, _ = a["body"].(string)
		rc.Title, _ = a["title"].(string)
	}
	if b, ok := aps["badge"]; ok {
		rc.Badge = fmt.Sprint(b)
	}
	for k, v := range body {
		if k != "aps" {
			rc.Custom[k] = v
		}
	}
	return rc
}
