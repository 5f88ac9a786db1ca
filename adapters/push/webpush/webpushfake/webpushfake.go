// Package webpushfake runs a local Web Push service (the endpoint side of
// RFC 8030) over TLS that decrypts what it receives, for the webpush
// provider's tests:
//
//	fake := webpushfake.New(t)
//	// config: push: {webpush: fake.Options()}
//	dev := fake.Subscription(7) // a PushSubscription (JSON) it serves
//
// Each subscription has its own P-256 key pair and auth secret, as a
// browser's does. The fake checks the VAPID Authorization header (vapid
// t=JWT, k=key: k must be the application server key the options carry,
// the ES256 JWT must verify with it, aud must be the endpoint's origin, exp
// in the next 24 hours and sub a mailto: or https URL; 401 otherwise),
// requires Content-Encoding aes128gcm and a TTL header, and decrypts the
// body (RFC 8291: ECDH with the subscription key, HKDF with the auth
// secret, AES-128-GCM, padding delimiter) before it records the
// notification; a body it cannot decrypt is 400. It answers 201, 410 for a
// subscription it has dropped, 413 over 4096 bytes, 429 with Retry-After
// over its rate limit, 503 when told to fail, with autopush's error body.
package webpushfake

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	wp "github.com/SherClockHolmes/webpush-go"
	"github.com/golang-jwt/jwt/v5"

	"github.com/switchboardhq/switchboard/adapters/push/internal/pushfake"
	"github.com/switchboardhq/switchboard/adapters/push/pushtest"
)

// Server is a running fake.
type Server struct {
	*pushfake.Control
	srv        *httptest.Server
	caFile     string
	vapidPub   string
	vapidPriv  string
	vapidPoint []byte

	mu   sync.Mutex
	subs map[string]*ua // endpoint path -> the browser's keys
}

// ua is one subscribed browser's secrets.
type ua struct {
	key  *ecdh.PrivateKey
	auth []byte
}

// New starts a fake, closed when tb ends.
func New(tb testing.TB) *Server {
	priv, pub, err := wp.GenerateVAPIDKeys()
	if err != nil {
		tb.Fatal(err)
	}
	point, _ := base64.RawURLEncoding.DecodeString(pub)
	s := &Server{Control: pushfake.New(), vapidPub: pub, vapidPriv: priv, vapidPoint: point, subs: map[string]*ua{}}
	s.srv = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	s.Serve(tb, s.srv)
	s.caFile = pushfake.WriteCA(tb, s.srv)
	return s
}

// VAPIDPrivateKey is the application server's private key.
func (s *Server) VAPIDPrivateKey() string { return s.vapidPriv }

// Options returns a push.webpush config section for the fake.
func (s *Server) Options() map[string]any {
	return map[string]any{
		"vapidPublicKey": s.vapidPub, "vapidPrivateKey": s.vapidPriv, "subscriber": "mailto:ops@example.com",
		"caCertFile": s.caFile, "allowPrivateEndpoints": true,
	}
}

// OtherKeys returns a VAPID key pair the subscriptions were not made with.
func OtherKeys(tb testing.TB) (public, private string) {
	priv, pub, err := wp.GenerateVAPIDKeys()
	if err != nil {
		tb.Fatal(err)
	}
	return pub, priv
}

// Endpoint is the i-th subscription's endpoint.
func (s *Server) Endpoint(i int) string { return fmt.Sprintf("%s/push/sub%08d", s.srv.URL, i) }

// Subscription returns the i-th subscription (as a browser would send it)
// and starts serving it.
func (s *Server) Subscription(i int) string { return s.subscribe(s.Endpoint(i), true) }

// UnknownSubscription returns a well-formed subscription the fake answers
// 410 Gone for, as for a browser that unsubscribed.
func (s *Server) UnknownSubscription(i int) string {
	return s.subscribe(fmt.Sprintf("%s/push/gone%08d", s.srv.URL, i), false)
}

func (s *Server) subscribe(endpoint string, live bool) string {
	key, _ := ecdh.P256().GenerateKey(rand.Reader)
	auth := make([]byte, 16)
	_, _ = rand.Read(auth)
	if live {
		u := strings.TrimPrefix(endpoint, s.srv.URL)
		s.mu.Lock()
		s.subs[u] = &ua{key: key, auth: auth}
		s.mu.Unlock()
	}
	b, _ := json.Marshal(map[string]any{"endpoint": endpoint, "keys": map[string]string{
		"p256dh": base64.RawURLEncoding.EncodeToString(key.PublicKey().Bytes()),
		"auth":   base64.RawURLEncoding.EncodeToString(auth),
	}})
	return string(b)
}

