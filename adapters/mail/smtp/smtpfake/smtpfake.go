// Package smtpfake runs a real SMTP server on 127.0.0.1 for the smtp mail
// provider's tests and for end-to-end tests that need to read the e-mails
// Switchboard sends (verification links, password resets):
//
//	fake := smtpfake.New(t, smtpfake.StartTLS)
//	// config: mail: {provider: smtp, smtp: fake.Options()}
//	// (with StartTLS or Implicit the client must trust fake.RootCAs();
//	// end-to-end tests that cannot inject it use smtpfake.None)
//	msg := fake.Sent()[0] // decoded: To, From, Subject, Text, HTML
//
// It is github.com/emersion/go-smtp's server with a backend that requires
// AUTH PLAIN with the fake's username and password before MAIL (535 5.7.8
// for wrong credentials, 530 5.7.0 without AUTH), offers AUTH only over TLS
// unless the mode is None, refuses recipients at .invalid domains (550
// 5.1.1) and parses every message it accepts as MIME. It can be told to
// fail transiently (451 4.3.0, or 421 4.7.0 throttling, or a dropped
// connection), to stall, or to enforce a sending quota, counted at MAIL
// and refused with 550 5.4.5 (see mailtest.Remote).
package smtpfake

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"

	"github.com/switchboardhq/switchboard/adapters/internal/conformance"
	"github.com/switchboardhq/switchboard/adapters/mail/mailtest"
)

// Mode is how the server uses TLS.
type Mode string

// The modes, named as the smtp provider's tls option.
const (
	StartTLS Mode = "starttls"
	Implicit Mode = "implicit"
	None     Mode = "none"
)

// Credentials and sender the fake accepts.
const (
	Username = "switchboard@example.com"
	From     = "no-reply@switchboard.test"
)

// Server is a running fake.
type Server struct {
	*conformance.Faults
	mode     Mode
	password string
	port     int
	roots    *x509.CertPool
	srv      *gosmtp.Server

	mu   sync.Mutex
	sent []mailtest.Sent
	raw  [][]byte
}

var _ mailtest.Remote = (*Server)(nil)

// New starts a fake in the given mode, closed when tb ends.
func New(tb testing.TB, mode Mode) *Server {
	tb.Helper()
	s := &Server{Faults: conformance.NewFaults(), mode: mode, password: randomString()}
	id, err := certificate()
	if err != nil {
		tb.Fatal(err)
	}
	s.roots = id.roots
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s.port = inner.Addr().(*net.TCPAddr).Port
	var l net.Listener = &listener{Listener: inner, s: s}
	s.srv = gosmtp.NewServer(backend{s})
	s.srv.Domain = "smtp.switchboard.test"
	s.srv.ReadTimeout, s.srv.WriteTimeout = 10*time.Second, 10*time.Second
	s.srv.MaxMessageBytes = 1 << 20
	s.srv.MaxRecipients = 10
	s.srv.ErrorLog = log.New(io.Discard, "", 0)
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{id.cert}, MinVersion: tls.VersionTLS12}
	switch mode {
	case StartTLS:
		s.srv.TLSConfig = tlsConfig
	case Implicit:
		s.srv.TLSConfig = tlsConfig
		l = tls.NewListener(l, tlsConfig)
	case None:
		s.srv.AllowInsecureAuth = true
	default:
		tb.Fatalf("smtpfake: unknown mode %q", mode)
	}
	go func() { _ = s.srv.Serve(l) }()
	tb.Cleanup(func() {
		s.Release()
		_ = s.srv.Close()
	})
	return s
}

// Options returns a mail.smtp config section pointing at the fake.
func (s *Server) Options() map[string]any {
	return map[string]any{
		"host": "127.0.0.1", "port": s.port, "tls": string(s.mode),
		"username": Username, "password": s.password, "from": "Switchboard <" + From + ">",
	}
}

// Password is the AUTH password the fake expects.
func (s *Server) Password() string { return s.password }

// RootCAs holds the certificate the fake presents.
func (s *Server) RootCAs() *x509.CertPool { return s.roots }

// Roots holds the certificate every fake in the process presents.
func Roots() *x509.CertPool {
	id, err := certificate()
	if err != nil {
		panic("smtpfake: " + err.Error())
	}
	return id.roots
}

// Sent returns the messages accepted, decoded, oldest first.
func (s *Server) Sent() []mailtest.Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]mailtest.Sent(nil), s.sent...)
}

// Raw returns the messages accepted as received, oldest first.
func (s *Server) Raw() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.raw...)
}

// listener decides each connection's fate as it is accepted.
type listener struct {
	net.Listener
	s *Server
}

// conn carries the failure and stall decided for it.
type conn struct {
	net.Conn
	failure mailtest.Failure
	stall   bool
}

func (l *listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		fc := &conn{Conn: c}
		fc.failure, fc.stall = l.s.Next()
		if fc.failure == mailtest.Down {
			c.Close()
			continue
		}
		return fc, nil
	}
}

type backend struct{ s *Server }

