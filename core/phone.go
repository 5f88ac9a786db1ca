package core

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Phone login by SMS code, with LeanCloud's routes. Codes are stored
// hashed in _SmsCode so every node can check a code another node sent,
// and so the per-number limits hold across a cluster.

const smsCodeClass = "_SmsCode"

// SMS code purposes.
const (
	PurposeLogin  = "login"
	PurposeVerify = "verify"
)

var (
	e164Pattern       = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	chinaMobile       = regexp.MustCompile(`^1[3-9][0-9]{9}$`)
	phoneNoisePattern = regexp.MustCompile(`[\s\-()]`)
)

// normalizePhone returns a phone number in E.164 form. An 11-digit mainland
// China mobile number without a country code gets +86, as LeanCloud does.
func normalizePhone(v any) (string, *Error) {
	s, ok := v.(string)
	if !ok {
		return "", Errorf(CodeInvalidValue, "mobilePhoneNumber must be a string")
	}
	s = phoneNoisePattern.ReplaceAllString(s, "")
	if chinaMobile.MatchString(s) {
		s = "+86" + s
	}
	if !e164Pattern.MatchString(s) {
		return "", Errorf(CodeInvalidValue, "Invalid mobile phone number %q: use the international form, e.g. +8613800138000", s)
	}
	return s, nil
}

// hashCode keys the code to the app and number, so a stolen table of hashes
// cannot be matched against codes of other numbers or apps.
func (a *App) hashCode(phone, purpose, code string) string {
	m := hmac.New(sha256.New, []byte(a.opts.AppID+"\x00"+a.opts.MasterKey))
	fmt.Fprintf(m, "%s\x00%s\x00%s", phone, purpose, code)
	return hex.EncodeToString(m.Sum(nil))
}

func (a *App) newCode() string {
	n := a.opts.Users.SMS.Length
	max := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
	v, _ := rand.Int(rand.Reader, max)
	return fmt.Sprintf("%0*d", n, v)
}

// RequestSMSCode sends a code to a number (POST /requestSmsCode). Limits:
// one code per number per interval, a daily cap per number, and an hourly
// cap per client IP.
func (a *App) RequestSMSCode(ctx context.Context, auth *Auth, rawPhone any, purpose string) error {
	if purpose == "" {
		purpose = PurposeLogin
	}
	if purpose != PurposeLogin && purpose != PurposeVerify {
		return Errorf(CodeInvalidValue, "unknown SMS code purpose %q", purpose)
	}
	phone, perr := normalizePhone(rawPhone)
	if perr != nil {
		return perr
	}
	if a.opts.SMS == nil {
		return Errorf(CodeCommandUnavailable, "no sms provider is configured")
	}
	opts := a.opts.Users.SMS
	if !a.limiter.allow("sms-ip:"+auth.IP, opts.IPHourly, time.Hour) {
		return Errorf(CodeRequestLimitExceeded, "Too many SMS code requests from this address; try again later.")
	}
	// A verify code goes only to a number that is on an account. Unless
	// EmailVerifyErrorOnInvalidEmail asks for the error, every number gets
	// the same treatment up to the send: the same lookup, limits and
	// stored code (whose limits so hold for every number alike), and the
	// same answer; the send itself runs after the answer, and only for a
	// number that has an account. Numbers are protected everywhere else.
	known, reveal := true, a.opts.Users.EmailVerifyErrorOnInvalidEmail
	if purpose == PurposeVerify {
		u, err := a.userByField(ctx, "mobilePhoneNumber", nil, phone)
		if err != nil {
			return err
		}
		if u == nil && reveal {
			return Errorf(CodeObjectNotFound, "No user found with mobile phone number %s.", phone)
		}
		known = u != nil
	}
	c, err := a.systemClass(ctx, smsCodeClass)
	if err != nil {
		return err
	}
	st := a.storeFor(ctx)
	now := Now()
	recent, err := st.Find(ctx, c, &Query{
		Where: And{Exprs: []Expr{Cmp{Field: "phone", Op: OpEq, Value: phone}, Cmp{Field: FieldCreatedAt, Op: OpGt, Value: now.Add(-24 * time.Hour)}}},
		Order: []OrderKey{{Field: FieldCreatedAt, Desc: true}}, Limit: -1, Keys: []string{"phone"},
	})
	if err != nil {
		return err
	}
	if len(recent) > 0 && now.Sub(recent[0][FieldCreatedAt].(time.Time)) < opts.Interval {
		return Errorf(CodeRequestLimitExceeded, "An SMS code was sent to this number less than %d seconds ago.", int(opts.Interval.Seconds()))
	}
	if len(recent) >= opts.DailyLimit {
		return Errorf(CodeRequestLimitExceeded, "This number has had %d SMS codes today, the daily limit.", opts.DailyLimit)
	}
	code := a.newCode()
	id := NewObjectID()
	if err := st.Insert(ctx, c, Object{
		FieldObjectID: id, FieldCreatedAt: now, FieldUpdatedAt: now, "phone": phone, "purpose": purpose,
		"codeHash": a.hashCode(phone, purpose, code), "expiresAt": now.Add(opts.TTL), "attempts": 0.0,
	}); err != nil {
		return err
	}
	if !known {
		return nil
	}
	minutes := strconv.Itoa(int(opts.TTL.Minutes()))
	send := func(ctx context.Context) error {
		err := a.opts.SMS.Send(ctx, SMSMessage{
			To: phone, Purpose: purpose,
			Text:   fmt.Sprintf("Your %s verification code is %s. It expires in %s minutes.", a.opts.AppName, code, minutes),
			Params: map[string]string{"code": code, "ttl": minutes, "app": a.opts.AppName},
		})
		if err != nil {
			// The code never reached the user: forget it so the interval
			// does not block a retry, and report the failure.
			_, _ = st.Delete(context.WithoutCancel(ctx), c, Cmp{Field: FieldObjectID, Op: OpEq, Value: id}, nil)
		}
		return err
	}
	if purpose == PurposeVerify && !reveal {
		a.afterAnswer(ctx, "SMS verification code", send)
		return nil
	}
	return send(ctx)
}

