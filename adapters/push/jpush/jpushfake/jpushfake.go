// Package jpushfake runs a local stand-in for JPush's REST API v3 (POST
// /v3/push, GET /v3/push/cid) that checks requests the way JPush does, for
// the jpush provider's tests, the push benchmark and end-to-end tests:
//
//	fake := jpushfake.New(t)
//	// config: push: {jpush: fake.Options()}
//	dev := fake.RegistrationID(7) // a registration id the fake knows
//
// It checks HTTP Basic auth (appKey:masterSecret; 401 with code 1004
// otherwise), validates the push object (platform, audience with at most
// 1000 registration ids or aliases and 20 tags, notification or message,
// options with time_to_live of at most 10 days, third_party_channel
// vendors, a cid it issued; 400 with code 1002 or 1003 otherwise), refuses
// an oversized notification (1005), answers a push whose audience matches
// no device with 1011 and lists unknown registration ids in illegal_rids.
// A cid used again returns the first push's answer without pushing again.
// Every answer carries X-Rate-Limit-Quota, -Remaining and -Reset; over the
// rate limit it answers 429 with code 2002. It can be told to fail
// transiently (500, code 1000), throttle, stall or drop connections (see
// pushtest.Remote).
package jpushfake

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/switchboardhq/switchboard/adapters/push/internal/pushfake"
	"github.com/switchboardhq/switchboard/adapters/push/pushtest"
)

// Server is a running fake.
type Server struct {
	*pushfake.Control
	srv          *httptest.Server
	appKey       string
	masterSecret string
	prefix       string // registration ids the fake knows start with it

	msgID atomic.Int64

	mu      sync.Mutex
	issued  map[string]bool            // cids handed out
	answers map[string]json.RawMessage // cid -> the first push's answer
	tags    map[string][]string        // tag -> registration ids
	aliases map[string][]string        // alias -> registration ids
}

