// Package smtp is the "smtp" mail provider: it hands each message to an
// SMTP server (a relay, or a service such as SES, Mailgun, Postmark or
// Gmail) over one connection per message, with github.com/wneessen/go-mail
// building the MIME message and speaking SMTP.
//
// A message with only Text is a text/plain message; one with HTML too is
// multipart/alternative with the text part first and the HTML part second,
// both UTF-8 and quoted-printable. The subject is encoded as RFC 2047 when
// it is not ASCII. Date and Message-ID are set once per message, so a
// retried message keeps its Message-ID.
//
// Errors: an address that is not one valid RFC 5322 address, and a
// recipient or message the server refuses with a permanent (5xx) reply,
// are CodeInvalidValue. A sending-quota refusal (enhanced code 5.4.5, or a
// reply that mentions a quota) is CodeRequestLimitExceeded. A temporary
// (4xx) reply, a dropped or refused connection and a timeout are
// CodeConnectionFailed and are retried. An authentication failure (535), a
// refused sender, an untrusted TLS certificate or a server without
// STARTTLS are internal errors whose logged cause says what to fix.
//
// Options (mail.smtp):
//
//	host         string, required. The SMTP server's host name.
//	port         int, optional. Default 587 for tls starttls, 465 for tls
//	             implicit, 25 for tls none.
//	username     string, optional. The AUTH user (PLAIN, or LOGIN when the
//	             server offers no PLAIN); no AUTH when empty.
//	password     string. The AUTH password; required with username.
//	from         string, required. The sender, "no-reply@example.com" or
//	             "Example App <no-reply@example.com>".
//	tls          string, optional. starttls (default): upgrade with
//	             STARTTLS and refuse a server that does not offer it;
//	             implicit: TLS from the first byte (SMTPS, port 465);
//	             none: no encryption at all (a local relay only: credentials
//	             are then sent to localhost only). The server's certificate
//	             is always verified against the system roots.
//	maxAttempts  int, optional. Tries per message, 1 to 10. Default 3.
package smtp

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"syscall"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/switchboardhq/switchboard/adapters/internal/retry"
	"github.com/switchboardhq/switchboard/core"
)

// Name is the provider's name in core.MailProviders.
const Name = "smtp"

// The tls option's values.
const (
	TLSStartTLS = "starttls"
	TLSImplicit = "implicit"
	TLSNone     = "none"
)

// timeout bounds one connection, from dial to QUIT.
const timeout = 30 * time.Second

func init() { core.MailProviders.Register(Name, Open) }

// Options is the mail.smtp config section.
type Options struct {
	Host        string `json:"host"`
	Port        int    `json:"port"`
	Username    string `json:"username"`
	Password    string `json:"password"`
	From        string `json:"from"`
	TLS         string `json:"tls"`
	MaxAttempts int    `json:"maxAttempts"`
}

// rootCAs replaces the system roots in tests (see export_test.go).
var rootCAs *x509.CertPool

// Open implements core.OpenMailFunc.
func Open(_ context.Context, env core.ProviderEnv) (core.Mailer, error) {
	options := env.Options
	opts := Options{TLS: TLSStartTLS}
	if err := core.DecodeOptions(options, &opts); err != nil {
		return nil, err
	}
	if strings.TrimSpace(opts.Host) == "" {
		return nil, errors.New("option host is required")
	}
	from, err := mail.ParseAddress(opts.From)
	if err != nil {
		return nil, fmt.Errorf("from: %q is not an e-mail address (no-reply@example.com or \"Name <no-reply@example.com>\")", opts.From)
	}
	if (opts.Username == "") != (opts.Password == "") {
		return nil, errors.New("set both username and password, or neither")
	}
	switch opts.TLS {
	case TLSStartTLS:
		opts.Port = cmpOr(opts.Port, 587)
	case TLSImplicit:
		opts.Port = cmpOr(opts.Port, 465)
	case TLSNone:
		opts.Port = cmpOr(opts.Port, 25)
	default:
		return nil, fmt.Errorf("tls: %q is not starttls, implicit or none", opts.TLS)
	}
	if opts.Port < 1 || opts.Port > 65535 {
		return nil, fmt.Errorf("port: %d is not a TCP port", opts.Port)
	}
	if opts.MaxAttempts < 0 || opts.MaxAttempts > 10 {
		return nil, fmt.Errorf("maxAttempts: %d is out of range; use 1 to 10", opts.MaxAttempts)
	}
	return &mailer{opts: opts, from: from, retry: retry.Default.WithAttempts(opts.MaxAttempts)}, nil
}

