// Package twilio is the "twilio" sms provider: Twilio Programmable
// Messaging, through the REST API's Message resource (API 2010-04-01).
//
// Each message is one POST to {endpoint}/2010-04-01/Accounts/{accountSid}/
// Messages.json with the form fields To (the E.164 number), Body (the
// message's text) and From or MessagingServiceSid, authenticated with HTTP
// Basic auth as accountSid:authToken. Twilio sends free text, so the
// message's Text is sent; its purpose and params are not used.
//
// Errors are read from Twilio's JSON error body ({"code", "message",
// "status"}). 21211 (invalid To) and the other refusals of the recipient
// (not SMS-capable, unreachable, opted out) are CodeInvalidValue, as is a
// body over Twilio's length limit. 21611 (the sender's queue is full) is
// CodeRequestLimitExceeded: the sender already holds hours of queued
// messages, so retrying soon will not help. HTTP 429 (code 20429, too many
// concurrent requests) is CodeConnectionFailed and is retried like a 5xx
// answer or a network error; if Twilio sends a Retry-After header the next
// try waits that long (capped at 4s) instead of the usual backoff.
// 401/20003 (wrong credentials) and sender or account problems (21606,
// 21608, 21408, ...) are internal errors whose logged cause says what to
// fix.
//
// Options (sms.twilio):
//
//	accountSid           string, required. The account SID (AC...).
//	authToken            string, required. The account's auth token.
//	from                 string. The sender: a Twilio number in E.164
//	                     form, a short code or an alphanumeric sender ID.
//	messagingServiceSid  string. A Messaging Service (MG...) to send
//	                     from instead; exactly one of from and
//	                     messagingServiceSid is required.
//	endpoint             string, optional. The API base URL, no path. Default
//	                     https://api.twilio.com.
//	maxAttempts          int, optional. Tries per message, 1 to 10.
//	                     Default 3.
package twilio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/adapters/internal/retry"
	"github.com/switchboardhq/switchboard/adapters/sms/internal/smskit"
	"github.com/switchboardhq/switchboard/core"
)

// Name is the provider's name in core.SMSProviders.
const Name = "twilio"

// DefaultEndpoint is Twilio's REST API.
const DefaultEndpoint = "https://api.twilio.com"

func init() { core.SMSProviders.Register(Name, Open) }

// Options is the sms.twilio config section.
type Options struct {
	AccountSID          string `json:"accountSid"`
	AuthToken           string `json:"authToken"`
	From                string `json:"from"`
	MessagingServiceSID string `json:"messagingServiceSid"`
	smskit.Options
}

// Open implements core.OpenSMSFunc.
func Open(_ context.Context, env core.ProviderEnv) (core.SMSSender, error) {
	options := env.Options
	opts := Options{Options: smskit.Options{Endpoint: DefaultEndpoint}}
	if err := core.DecodeOptions(options, &opts); err != nil {
		return nil, err
	}
	if err := smskit.Required("accountSid", opts.AccountSID, "authToken", opts.AuthToken); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(opts.AccountSID, "AC") {
		return nil, errors.New("accountSid: an account SID starts with AC (API key SIDs, SK..., are not supported)")
	}
	if (opts.From == "") == (opts.MessagingServiceSID == "") {
		return nil, errors.New("set exactly one of from and messagingServiceSid")
	}
	if opts.MessagingServiceSID != "" && !strings.HasPrefix(opts.MessagingServiceSID, "MG") {
		return nil, errors.New("messagingServiceSid: a Messaging Service SID starts with MG")
	}
	endpoint, err := opts.Check()
	if err != nil {
		return nil, err
	}
	u := endpoint.JoinPath("2010-04-01", "Accounts", opts.AccountSID, "Messages.json").String()
	return &sender{opts: opts, url: u, client: smskit.Client(), retry: opts.Retry()}, nil
}

type sender struct {
	opts   Options
	url    string
	client *http.Client
	retry  retry.Policy
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
	if msg.Text == "" {
		return smskit.Misconfigured(Name, "the %s message has no text; Twilio sends free text, not templates", msg.Purpose)
	}
	form := url.Values{"To": {msg.To}, "Body": {msg.Text}}
	if s.opts.From != "" {
		form.Set("From", s.opts.From)
	} else {
		form.Set("MessagingServiceSid", s.opts.MessagingServiceSID)
	}
	body := form.Encode()
	return s.retry.Do(ctx, func(ctx context.Context) error { return s.call(ctx, body) })
}

func (s *sender) call(ctx context.Context, form string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, strings.NewReader(form))
	if err != nil {
		return smskit.Misconfigured(Name, "building the request: %v", err)
	}
	req.SetBasicAuth(s.opts.AccountSID, s.opts.AuthToken)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := smskit.Do(s.client, Name, req)
	if err != nil {
		return err
	}
	if resp.Status == http.StatusCreated || resp.Status == http.StatusOK {
		return nil
	}
	var e struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  int    `json:"status"`
	}
	if err := json.Unmarshal(resp.Body, &e); err != nil || e.Code == 0 && e.Message == "" {
		if resp.Status == http.StatusTooManyRequests {
			return throttled(resp.Header, fmt.Errorf("HTTP 429: %s", smskit.Snippet(resp.Body)))
		}
		return smskit.Misconfigured(Name, "unexpected answer from %s (HTTP %d): %s (check endpoint)", s.opts.Endpoint, resp.Status, smskit.Snippet(resp.Body))
	}
	cause := fmt.Errorf("create Message: HTTP %d, error %d: %s", resp.Status, e.Code, e.Message)
	if resp.Status == http.StatusTooManyRequests || e.Code == 20429 {
		return throttled(resp.Header, cause)
	}
	return classify(resp.Status, e.Code, cause)
}

// throttled is the retryable error for Twilio's 429, carrying its
// Retry-After, if any, as the wait before the next try.
func throttled(h http.Header, cause error) error {
	err := smskit.Unavailable(Name, cause)
	if d, ok := retryAfter(h.Get("Retry-After"), time.Now()); ok {
		return retry.After(err, d)
	}
	return err
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// classify maps Twilio's error codes to the contract's codes.
func classify(status, code int, cause error) error {
	switch code {
	case 21211, 21214, 21217, 21265, 21401, 21407, 21612, 21614:
		return smskit.InvalidNumber(Name, cause)
	case 21610:
		return smskit.Rejected(Name, "the phone number has opted out of messages from this sender", cause)
	case 21617, 30007:
		return smskit.Rejected(Name, "the text message service refused the message content", cause)
	case 21611, 14107, 63038:
		return smskit.Limited(Name, cause)
	case 20003, 20005:
		return smskit.Misconfigured(Name, "%v: check accountSid and authToken, and that the account is active", cause)
	case 20404:
		return smskit.Misconfigured(Name, "%v: check accountSid and endpoint", cause)
	case 21212, 21603, 21606, 21659:
		return smskit.Misconfigured(Name, "%v: check from is a Twilio number, short code or sender ID of this account that can send SMS", cause)
	case 21701, 21702, 21703, 21704, 21705:
		return smskit.Misconfigured(Name, "%v: check messagingServiceSid", cause)
	case 21408, 21608:
		return smskit.Misconfigured(Name, "%v: the account may not send to this number (geographic permissions or a trial account)", cause)
	}
	if status == http.StatusUnauthorized {
		return smskit.Misconfigured(Name, "%v: check accountSid and authToken", cause)
	}
	return smskit.Misconfigured(Name, "%v", cause)
}