// autopushError answers with Mozilla autopush's error body.
func autopushError(w http.ResponseWriter, status, errno int, message string) {
	pushfake.WriteJSON(w, status, map[string]any{"code": status, "errno": errno, "error": http.StatusText(status), "message": message})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	failure, ok := s.BeginHTTP(w, r)
	if !ok {
		return
	}
	rate := s.Take()
	switch {
	case failure == pushtest.Failing:
		autopushError(w, http.StatusServiceUnavailable, 201, "Service Unavailable")
		return
	case failure == pushtest.Throttled || !rate.Allowed:
		w.Header().Set("Retry-After", rate.RetryAfter())
		autopushError(w, http.StatusTooManyRequests, 201, "Too Many Requests")
		return
	}
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/push/") {
		autopushError(w, http.StatusNotFound, 102, "Not Found")
		return
	}
	if err := s.checkVAPID(r); err != nil {
		autopushError(w, http.StatusUnauthorized, 109, "Request did not validate: "+err.Error())
		return
	}
	s.mu.Lock()
	sub := s.subs[r.URL.Path]
	s.mu.Unlock()
	if sub == nil {
		autopushError(w, http.StatusGone, 106, "Subscription is no longer valid")
		return
	}
	ttl, err := strconv.Atoi(r.Header.Get("TTL"))
	if err != nil || ttl < 0 {
		autopushError(w, http.StatusBadRequest, 111, "Missing TTL header")
		return
	}
	if r.Header.Get("Content-Encoding") != "aes128gcm" {
		autopushError(w, http.StatusBadRequest, 110, "Unknown Content-Encoding")
		return
	}
	if u := r.Header.Get("Urgency"); u != "" && u != "very-low" && u != "low" && u != "normal" && u != "high" {
		autopushError(w, http.StatusBadRequest, 110, "Invalid Urgency")
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 4097))
	if len(body) > 4096 {
		autopushError(w, http.StatusRequestEntityTooLarge, 104, "Request body too large")
		return
	}
	plain, err := decrypt(sub, body)
	if err != nil {
		autopushError(w, http.StatusBadRequest, 110, "Could not decrypt the message: "+err.Error())
		return
	}
	var data map[string]any
	if err := json.Unmarshal(plain, &data); err != nil {
		autopushError(w, http.StatusBadRequest, 110, "The payload is not JSON")
		return
	}
	rc := pushtest.Received{Token: "https://" + r.Host + r.URL.Path, TTL: ttl, Custom: map[string]any{}}
	for k, v := range data {
		switch k {
		case "alert":
			rc.Alert, _ = v.(string)
		case "title":
			rc.Title, _ = v.(string)
		case "badge":
			rc.Badge = fmt.Sprint(v)
		default:
			rc.Custom[k] = v
		}
	}
	s.Record(rc)
	w.Header().Set("Location", "https://"+r.Host+"/m/"+pushfake.RandomHex(8))
	w.WriteHeader(http.StatusCreated)
}

// checkVAPID checks the Authorization header (RFC 8292).
func (s *Server) checkVAPID(r *http.Request) error {
	v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "vapid ")
	if !ok {
		return errors.New("missing vapid Authorization")
	}
	var t, k string
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if x, ok := strings.CutPrefix(part, "t="); ok {
			t = x
		} else if x, ok := strings.CutPrefix(part, "k="); ok {
			k = x
		}
	}
	point, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(k, "="))
	if err != nil || !bytes.Equal(point, s.vapidPoint) {
		return errors.New("k is not the application server key of this subscription")
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), point)
	if err != nil {
		return errors.New("k is not a P-256 public key")
	}
	tok, err := jwt.Parse(t, func(tok *jwt.Token) (any, error) { return pub, nil },
		jwt.WithValidMethods([]string{"ES256"}), jwt.WithAudience("https://"+r.Host), jwt.WithExpirationRequired())
	if err != nil {
		return fmt.Errorf("bad JWT: %w", err)
	}
	claims, _ := tok.Claims.(jwt.MapClaims)
	exp, _ := claims.GetExpirationTime()
	if exp == nil || exp.After(time.Now().Add(24*time.Hour)) {
		return errors.New("exp must be within 24 hours")
	}
	sub, _ := claims["sub"].(string)
	if !strings.HasPrefix(sub, "mailto:") && !strings.HasPrefix(sub, "https:") {
		return errors.New("sub must be a mailto: or https: URL")
	}
	return nil
}

// decrypt opens an aes128gcm body (RFC 8188 with the RFC 8291 key
// derivation): header salt(16) rs(4) idlen(1) keyid(idlen = the sender's
// ephemeral public key), then one record.
func decrypt(sub *ua, body []byte) ([]byte, error) {
	if len(body) < 21 {
		return nil, errors.New("body shorter than the header")
	}
	salt, rs, idlen := body[:16], binary.BigEndian.Uint32(body[16:20]), int(body[20])
	if len(body) < 21+idlen || rs < 18 {
		return nil, errors.New("bad header")
	}
	asPub, err := ecdh.P256().NewPublicKey(body[21 : 21+idlen])
	if err != nil {
		return nil, errors.New("keyid is not a P-256 public key")
	}
	record := body[21+idlen:]
	if uint32(len(record)) > rs {
		return nil, errors.New("more than one record")
	}
	secret, err := sub.key.ECDH(asPub)
	if err != nil {
		return nil, err
	}
	info := append(append([]byte("WebPush: info\x00"), sub.key.PublicKey().Bytes()...), asPub.Bytes()...)
	prkKey, err := hkdf.Extract(sha256.New, secret, sub.auth)
	if err != nil {
		return nil, err
	}
	ikm, err := hkdf.Expand(sha256.New, prkKey, string(info), 32)
	if err != nil {
		return nil, err
	}
	prk, err := hkdf.Extract(sha256.New, ikm, salt)
	if err != nil {
		return nil, err
	}
	cek, err := hkdf.Expand(sha256.New, prk, "Content-Encoding: aes128gcm\x00", 16)
	if err != nil {
		return nil, err
	}
	nonce, err := hkdf.Expand(sha256.New, prk, "Content-Encoding: nonce\x00", 12)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	plain, err := gcm.Open(nil, nonce, record, nil)
	if err != nil {
		return nil, errors.New("authentication failed (wrong keys or a tampered body)")
	}
	// Strip the padding: zeros after the last record's delimiter, 0x02.
	end := bytes.LastIndexFunc(plain, func(r rune) bool { return r != 0 })
	if end < 0 || plain[end] != 2 {
		return nil, errors.New("no last-record delimiter")
	}
	return plain[:end], nil
}