func cmpOr(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

type mailer struct {
	opts  Options
	from  *mail.Address
	retry retry.Policy
}

var _ core.Mailer = (*mailer)(nil)

// Send implements core.Mailer.
func (m *mailer) Send(ctx context.Context, msg core.MailMessage) error {
	if ctx.Err() != nil {
		return retry.Canceled(ctx, nil)
	}
	to, err := mail.ParseAddress(msg.To)
	if err != nil {
		return core.Errorf(core.CodeInvalidValue, "the e-mail address is not valid")
	}
	gm, err := m.build(to, msg)
	if err != nil {
		return err
	}
	return m.retry.Do(ctx, func(ctx context.Context) error { return m.deliver(ctx, gm) })
}

func (m *mailer) build(to *mail.Address, msg core.MailMessage) (*gomail.Msg, error) {
	gm := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := gm.From(m.from.String()); err != nil {
		return nil, core.Internal(fmt.Errorf("mail.smtp: from: %w", err))
	}
	if err := gm.To(to.String()); err != nil {
		return nil, core.Errorf(core.CodeInvalidValue, "the e-mail address is not valid")
	}
	gm.Subject(msg.Subject)
	gm.SetDate()
	// A Message-ID in the sender's domain, not this host's name.
	_, domain, _ := strings.Cut(m.from.Address, "@")
	gm.SetMessageIDWithValue(rand.Text() + "@" + domain)
	gm.SetUserAgent("Switchboard")
	gm.SetBodyString(gomail.TypeTextPlain, msg.Text)
	if msg.HTML != "" {
		gm.AddAlternativeString(gomail.TypeTextHTML, msg.HTML)
	}
	return gm, nil
}

// deliver makes one connection and sends gm over it. The connection is
// closed as soon as ctx ends, which go-mail does not do by itself once it
// has dialed.
func (m *mailer) deliver(ctx context.Context, gm *gomail.Msg) error {
	tlsConfig := &tls.Config{ServerName: m.opts.Host, MinVersion: tls.VersionTLS12, RootCAs: rootCAs}
	var (
		mu   sync.Mutex
		conn net.Conn
	)
	dial := func(dctx context.Context, network, addr string) (net.Conn, error) {
		d := &net.Dialer{}
		var c net.Conn
		var err error
		if m.opts.TLS == TLSImplicit {
			c, err = (&tls.Dialer{NetDialer: d, Config: tlsConfig}).DialContext(dctx, network, addr)
		} else {
			c, err = d.DialContext(dctx, network, addr)
		}
		if err == nil {
			mu.Lock()
			conn = c
			mu.Unlock()
		}
		return c, err
	}
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		if conn != nil {
			conn.Close()
		}
	})
	defer stop()

	opts := []gomail.Option{
		gomail.WithPort(m.opts.Port),
		gomail.WithTimeout(timeout),
		gomail.WithTLSConfig(tlsConfig),
		gomail.WithDialContextFunc(dial),
	}
	switch m.opts.TLS {
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL()) // the dialer does the TLS; go-mail skips STARTTLS
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if m.opts.Username != "" {
		opts = append(opts,
			gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthPlain, gomail.SMTPAuthLogin),
			gomail.WithUsername(m.opts.Username), gomail.WithPassword(m.opts.Password))
	}
	client, err := gomail.NewClient(m.opts.Host, opts...)
	if err != nil {
		return core.Internal(fmt.Errorf("mail.smtp: %w", err))
	}
	sc, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		if sc != nil {
			_ = client.CloseWithSMTPClient(sc)
		}
		return m.classify(ctx, err)
	}
	err = client.SendWithSMTPClient(sc, gm)
	// The message is accepted once DATA is answered 250; a failing QUIT
	// must not make us send it again.
	_ = client.CloseWithSMTPClient(sc)
	if err != nil {
		return m.classify(ctx, err)
	}
	return nil
}

