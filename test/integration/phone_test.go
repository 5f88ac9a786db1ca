package integration

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// smsBox is a core.SMSSender that keeps what it is given.
type smsBox struct{ inbox[core.SMSMessage] }

func (s *smsBox) Send(_ context.Context, msg core.SMSMessage) error { return s.deliver(msg) }

var sixDigits = regexp.MustCompile(`\b\d{6}\b`)

// code returns the code in the last message, which must be to phone for
// purpose, and a wrong code of the same form.
func (s *smsBox) code(t *testing.T, phone, purpose string) (right, wrong string) {
	t.Helper()
	msg := s.latest(t)
	right = msg.Params["code"]
	if msg.To != phone || msg.Purpose != purpose || !sixDigits.MatchString(right) || sixDigits.FindString(msg.Text) != right {
		t.Fatalf("SMS %+v, want a %s code to %s", msg, purpose, phone)
	}
	wrong = string('0'+(right[0]-'0'+1)%10) + right[1:]
	return right, wrong
}

func (h *harness) requestCode(phone string) response {
	h.t.Helper()
	return h.do("POST", "/requestSmsCode", "", map[string]any{"mobilePhoneNumber": phone})
}

func (h *harness) phoneLogin(phone, code string) response {
	h.t.Helper()
	return h.do("POST", "/usersByMobilePhone", "", map[string]any{"mobilePhoneNumber": phone, "smsCode": code})
}

// requestNext asks for another code for phone at once: the codes sent so far
// are moved two minutes into the past first, so the interval between codes
// has passed without waiting for it.
func (h *harness) requestNext(phone string) response {
	h.t.Helper()
	res := h.do("GET", withQuery("/classes/_SmsCode", map[string]any{"where": map[string]any{"phone": phone}}), "master", nil)
	for _, c := range res.results() {
		created, err := time.Parse(time.RFC3339Nano, c["createdAt"].(string))
		if err != nil {
			h.t.Fatal(err)
		}
		h.storeUpdate("_SmsCode", c["objectId"].(string), core.Update{core.FieldCreatedAt: core.Set{Value: created.Add(-2 * time.Minute)}})
	}
	return h.requestCode(phone)
}

// expireCodes moves the expiry of every code sent to phone into the past.
func (h *harness) expireCodes(phone string) {
	h.t.Helper()
	res := h.do("GET", withQuery("/classes/_SmsCode", map[string]any{"where": map[string]any{"phone": phone}}), "master", nil)
	if len(res.results()) == 0 {
		h.t.Fatalf("no codes for %s: %s", phone, res.raw)
	}
	for _, c := range res.results() {
		h.storeUpdate("_SmsCode", c["objectId"].(string), core.Update{"expiresAt": core.Set{Value: time.Now().Add(-time.Second)}})
	}
}