// New starts a fake, closed when tb ends.
func New(tb testing.TB) *Server {
	s := &Server{
		Control:      pushfake.New(),
		appKey:       pushfake.RandomHex(12),
		masterSecret: pushfake.RandomHex(12),
		prefix:       "1a" + pushfake.RandomHex(3),
		issued:       map[string]bool{},
		answers:      map[string]json.RawMessage{},
		tags:         map[string][]string{},
		aliases:      map[string][]string{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.Serve(tb, s.srv)
	return s
}

// URL is the fake's API base URL.
func (s *Server) URL() string { return s.srv.URL }

// MasterSecret is the app's master secret.
func (s *Server) MasterSecret() string { return s.masterSecret }

// Options returns a push.jpush config section pointing at the fake.
func (s *Server) Options() map[string]any {
	return map[string]any{"appKey": s.appKey, "masterSecret": s.masterSecret, "endpoint": s.URL()}
}

// RegistrationID returns the i-th registration id the fake knows.
func (s *Server) RegistrationID(i int) string { return fmt.Sprintf("%s%011x", s.prefix, i) }

// UnknownRegistrationID returns a well-formed registration id the fake does
// not know.
func (s *Server) UnknownRegistrationID(i int) string { return fmt.Sprintf("0f%015x", i) }

func (s *Server) known(rid string) bool { return strings.HasPrefix(rid, s.prefix) }

// Tag gives registration ids a tag, for audience pushes.
func (s *Server) Tag(tag string, rids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tags[tag] = append(s.tags[tag], rids...)
}

// Alias gives registration ids an alias.
func (s *Server) Alias(alias string, rids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.aliases[alias] = append(s.aliases[alias], rids...)
}

func jpushError(w http.ResponseWriter, status, code int, message string) {
	pushfake.WriteJSON(w, status, map[string]any{"error": map[string]any{"code": code, "message": message}})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	failure, ok := s.BeginHTTP(w, r)
	if !ok {
		return
	}
	rate := s.Take()
	h := w.Header()
	if rate.Limit > 0 {
		h.Set("X-Rate-Limit-Quota", strconv.Itoa(rate.Limit))
		h.Set("X-Rate-Limit-Remaining", strconv.Itoa(rate.Remaining))
		h.Set("X-Rate-Limit-Reset", strconv.Itoa(int(math.Ceil(rate.Reset.Seconds()))))
	} else {
		h.Set("X-Rate-Limit-Quota", "600")
		h.Set("X-Rate-Limit-Remaining", "599")
		h.Set("X-Rate-Limit-Reset", "60")
	}
	switch failure {
	case pushtest.Failing:
		jpushError(w, http.StatusInternalServerError, 1000, "Server Internal error.")
		return
	case pushtest.Throttled:
		h.Set("X-Rate-Limit-Remaining", "0")
		h.Set("X-Rate-Limit-Reset", "1")
		jpushError(w, http.StatusTooManyRequests, 2002, "Rate limit exceeded")
		return
	}
	user, pass, hasAuth := r.BasicAuth()
	if !hasAuth || user != s.appKey || subtle.ConstantTimeCompare([]byte(pass), []byte(s.masterSecret)) != 1 {
		jpushError(w, http.StatusUnauthorized, 1004, "Authen failed")
		return
	}
	if !rate.Allowed {
		jpushError(w, http.StatusTooManyRequests, 2002, "Rate limit exceeded")
		return
	}
	switch {
	case r.URL.Path == "/v3/push/cid" && r.Method == http.MethodGet:
		s.serveCID(w, r)
	case r.URL.Path == "/v3/push" && r.Method == http.MethodPost:
		s.servePush(w, r)
	case r.URL.Path == "/v3/push":
		jpushError(w, http.StatusMethodNotAllowed, 1001, "Only support HTTP Post method")
	default:
		jpushError(w, http.StatusNotFound, 1003, "not found: "+r.URL.Path)
	}
}

func (s *Server) serveCID(w http.ResponseWriter, r *http.Request) {
	count := 1
	if c := r.URL.Query().Get("count"); c != "" {
		n, err := strconv.Atoi(c)
		if err != nil || n < 1 || n > 1000 {
			jpushError(w, http.StatusBadRequest, 1003, "count must be between 1 and 1000")
			return
		}
		count = n
	}
	if t := r.URL.Query().Get("type"); t != "" && t != "push" && t != "schedule" {
		jpushError(w, http.StatusBadRequest, 1003, "type must be push or schedule")
		return
	}
	list := make([]string, count)
	s.mu.Lock()
	for i := range list {
		u := pushfake.RandomHex(16)
		list[i] = fmt.Sprintf("%s-%s-%s-%s-%s-%s", s.appKey, u[:8], u[8:12], u[12:16], u[16:20], u[20:])
		s.issued[list[i]] = true
	}
	s.mu.Unlock()
	pushfake.WriteJSON(w, http.StatusOK, map[string]any{"cidlist": list})
}

// The push object, as far as Switchboard uses it. Unknown keys are refused
// so a typo in the client shows up here rather than as a silently ignored
// option at JPush.
type pushObject struct {
	Platform     json.RawMessage `json:"platform"`
	Audience     json.RawMessage `json:"audience"`
	Notification *notification   `json:"notification"`
	Message      *message        `json:"message"`
	Options      *options        `json:"options"`
	CID          string          `json:"cid"`
}

type notification struct {
	Alert   any      `json:"alert"`
	Android *android `json:"android"`
	IOS     *ios     `json:"ios"`
}

type android struct {
	Alert       *string        `json:"alert"`
	Title       string         `json:"title"`
	BuilderID   int            `json:"builder_id"`
	Category    string         `json:"category"`
	BadgeAddNum *int           `json:"badge_add_num"`
	BadgeSetNum *int           `json:"badge_set_num"`
	Extras      map[string]any `json:"extras"`
}

type ios struct {
	Alert            any            `json:"alert"`
	Sound            string         `json:"sound"`
	Badge            any            `json:"badge"`
	ContentAvailable bool           `json:"content-available"`
	MutableContent   bool           `json:"mutable-content"`
	Category         string         `json:"category"`
	ThreadID         string         `json:"thread-id"`
	Extras           map[string]any `json:"extras"`
}

type message struct {
	MsgContent  string         `json:"msg_content"`
	Title       string         `json:"title"`
	ContentType string         `json:"content_type"`
	Extras      map[string]any `json:"extras"`
}

type options struct {
	SendNo            *int64                    `json:"sendno"`
	TimeToLive        *int64                    `json:"time_to_live"`
	OverrideMsgID     *int64                    `json:"override_msg_id"`
	APNsProduction    *bool                     `json:"apns_production"`
	APNsCollapseID    string                    `json:"apns_collapse_id"`
	BigPushDuration   *int                      `json:"big_push_duration"`
	ThirdPartyChannel map[string]map[string]any `json:"third_party_channel"`
	Classification    *int                      `json:"classification"`
}

type audience struct {
	Tag            []string `json:"tag"`
	TagAnd         []string `json:"tag_and"`
	Alias          []string `json:"alias"`
	RegistrationID []string `json:"registration_id"`
}

var vendors = map[string]bool{"xiaomi": true, "huawei": true, "honor": true, "oppo": true, "vivo": true, "meizu": true, "fcm": true, "hmos": true}

func (s *Server) servePush(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		jpushError(w, http.StatusBadRequest, 1003, "Content-Type must be application/json")
		return
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	var p pushObject
	if err := dec.Decode(&p); err != nil {
		jpushError(w, http.StatusBadRequest, 1003, "Invalid push object: "+err.Error())
		return
	}
	aud, code, msg := s.check(&p)
	if code != 0 {
		jpushError(w, http.StatusBadRequest, code, msg)
		return
	}
	if p.CID != "" {
		s.mu.Lock()
		prev, seen := s.answers[p.CID]
		issued := s.issued[p.CID]
		s.mu.Unlock()
		if !issued {
			jpushError(w, http.StatusBadRequest, 1003, "cid is invalid")
			return
		}
		if seen { // a retry: JPush answers with the first push's result
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(prev)
			return
		}
	}
	targets, illegal := s.resolve(aud)
	if len(targets) == 0 {
		jpushError(w, http.StatusBadRequest, 1011, "cannot find user by this audience or has been inactive for more than 255 days")
		return
	}
	s.record(&p, targets)
	sendno := int64(0)
	if p.Options != nil && p.Options.SendNo != nil {
		sendno = *p.Options.SendNo
	}
	ans := map[string]any{"sendno": strconv.FormatInt(sendno, 10), "msg_id": strconv.FormatInt(54043195000000000+s.msgID.Add(1), 10)}
	if len(illegal) > 0 {
		ans["illegal_rids"] = illegal
	}
	raw, _ := json.Marshal(ans)
	if p.CID != "" {
		s.mu.Lock()
		s.answers[p.CID] = raw
		s.mu.Unlock()
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(raw)
}

// check validates a push object as JPush does; it returns the audience,
// or a JPush error code and message.
func (s *Server) check(p *pushObject) (*audience, int, string) {
	if len(p.Platform) == 0 || len(p.Audience) == 0 {
		return nil, 1002, "Missing parameter: platform and audience are required"
	}
	var platform any
	_ = json.Unmarshal(p.Platform, &platform)
	switch pl := platform.(type) {
	case string:
		if pl != "all" {
			return nil, 1003, "platform must be \"all\" or an array"
		}
	case []any:
		for _, x := range pl {
			if x != "android" && x != "ios" && x != "quickapp" && x != "hmos" {
				return nil, 1003, fmt.Sprintf("unknown platform %v", x)
			}
		}
	default:
		return nil, 1003, "platform must be \"all\" or an array"
	}
	var aud audience
	if bytes.Equal(bytes.TrimSpace(p.Audience), []byte(`"all"`)) {
		return nil, 1003, "broadcast audience is not supported by this fake"
	}
	dec := json.NewDecoder(bytes.NewReader(p.Audience))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&aud); err != nil {
		return nil, 1003, "Invalid audience: " + err.Error()
	}
	switch {
	case len(aud.Tag)+len(aud.TagAnd)+len(aud.Alias)+len(aud.RegistrationID) == 0:
		return nil, 1003, "audience must have at least one of tag, tag_and, alias, registration_id"
	case len(aud.RegistrationID) > 1000:
		return nil, 1003, "registration_id must not exceed 1000 items"
	case len(aud.Alias) > 1000:
		return nil, 1003, "alias must not exceed 1000 items"
	case len(aud.Tag) > 20 || len(aud.TagAnd) > 20:
		return nil, 1003, "tag must not exceed 20 items"
	}
	if p.Notification == nil && p.Message == nil {
		return nil, 1002, "Missing parameter: notification or message is required"
	}
	if n := p.Notification; n != nil {
		if n.Android != nil && n.Android.Alert == nil {
			return nil, 1002, "Missing parameter: notification.android.alert"
		}
		if n.IOS != nil {
			if n.IOS.Alert == nil {
				return nil, 1002, "Missing parameter: notification.ios.alert"
			}
			switch b := n.IOS.Badge.(type) {
			case nil, float64:
			case string:
				if _, err := strconv.Atoi(strings.TrimPrefix(b, "+")); err != nil {
					return nil, 1003, "notification.ios.badge must be a number or \"+n\""
				}
			default:
				return nil, 1003, "notification.ios.badge must be a number or \"+n\""
			}
		}
	}
	if m := p.Message; m != nil && m.MsgContent == "" {
		return nil, 1002, "Missing parameter: message.msg_content"
	}
	if size := jsonLen(p.Notification) + jsonLen(p.Message); size > 4000 {
		return nil, 1005, "Msg content too long"
	}
	if o := p.Options; o != nil {
		if o.TimeToLive != nil && (*o.TimeToLive < 0 || *o.TimeToLive > 864000) {
			return nil, 1003, "options.time_to_live must be between 0 and 864000"
		}
		for vendor, v := range o.ThirdPartyChannel {
			if !vendors[vendor] {
				return nil, 1003, "options.third_party_channel: unknown vendor " + vendor
			}
			if d, ok := v["distribution"]; ok && d != "jpush" && d != "ospush" && d != "secondary_push" && d != "first_ospush" {
				return nil, 1003, fmt.Sprintf("options.third_party_channel.%s.distribution is invalid", vendor)
			}
		}
		if o.Classification != nil && *o.Classification != 0 && *o.Classification != 1 {
			return nil, 1003, "options.classification must be 0 or 1"
		}
	}
	return &aud, 0, ""
}

func jsonLen(v any) int {
	if v == nil {
		return 0
	}
	b, _ := json.Marshal(v)
	return len(b)
}

// resolve returns the known devices an audience matches and the
// registration ids it does not know.
func (s *Server) resolve(aud *audience) (targets, illegal []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var sets [][]string
	if len(aud.RegistrationID) > 0 {
		var known []string
		for _, rid := range aud.RegistrationID {
			if s.known(rid) {
				known = append(known, rid)
			} else {
				illegal = append(illegal, rid)
			}
		}
		sets = append(sets, known)
	}
	if len(aud.Tag) > 0 {
		var union []string
		for _, t := range aud.Tag {
			union = append(union, s.tags[t]...)
		}
		sets = append(sets, union)
	}
	for _, t := range aud.TagAnd {
		sets = append(sets, s.tags[t])
	}
	if len(aud.Alias) > 0 {
		var union []string
		for _, a := range aud.Alias {
			union = append(union, s.aliases[a]...)
		}
		sets = append(sets, union)
	}
	// The audience is the intersection of its parts.
	count := map[string]int{}
	for _, set := range sets {
		seen := map[string]bool{}
		for _, rid := range set {
			if !seen[rid] {
				seen[rid] = true
				count[rid]++
			}
		}
	}
	for _, set := range sets[:1] {
		seen := map[string]bool{}
		for _, rid := range set {
			if count[rid] == len(sets) && !seen[rid] {
				seen[rid] = true
				targets = append(targets, rid)
			}
		}
	}
	return targets, illegal
}

func (s *Server) record(p *pushObject, targets []string) {
	ttl := -1
	if p.Options != nil && p.Options.TimeToLive != nil {
		ttl = int(*p.Options.TimeToLive)
	}
	var base pushtest.Received
	if n := p.Notification; n != nil {
		if a, ok := n.Alert.(string); ok {
			base.Alert = a
		}
		if n.Android != nil {
			base.Alert = *n.Android.Alert
			base.Title = n.Android.Title
			base.Custom = n.Android.Extras
		}
		if n.IOS != nil && n.IOS.Badge != nil {
			base.Badge = fmt.Sprint(n.IOS.Badge)
		}
	} else if m := p.Message; m != nil {
		base.Custom = m.Extras
	}
	rs := make([]pushtest.Received, len(targets))
	for i, rid := range targets {
		rs[i] = base
		rs[i].Token = rid
		rs[i].TTL = ttl
	}
	s.Record(rs...)
}