// classify maps a go-mail or network error to the contract's codes.
func (m *mailer) classify(ctx context.Context, err error) error {
	where := fmt.Sprintf("mail.smtp: %s:%d", m.opts.Host, m.opts.Port)
	unavailable := func() *core.Error {
		return &core.Error{Code: core.CodeConnectionFailed, Message: "the mail service is unavailable right now; try again later", Err: fmt.Errorf("%s: %w", where, err)}
	}
	misconfigured := func(hint string) *core.Error {
		return core.Internal(fmt.Errorf("%s: %w%s", where, err, hint))
	}
	if ctx.Err() != nil {
		return retry.Canceled(ctx, unavailable())
	}
	var se *gomail.SendError
	if errors.As(err, &se) {
		code, esc := se.ErrorCode(), se.EnhancedStatusCode()
		// The replies, without the addresses that follow them.
		text, _, _ := strings.Cut(strings.ToLower(se.Error()), ", affected recipient")
		// X.2.Y is about the recipient's mailbox, where "quota" means full.
		mailbox := len(esc) > 3 && esc[1:4] == ".2."
		switch {
		case code == 0:
			return unavailable() // no SMTP reply: the connection broke
		case !mailbox && (strings.HasSuffix(esc, ".4.5") && code >= 500 || strings.Contains(text, "quota")):
			return &core.Error{Code: core.CodeRequestLimitExceeded, Message: "too many e-mails were sent; try again later", Err: fmt.Errorf("%s: %w", where, err)}
		case code >= 400 && code < 500:
			return unavailable()
		case se.Reason == gomail.ErrSMTPRcptTo:
			return &core.Error{Code: core.CodeInvalidValue, Message: "the mail server refused the recipient address", Err: fmt.Errorf("%s: %w", where, err)}
		case se.Reason == gomail.ErrSMTPData || se.Reason == gomail.ErrSMTPDataClose:
			return &core.Error{Code: core.CodeInvalidValue, Message: "the mail server refused the message", Err: fmt.Errorf("%s: %w", where, err)}
		case code == 530:
			return misconfigured(" (the server requires AUTH: set username and password)")
		case se.Reason == gomail.ErrSMTPMailFrom:
			return misconfigured(" (check from, and that username may send as it)")
		}
		return misconfigured("")
	}
	var reply *textproto.Error
	if errors.As(err, &reply) {
		switch {
		case reply.Code == 535 || reply.Code == 534 || reply.Code == 538 || reply.Code == 530:
			return misconfigured(" (check username and password)")
		case reply.Code >= 400 && reply.Code < 500:
			return unavailable()
		}
		return misconfigured("")
	}
	var certErr *tls.CertificateVerificationError
	var hostErr x509.HostnameError
	var authErr x509.UnknownAuthorityError
	if errors.As(err, &certErr) || errors.As(err, &hostErr) || errors.As(err, &authErr) {
		return misconfigured(" (the server's TLS certificate is not trusted for host)")
	}
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return unavailable()
	}
	if strings.Contains(err.Error(), "STARTTLS") {
		return misconfigured(" (the server does not offer STARTTLS; use tls: implicit, or none for a local relay)")
	}
	return misconfigured("")
}