func TestPhoneLogin(t *testing.T) {
	t.Parallel()
	sms := &smsBox{}
	h := newHarness(t, func(o *core.Options) {
		o.SMS = sms
		o.Users.SMS.MaxAttempts = 3
	})
	const phone = "+8613800138000"

	// A mainland number without +86 is the same number.
	res := h.requestCode("138-0013-8000")
	if res.status != 200 || string(res.raw) != "{}" {
		t.Fatalf("requestSmsCode: %d %s", res.status, res.raw)
	}
	code, wrong := sms.code(t, phone, "login")
	wantError(t, h.phoneLogin(phone, wrong), 101)

	res = h.phoneLogin(phone, code)
	wantStatus(t, res, 201)
	token, _ := res.body["sessionToken"].(string)
	id, _ := res.body["objectId"].(string)
	if !sessionTokenPattern.MatchString(token) || res.body["username"] != phone || res.body["mobilePhoneNumber"] != phone || res.body["mobilePhoneVerified"] != true {
		t.Fatalf("phone signup: %s", res.raw)
	}
	if me := h.as(who{token: token}, "GET", "/users/me", nil); me.body["objectId"] != id {
		t.Fatalf("session: %s", me.raw)
	}
	t.Run("a code works once", func(t *testing.T) {
		wantError(t, h.phoneLogin(phone, code), 101)
	})
	t.Run("then logs in", func(t *testing.T) {
		wantStatus(t, h.requestNext(phone), 200)
		code, _ := sms.code(t, phone, "login")
		res := h.phoneLogin("13800138000", code)
		wantStatus(t, res, 200)
		if res.body["objectId"] != id || res.body["sessionToken"] == token || !sessionTokenPattern.MatchString(res.body["sessionToken"].(string)) {
			t.Fatalf("phone login: %s", res.raw)
		}
	})
	t.Run("brute force voids the code", func(t *testing.T) {
		wantStatus(t, h.requestNext(phone), 200)
		code, wrong := sms.code(t, phone, "login")
		for range 3 {
			wantError(t, h.phoneLogin(phone, wrong), 101)
		}
		res := h.phoneLogin(phone, code)
		wantError(t, res, 155)
		// A new code starts over.
		wantStatus(t, h.requestNext(phone), 200)
		code, _ = sms.code(t, phone, "login")
		wantStatus(t, h.phoneLogin(phone, code), 200)
	})
	t.Run("expired code", func(t *testing.T) {
		wantStatus(t, h.requestNext(phone), 200)
		code, _ := sms.code(t, phone, "login")
		h.expireCodes(phone)
		wantError(t, h.phoneLogin(phone, code), 101)
	})
	t.Run("a code is for its number", func(t *testing.T) {
		wantStatus(t, h.requestNext(phone), 200)
		code, _ := sms.code(t, phone, "login")
		wantError(t, h.phoneLogin("+8613900139000", code), 101)
		wantStatus(t, h.phoneLogin(phone, code), 200)
	})
	t.Run("read-only master", func(t *testing.T) {
		wantStatus(t, h.requestNext(phone), 200)
		code, _ := sms.code(t, phone, "login")
		wantError(t, h.do("POST", "/usersByMobilePhone", "readonly", map[string]any{"mobilePhoneNumber": phone, "smsCode": code}), 119)
	})
	t.Run("a number taken as a username does not block its owner", func(t *testing.T) {
		const squatted = "+8613700137000"
		squatter := h.signup(squatted, "pw", nil)
		wantStatus(t, h.requestCode(squatted), 200)
		code, _ := sms.code(t, squatted, "login")
		res := h.phoneLogin(squatted, code)
		wantStatus(t, res, 201)
		if res.body["objectId"] == squatter.id || res.body["username"] == squatted || res.body["mobilePhoneNumber"] != squatted {
			t.Fatalf("phone signup of a squatted number: %s", res.raw)
		}
	})
	t.Run("an unverified claim on a number does not hand over the claimer's account", func(t *testing.T) {
		const claimed = "+8613600136000"
		claimer := h.signup("claimer", "pw", map[string]any{"mobilePhoneNumber": claimed})
		wantStatus(t, h.requestCode(claimed), 200)
		code, _ := sms.code(t, claimed, "login")
		res := h.phoneLogin(claimed, code)
		wantStatus(t, res, 201)
		if res.body["objectId"] == claimer.id || res.body["mobilePhoneNumber"] != claimed || res.body["mobilePhoneVerified"] != true {
			t.Fatalf("phone login on a claimed number: %s", res.raw)
		}
		me := h.as(who{token: claimer.token}, "GET", "/users/me", nil)
		if _, still := me.body["mobilePhoneNumber"]; still {
			t.Fatalf("the unproven claim stayed on the claimer: %s", me.raw)
		}
	})
	t.Run("clients cannot read codes", func(t *testing.T) {
		wantError(t, h.do("GET", "/classes/_SmsCode", "", nil), 119)
		wantError(t, h.as(who{token: token}, "GET", "/classes/_SmsCode", nil), 119)
	})
}

func TestSMSLimits(t *testing.T) {
	t.Parallel()
	sms := &smsBox{}
	h := newHarness(t, func(o *core.Options) { o.SMS = sms; o.Users.SMS.IPHourly = 3 })
	wantStatus(t, h.requestCode("+8613800000001"), 200)
	// Interval: one code per number per minute.
	res := h.requestCode("+8613800000001")
	wantError(t, res, 155)
	if res.status != http.StatusTooManyRequests || !strings.Contains(res.body["error"].(string), "seconds ago") {
		t.Fatalf("interval: %d %s", res.status, res.raw)
	}
	wantStatus(t, h.requestCode("+8613800000002"), 200)
	// Per IP: three requests an hour, refused ones included.
	res = h.requestCode("+8613800000003")
	wantError(t, res, 155)
	if !strings.Contains(res.body["error"].(string), "this address") {
		t.Fatalf("per-IP limit: %s", res.raw)
	}
	if sms.count() != 2 {
		t.Fatalf("%d messages sent, want 2", sms.count())
	}

	t.Run("daily limit", func(t *testing.T) {
		sms := &smsBox{}
		h := newHarness(t, func(o *core.Options) { o.SMS = sms; o.Users.SMS.DailyLimit = 2 })
		wantStatus(t, h.requestCode("+8613800000001"), 200)
		wantStatus(t, h.requestNext("+8613800000001"), 200)
		res := h.requestNext("+8613800000001")
		wantError(t, res, 155)
		if !strings.Contains(res.body["error"].(string), "daily limit") {
			t.Fatalf("daily limit: %s", res.raw)
		}
		wantStatus(t, h.requestCode("+8613800000002"), 200)
	})
}