// checkSMSCode consumes a code: every guess uses up one attempt first (an
// atomic conditional increment), so parallel guessing on several nodes is
// bounded by MaxAttempts; the right code is then deleted, so it works once.
func (a *App) checkSMSCode(ctx context.Context, phone, purpose, code string) error {
	bad := Errorf(CodeObjectNotFound, "Invalid or expired SMS code.")
	code = strings.TrimSpace(code)
	if code == "" || len(code) > 16 {
		return bad
	}
	c := a.Class(smsCodeClass)
	if c == nil {
		return bad
	}
	st := a.storeFor(ctx)
	codes, err := st.Find(ctx, c, &Query{
		Where: And{Exprs: []Expr{Cmp{Field: "phone", Op: OpEq, Value: phone}, Cmp{Field: "purpose", Op: OpEq, Value: purpose},
			Cmp{Field: "expiresAt", Op: OpGt, Value: Now()}}},
		Order: []OrderKey{{Field: FieldCreatedAt, Desc: true}}, Limit: 1,
	})
	if err != nil {
		return err
	}
	if len(codes) == 0 {
		return bad
	}
	rec := codes[0]
	max := float64(a.opts.Users.SMS.MaxAttempts)
	if _, err := st.Update(ctx, c, rec.ID(), Cmp{Field: "attempts", Op: OpLt, Value: max}, nil, Update{"attempts": Increment{Amount: 1}}); err != nil {
		if IsCode(err, CodeObjectNotFound) {
			return Errorf(CodeRequestLimitExceeded, "Too many wrong codes for this number; request a new code.")
		}
		return err
	}
	want, _ := rec["codeHash"].(string)
	if !hmac.Equal([]byte(want), []byte(a.hashCode(phone, purpose, code))) {
		return bad
	}
	_, err = st.Delete(ctx, c, Cmp{Field: FieldObjectID, Op: OpEq, Value: rec.ID()}, nil)
	return err
}

// LoginWithPhone signs up or logs in with a number and code
// (POST /usersByMobilePhone). created tells a signup from a login.
func (a *App) LoginWithPhone(ctx context.Context, auth *Auth, body map[string]any) (map[string]any, bool, error) {
	if err := auth.checkWrite(); err != nil {
		return nil, false, err
	}
	phone, perr := normalizePhone(body["mobilePhoneNumber"])
	if perr != nil {
		return nil, false, perr
	}
	code, _ := body["smsCode"].(string)
	if err := a.checkSMSCode(ctx, phone, PurposeLogin, code); err != nil {
		return nil, false, err
	}
	c, err := a.systemClass(ctx, userClass)
	if err != nil {
		return nil, false, err
	}
	u, err := a.userByField(ctx, "mobilePhoneNumber", nil, phone)
	if err != nil {
		return nil, false, err
	}
	if u != nil {
		if v, _ := u["mobilePhoneVerified"].(bool); !v {
			// Someone put this number on their account without proving it.
			// The caller just proved it with the code, so the claim goes and
			// the caller gets an account of their own: logging them into
			// the claimer's account would hand it over, and the other way
			// round the claimer could take over the owner's logins.
			if _, err := a.storeFor(ctx).Update(ctx, c, u.ID(), nil, nil, Update{"mobilePhoneNumber": Unset{}, FieldUpdatedAt: Set{Value: Now()}}); err != nil {
				return nil, false, err
			}
			u = nil
		}
	}
	if u != nil {
		token, err := a.logIn(ctx, auth, u, "mobilePhone")
		if err != nil {
			return nil, false, err
		}
		return a.userReply(ctx, u, token), false, nil
	}
	rest := map[string]any{}
	for k, v := range body {
		if k != "smsCode" && k != "mobilePhoneNumber" {
			rest[k] = v
		}
	}
	if _, ok := rest["username"]; !ok {
		// The number is the username, unless someone already chose it as
		// theirs: that must not keep the number's owner from signing up.
		rest["username"] = phone
		if taken, err := a.userByField(ctx, "username", nil, phone); err != nil {
			return nil, false, err
		} else if taken != nil {
			rest["username"] = randomHex(12)
		}
	}
	obj, token, err := a.signupVerified(ctx, auth, rest, Update{"mobilePhoneNumber": Set{Value: phone}, "mobilePhoneVerified": Set{Value: true}}, "mobilePhone")
	if err != nil {
		return nil, false, err
	}
	return a.userReply(ctx, obj, token), true, nil
}

// VerifyMobilePhone marks a user's number verified with a "verify" code
// (POST /verifyMobilePhone/:code with {"mobilePhoneNumber"}).
func (a *App) VerifyMobilePhone(ctx context.Context, auth *Auth, rawPhone any, code string) error {
	phone, perr := normalizePhone(rawPhone)
	if perr != nil {
		return perr
	}
	if err := a.checkSMSCode(ctx, phone, PurposeVerify, code); err != nil {
		return err
	}
	u, err := a.userByField(ctx, "mobilePhoneNumber", nil, phone)
	if err != nil {
		return err
	}
	if u == nil {
		return ErrNotFound()
	}
	_, err = a.storeFor(ctx).Update(ctx, a.Class(userClass), u.ID(), nil, nil, Update{"mobilePhoneVerified": Set{Value: true}, FieldUpdatedAt: Set{Value: Now()}})
	return err
}
