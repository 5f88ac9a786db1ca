// Package log is the "log" mail provider, the embedded default: instead of
// sending an e-mail it writes it to the server log, so that e-mail
// verification and password reset work on a laptop with no mail server.
// The log line holds the recipient, the subject, the text and the HTML
// and nothing else.
//
// Do not use it in production: anyone who can read the log can follow
// every verification and password-reset link.
//
// The record is written with slog.Default() at level INFO and the message
// "mail message", with the attributes to, subject, text and html.
//
// A recipient that is not one valid address (RFC 5322) is refused with
// CodeInvalidValue, as a mail server would refuse it.
//
// Options (mail.log): none.
package log

import (
	"context"
	"log/slog"
	"net/mail"

	"github.com/switchboardhq/switchboard/adapters/internal/retry"
	"github.com/switchboardhq/switchboard/core"
)

// Name is the provider's name in core.MailProviders.
const Name = "log"

func init() { core.MailProviders.Register(Name, Open) }

// Open implements core.OpenMailFunc.
func Open(_ context.Context, env core.ProviderEnv) (core.Mailer, error) {
	options := env.Options
	var opts struct{}
	if err := core.DecodeOptions(options, &opts); err != nil {
		return nil, err
	}
	return mailer{}, nil
}

type mailer struct{}

var _ core.Mailer = mailer{}

// Send implements core.Mailer.
func (mailer) Send(ctx context.Context, msg core.MailMessage) error {
	if ctx.Err() != nil {
		return retry.Canceled(ctx, nil)
	}
	if _, err := mail.ParseAddress(msg.To); err != nil {
		return core.Errorf(core.CodeInvalidValue, "the e-mail address is not valid")
	}
	slog.Default().LogAttrs(ctx, slog.LevelInfo, "mail message",
		slog.String("to", msg.To),
		slog.String("subject", msg.Subject),
		slog.String("text", msg.Text),
		slog.String("html", msg.HTML),
	)
	return nil
}
