package smtp_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/adapters/mail/mailtest"
	"github.com/switchboardhq/switchboard/adapters/mail/smtp"
	"github.com/switchboardhq/switchboard/adapters/mail/smtp/smtpfake"
	"github.com/switchboardhq/switchboard/core"
)

func init() {
	// Every smtpfake presents the same self-signed certificate.
	smtp.TrustRoots(smtpfake.Roots())
}

func TestConformance(t *testing.T) {
	for _, mode := range []smtpfake.Mode{smtpfake.StartTLS, smtpfake.Implicit, smtpfake.None} {
		t.Run(string(mode), func(t *testing.T) {
			mailtest.RunConformance(t, mailtest.Harness{Provider: smtp.Name, Setup: func(t *testing.T) *mailtest.Fixture {
				fake := smtpfake.New(t, mode)
				without := func(key string) map[string]any {
					o := fake.Options()
					delete(o, key)
					return o
				}
				with := func(key string, v any) map[string]any {
					o := fake.Options()
					o[key] = v
					return o
				}
				return &mailtest.Fixture{
					Options: fake.Options(),
					Sent:    fake.Sent,
					From:    smtpfake.From,
					Remote:  fake,
					BadOptions: map[string]map[string]any{
						"no host":              without("host"),
						"no from":              without("from"),
						"bad from":             with("from", "switchboard"),
						"username only":        without("password"),
						"unknown tls mode":     with("tls", "ssl"),
						"port out of range":    with("port", 70000),
						"maxAttempts too high": with("maxAttempts", 11),
					},
					Secrets: []string{fake.Password()},
				}
			}})
		})
	}
}

func send(t *testing.T, options map[string]any, msg core.MailMessage) error {
	t.Helper()
	return mailtest.Open(t, smtp.Name, options).Send(context.Background(), msg)
}

// The wire format: a multipart/alternative with the text part first, a
// From with the display name, an encoded subject, Date and Message-ID.
func TestMIME(t *testing.T) {
	fake := smtpfake.New(t, smtpfake.StartTLS)
	msg := mailtest.Message(mailtest.Address(1), true)
	if err := send(t, fake.Options(), msg); err != nil {
		t.Fatal(err)
	}
	raw := fake.Raw()
	if len(raw) != 1 {
		t.Fatalf("%d messages", len(raw))
	}
	m, err := mail.ReadMessage(bytes.NewReader(raw[0]))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Header.Get("From"); got != "\"Switchboard\" <"+smtpfake.From+">" && got != "Switchboard <"+smtpfake.From+">" {
		t.Errorf("From: %s", got)
	}
	if got := m.Header.Get("To"); !strings.Contains(got, mailtest.Address(1)) {
		t.Errorf("To: %s", got)
	}
	if got := m.Header.Get("Subject"); !strings.HasPrefix(got, "=?UTF-8?") {
		t.Errorf("Subject %q is not RFC 2047 encoded", got)
	}
	if id := m.Header.Get("Message-Id"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@"+strings.Split(smtpfake.From, "@")[1]+">") {
		t.Errorf("Message-ID %q is not <random@the sender's domain>", id)
	}
	if m.Header.Get("Date") == "" {
		t.Error("no Date")
	}
	if ua := m.Header.Get("User-Agent") + m.Header.Get("X-Mailer"); strings.Contains(ua, "go-mail") {
		t.Errorf("the message advertises the library: %q", ua)
	}
	mediaType, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("Content-Type %q", m.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	var types []string
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		ct, cp, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if !strings.EqualFold(cp["charset"], "utf-8") {
			t.Errorf("part %s has charset %q", ct, cp["charset"])
		}
		types = append(types, ct)
	}
	if strings.Join(types, ",") != "text/plain,text/html" {
		t.Errorf("parts %v, want text/plain then text/html", types)
	}
}

func TestTextOnlyIsNotMultipart(t *testing.T) {
	fake := smtpfake.New(t, smtpfake.None)
	if err := send(t, fake.Options(), mailtest.Message(mailtest.Address(1), false)); err != nil {
		t.Fatal(err)
	}
	m, err := mail.ReadMessage(bytes.NewReader(fake.Raw()[0]))
	if err != nil {
		t.Fatal(err)
	}
	if mt, _, _ := mime.ParseMediaType(m.Header.Get("Content-Type")); mt != "text/plain" {
		t.Errorf("Content-Type %q, want text/plain", m.Header.Get("Content-Type"))
	}
}

// A server whose certificate the system does not trust is a configuration
// problem, whichever way TLS starts.
func TestUntrustedCertificate(t *testing.T) {
	smtp.TrustRoots(x509.NewCertPool())
	defer smtp.TrustRoots(smtpfake.Roots())
	for _, mode := range []smtpfake.Mode{smtpfake.StartTLS, smtpfake.Implicit} {
		t.Run(string(mode), func(t *testing.T) {
			fake := smtpfake.New(t, mode)
			err := send(t, fake.Options(), mailtest.Message(mailtest.Address(1), false))
			mailtest.WantCode(t, err, core.CodeInternalServerError)
			if !strings.Contains(err.Error(), "certificate is not trusted") {
				t.Errorf("error %q does not say the certificate is not trusted", err)
			}
			if fake.Requests() != 1 {
				t.Errorf("%d connections; an untrusted certificate must not be retried", fake.Requests())
			}
		})
	}
}

func TestMisconfigured(t *testing.T) {
	closed := func() int {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		return port
	}
	for _, tc := range []struct {
		name  string
		mode  smtpfake.Mode
		edit  func(o map[string]any)
		code  core.Code
		cause string
	}{
		{"wrong password", smtpfake.StartTLS, func(o map[string]any) { o["password"] = "wrong" }, core.CodeInternalServerError, "check username and password"},
		{"no credentials", smtpfake.StartTLS, func(o map[string]any) { delete(o, "username"); delete(o, "password") }, core.CodeInternalServerError, "set username and password"},
		{"sender not allowed", smtpfake.StartTLS, func(o map[string]any) { o["from"] = "ceo@example.com" }, core.CodeInternalServerError, "check from"},
		{"server without STARTTLS", smtpfake.None, func(o map[string]any) { o["tls"] = "starttls" }, core.CodeInternalServerError, "STARTTLS"},
		{"nothing listening", smtpfake.None, func(o map[string]any) { o["port"] = closed() }, core.CodeConnectionFailed, "connection refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := smtpfake.New(t, tc.mode)
			o := fake.Options()
			tc.edit(o)
			o["maxAttempts"] = 1
			err := send(t, o, mailtest.Message(mailtest.Address(1), false))
			mailtest.WantCode(t, err, tc.code)
			if !strings.Contains(err.Error(), tc.cause) {
				t.Errorf("error %q does not say %q", err, tc.cause)
			}
			if strings.Contains(err.Error(), fake.Password()) {
				t.Errorf("error %q repeats the password", err)
			}
			if len(fake.Sent()) != 0 {
				t.Error("a message was delivered")
			}
		})
	}
}
