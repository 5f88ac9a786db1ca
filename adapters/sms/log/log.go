// Package log is the "log" sms provider, the embedded default: instead of
// sending a text message it writes it to the server log, so that phone
// login and verification work on a laptop with no SMS vendor. The log line
// holds the number, the purpose, the text and the template params (which
// include the login code) and nothing else.
//
// Do not use it in production: anyone who can read the log can log in as
// any phone user.
//
// The record is written with slog.Default() at level INFO and the message
// "sms message", with the attributes to, purpose, text and params.
//
// A number that is not in E.164 form (+ and 7 to 15 digits) is refused
// with CodeInvalidValue, as a real provider would refuse it.
//
// Options (sms.log): none.
package log

import (
	"context"
	"log/slog"
	"regexp"

	"github.com/switchboardhq/switchboard/adapters/internal/retry"
	"github.com/switchboardhq/switchboard/core"
)

// Name is the provider's name in core.SMSProviders.
const Name = "log"

func init() { core.SMSProviders.Register(Name, Open) }

// Open implements core.OpenSMSFunc.
func Open(_ context.Context, env core.ProviderEnv) (core.SMSSender, error) {
	options := env.Options
	var opts struct{}
	if err := core.DecodeOptions(options, &opts); err != nil {
		return nil, err
	}
	return sender{}, nil
}

type sender struct{}

var _ core.SMSSender = sender{}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// Send implements core.SMSSender.
func (sender) Send(ctx context.Context, msg core.SMSMessage) error {
	if ctx.Err() != nil {
		return retry.Canceled(ctx, nil)
	}
	if !e164.MatchString(msg.To) {
		return core.Errorf(core.CodeInvalidValue, "the phone number must be in E.164 form (+8613800138000)")
	}
	slog.Default().LogAttrs(ctx, slog.LevelInfo, "sms message",
		slog.String("to", msg.To),
		slog.String("purpose", msg.Purpose),
		slog.String("text", msg.Text),
		slog.Any("params", msg.Params),
	)
	return nil
}