// TestSMSProviderFailure: a failed send reaches the client with the
// provider's code, and since the code never arrived, it does not count
// against the interval: an immediate retry goes through.
func TestSMSProviderFailure(t *testing.T) {
	t.Parallel()
	sms := &smsBox{}
	h := newHarness(t, func(o *core.Options) { o.SMS = sms })
	const phone = "+14155550123"
	sms.setFail(core.Errorf(core.CodeConnectionFailed, "sms provider unreachable"))
	res := h.requestCode(phone)
	wantError(t, res, 100)
	if res.body["error"] != "sms provider unreachable" {
		t.Fatalf("failure: %s", res.raw)
	}
	if res := h.do("GET", withQuery("/classes/_SmsCode", map[string]any{"where": map[string]any{"phone": phone}, "count": "1"}), "master", nil); res.body["count"] != 0.0 {
		t.Fatalf("a code that was never sent is stored: %s", res.raw)
	}
	sms.setFail(nil)
	wantStatus(t, h.requestCode(phone), 200)
	code, _ := sms.code(t, phone, "login")
	wantStatus(t, h.phoneLogin(phone, code), 201)
}

func TestPhoneVerification(t *testing.T) {
	t.Parallel()
	sms := &smsBox{}
	h := newHarness(t, func(o *core.Options) { o.SMS = sms })
	const phone = "+14155550100"
	alice := h.signup("alice", "pw", nil)
	bob := h.signup("bob", "pw", nil)
	verified := func() any { return h.do("GET", "/users/"+alice.id, "master", nil).body["mobilePhoneVerified"] }

	wantStatus(t, h.as(alice, "PUT", "/users/"+alice.id, map[string]any{"mobilePhoneNumber": "+1 (415) 555-0100"}), 200)
	if v := verified(); v != false {
		t.Fatalf("mobilePhoneVerified = %v after setting the number", v)
	}
	wantError(t, h.as(bob, "PUT", "/users/"+bob.id, map[string]any{"mobilePhoneNumber": phone}), 208)

	wantStatus(t, h.do("POST", "/requestMobilePhoneVerify", "", map[string]any{"mobilePhoneNumber": phone}), 200)
	sms.waitCount(t, 1) // sent after the answer
	code, wrong := sms.code(t, phone, "verify")
	wantError(t, h.do("POST", "/verifyMobilePhone/"+wrong, "", map[string]any{"mobilePhoneNumber": phone}), 101)
	// A verify code does not log in.
	wantError(t, h.phoneLogin(phone, code), 101)
	res := h.do("POST", "/verifyMobilePhone/"+code, "", map[string]any{"mobilePhoneNumber": phone})
	if res.status != 200 || string(res.raw) != "{}" {
		t.Fatalf("verify: %d %s", res.status, res.raw)
	}
	if v := verified(); v != true {
		t.Fatalf("mobilePhoneVerified = %v after verifying", v)
	}
	wantError(t, h.do("POST", "/verifyMobilePhone/"+code, "", map[string]any{"mobilePhoneNumber": phone}), 101)

	// A login code does not verify; it logs alice in.
	wantStatus(t, h.requestNext(phone), 200)
	login, _ := sms.code(t, phone, "login")
	wantError(t, h.do("POST", "/verifyMobilePhone/"+login, "", map[string]any{"mobilePhoneNumber": phone}), 101)
	res = h.phoneLogin(phone, login)
	if res.status != 200 || res.body["objectId"] != alice.id {
		t.Fatalf("phone login of a password user: %d %s", res.status, res.raw)
	}
}