func (b backend) NewSession(c *gosmtp.Conn) (gosmtp.Session, error) {
	nc := c.Conn()
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	fc, _ := nc.(*conn)
	if fc == nil {
		return nil, errors.New("smtpfake: unexpected connection type")
	}
	return &session{s: b.s, conn: fc}, nil
}

type session struct {
	s      *Server
	conn   *conn
	authed bool
	from   string
	to     []string
}

var _ gosmtp.AuthSession = (*session)(nil)

func (se *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (se *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if (identity != "" && identity != username) || username != Username || password != se.s.password {
			return gosmtp.ErrAuthFailed
		}
		se.authed = true
		return nil
	}), nil
}

func (se *session) Mail(from string, _ *gosmtp.MailOptions) error {
	if se.conn.stall {
		<-se.s.Released()
		return &gosmtp.SMTPError{Code: 421, EnhancedCode: gosmtp.EnhancedCode{4, 3, 2}, Message: "Shutting down"}
	}
	switch se.conn.failure {
	case mailtest.Failing:
		return &gosmtp.SMTPError{Code: 451, EnhancedCode: gosmtp.EnhancedCode{4, 3, 0}, Message: "Mail server temporarily rejected message."}
	case mailtest.Throttled:
		return &gosmtp.SMTPError{Code: 421, EnhancedCode: gosmtp.EnhancedCode{4, 7, 0}, Message: "Try again later, closing connection."}
	}
	if !se.authed {
		return &gosmtp.SMTPError{Code: 530, EnhancedCode: gosmtp.EnhancedCode{5, 7, 0}, Message: "Authentication Required."}
	}
	if addr, err := mail.ParseAddress(from); err != nil || addr.Address != From {
		return &gosmtp.SMTPError{Code: 553, EnhancedCode: gosmtp.EnhancedCode{5, 7, 1}, Message: "Sender address rejected: not owned by user " + Username}
	}
	if !se.s.Take(Username) {
		return &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 4, 5}, Message: "Daily user sending quota exceeded."}
	}
	se.from = from
	return nil
}

func (se *session) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	if strings.HasSuffix(strings.ToLower(to), ".invalid") {
		return &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 1, 1}, Message: "The email account that you tried to reach does not exist."}
	}
	se.to = append(se.to, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	sent, err := parse(raw)
	if err != nil {
		return &gosmtp.SMTPError{Code: 554, EnhancedCode: gosmtp.EnhancedCode{5, 6, 0}, Message: "Message is not valid MIME: " + err.Error()}
	}
	sent.To = append([]string(nil), se.to...)
	se.s.mu.Lock()
	defer se.s.mu.Unlock()
	se.s.sent = append(se.s.sent, sent)
	se.s.raw = append(se.s.raw, raw)
	return nil
}

func (se *session) Reset() { se.from, se.to = "", nil }

func (se *session) Logout() error { return nil }

// parse decodes a message into its From, Subject and text and HTML parts.
func parse(raw []byte) (mailtest.Sent, error) {
	var out mailtest.Sent
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return out, err
	}
	from, err := mail.ParseAddress(m.Header.Get("From"))
	if err != nil {
		return out, err
	}
	out.From = from.Address
	dec := new(mime.WordDecoder)
	if out.Subject, err = dec.DecodeHeader(m.Header.Get("Subject")); err != nil {
		return out, err
	}
	for _, h := range []string{"Date", "Message-Id", "Mime-Version"} {
		if m.Header.Get(h) == "" {
			return out, errors.New("no " + h + " header")
		}
	}
	err = walk(m.Header.Get("Content-Type"), m.Header.Get("Content-Transfer-Encoding"), m.Body, &out)
	return out, err
}

// walk reads one MIME entity, descending into multiparts, and keeps the
// text/plain and text/html bodies.
func walk(contentType, encoding string, body io.Reader, out *mailtest.Sent) error {
	if contentType == "" {
		contentType = "text/plain; charset=us-ascii"
	}
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return err
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if err := walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, out); err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, &stripNewlines{r: body})
	}
	if cs := strings.ToLower(params["charset"]); cs != "" && cs != "utf-8" && cs != "us-ascii" {
		return errors.New("unexpected charset " + cs)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	switch mediaType {
	case "text/plain":
		out.Text = string(b)
	case "text/html":
		out.HTML = string(b)
	}
	return nil
}

// stripNewlines drops CR and LF, which base64 bodies are wrapped with.
type stripNewlines struct{ r io.Reader }

func (s *stripNewlines) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	j := 0
	for _, c := range p[:n] {
		if c != '\r' && c != '\n' {
			p[j] = c
			j++
		}
	}
	return j, err
}

// certificate is the one self-signed certificate every fake in the process
// presents, so that a client can trust all of them with one pool.
var certificate = sync.OnceValues(func() (*identity, error) {
	cert, roots, err := selfSigned()
	return &identity{cert, roots}, err
})

type identity struct {
	cert  tls.Certificate
	roots *x509.CertPool
}

func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "smtpfake"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:    []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}

func randomString() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
