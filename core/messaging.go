package core

import "context"

// SMSMessage is one text message. Template-based providers (Aliyun, Tencent)
// pick their template by Purpose from their own config and fill it from
// Params; text-based providers (Twilio, log) send Text.
type SMSMessage struct {
	// To is the phone number in E.164 form ("+8613800138000").
	To string
	// Purpose names why the message is sent: "login", "signup", "verify".
	Purpose string
	// Text is the rendered message for providers that send free text.
	Text string
	// Params are the template variables, e.g. {"code": "123456", "ttl": "5"}.
	Params map[string]string
}

// SMSSender is the sms provider contract.
//
// Send returns nil only once the provider accepted the message. Errors are
// *Error: CodeConnectionFailed for a failure worth retrying (network, 5xx,
// provider throttling), CodeRequestLimitExceeded when the provider refuses
// for rate reasons and retrying soon will not help, CodeInvalidValue for a
// number or message the provider rejects, anything else internal. Senders
// are safe for concurrent use.
type SMSSender interface {
	Send(ctx context.Context, msg SMSMessage) error
}

// OpenSMSFunc opens an sms provider from its config section (env.Options),
// which it decodes strictly with DecodeOptions.
type OpenSMSFunc = OpenFunc[SMSSender]

// SMSProviders is the registry of sms providers ("log", "aliyun", ...).
var SMSProviders = NewRegistry[OpenSMSFunc]("sms")

// MailMessage is one e-mail.
type MailMessage struct {
	To      string
	Subject string
	Text    string
	HTML    string // optional; sent as an alternative part when set
}

// Mailer is the mail provider contract, with the same error rules as
// SMSSender.
type Mailer interface {
	Send(ctx context.Context, msg MailMessage) error
}

// OpenMailFunc opens a mail provider from its config section.
type OpenMailFunc = OpenFunc[Mailer]

// MailProviders is the registry of mail providers ("log", "smtp").
var MailProviders = NewRegistry[OpenMailFunc]("mail")

// AuthDataProvider checks third-party login data: the part of a user's
// authData for one provider ({"id": ..., "access_token": ...}).
//
// Validate returns the user's id at the provider and the authData to store
// (a provider that exchanges a one-time code for a token returns the
// resulting data, never the code). A token that is invalid, expired, or for
// another user or app is CodeInvalidLinkedSession (251); a missing id or
// token is CodeLinkedIDMissing (250); an unreachable provider is
// CodeConnectionFailed. Providers are safe for concurrent use.
type AuthDataProvider interface {
	Validate(ctx context.Context, authData map[string]any) (id string, stored map[string]any, err error)
}

// OpenAuthFunc opens a third-party login provider from its config section
// (the "auth.<name>" section, as Parse Server's auth option).
type OpenAuthFunc = OpenFunc[AuthDataProvider]

// AuthProviders is the registry of authData providers ("anonymous",
// "apple", "google", "github", "wechat", "oidc").
var AuthProviders = NewRegistry[OpenAuthFunc]("auth")
