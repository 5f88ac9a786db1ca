// Package s3fake is an S3 server for tests: github.com/johannesboyne/gofakes3
// behind httptest.NewTLSServer, with what gofakes3 leaves out and the s3
// provider relies on: AWS Signature Version 4 is checked on every request,
// both in the Authorization header and in presigned query strings (with
// their expiry), so tampered, expired and unsigned requests get S3's real
// 403 answers (SignatureDoesNotMatch, AccessDenied, InvalidAccessKeyId).
//
// TLS is not optional: over plain HTTP minio-go and the AWS SDK sign the
// body in aws-chunked streaming form, which gofakes3 does not decode, and
// multipart uploads come out corrupted.
package s3fake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/switchboardhq/switchboard/adapters/files/internal/filekit"
)

// Credentials and names the fake accepts.
const (
	AccessKeyID     = "AKIAFAKEFAKEFAKE0001"
	SecretAccessKey = "fake/Secret+Key/0123456789abcdefghijklmn"
	Region          = "us-east-1"
	Bucket          = "switchboard-test"
)

// Fake is one S3 server.
type Fake struct {
	srv      *httptest.Server
	caFile   string
	received atomic.Int64
}

// New starts a fake with an empty bucket until tb ends.
func New(tb testing.TB) *Fake {
	backend := s3mem.New()
	if err := backend.CreateBucket(Bucket); err != nil {
		tb.Fatal(err)
	}
	s3 := gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog()))
	f := &Fake{}
	f.srv = httptest.NewTLSServer(f.verify(s3.Server()))
	tb.Cleanup(f.srv.Close)
	f.caFile = filepath.Join(tb.TempDir(), "ca.pem")
	block := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.srv.Certificate().Raw})
	if err := os.WriteFile(f.caFile, block, 0o600); err != nil {
		tb.Fatal(err)
	}
	return f
}

// URL is the endpoint.
func (f *Fake) URL() string { return f.srv.URL }

// Client trusts the fake's certificate.
func (f *Fake) Client() *http.Client { return f.srv.Client() }

// Options is a files.s3 config section for the fake.
func (f *Fake) Options() map[string]any {
	return map[string]any{
		"endpoint": f.srv.URL, "region": Region, "bucket": Bucket, "pathStyle": true,
		"accessKeyId": AccessKeyID, "secretAccessKey": SecretAccessKey, "caFile": f.caFile,
	}
}

// Received is how many body bytes the fake has read.
func (f *Fake) Received() int64 { return f.received.Load() }

func (f *Fake) verify(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if code, msg := checkSignature(r, time.Now()); code != "" {
			writeError(w, code, msg)
			return
		}
		r.Body = filekit.CountingBody{ReadCloser: r.Body, N: &f.received}
		next.ServeHTTP(w, r)
	})
}

func writeError(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusForbidden)
	_ = xml.NewEncoder(w).Encode(struct {
		XMLName   xml.Name `xml:"Error"`
		Code      string
		Message   string
		RequestID string `xml:"RequestId"`
	}{Code: code, Message: msg, RequestID: "FAKE" + strconv.FormatInt(time.Now().UnixNano(), 36)})
}

// checkSignature verifies AWS Signature Version 4 as S3 does and returns
// S3's error code and message, or "" when the request is authentic.
func checkSignature(r *http.Request, now time.Time) (code, msg string) {
	q := r.URL.Query()
	var cred, signedHeaders, signature, amzDate, payload string
	presigned := q.Get("X-Amz-Algorithm") != ""
	if presigned {
		if q.Get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" {
			return "AuthorizationQueryParametersError", "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\""
		}
		cred, signedHeaders, signature, amzDate = q.Get("X-Amz-Credential"), q.Get("X-Amz-SignedHeaders"), q.Get("X-Amz-Signature"), q.Get("X-Amz-Date")
		payload = "UNSIGNED-PAYLOAD"
		at, err := time.Parse("20060102T150405Z", amzDate)
		expires, err2 := strconv.Atoi(q.Get("X-Amz-Expires"))
		if err != nil || err2 != nil || expires < 1 || expires > 604800 {
			return "AuthorizationQueryParametersError", "X-Amz-Date and X-Amz-Expires must be valid"
		}
		if now.After(at.Add(time.Duration(expires) * time.Second)) {
			return "AccessDenied", "Request has expired"
		}
	} else {
		auth, ok := strings.CutPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ")
		if !ok {
			return "AccessDenied", "Access Denied"
		}
		for part := range strings.SplitSeq(auth, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
			switch k {
			case "Credential":
				cred = v
			case "SignedHeaders":
				signedHeaders = v
			case "Signature":
				signature = v
			}
		}
		amzDate, payload = r.Header.Get("X-Amz-Date"), r.Header.Get("X-Amz-Content-Sha256")
		if payload == "" {
			return "InvalidRequest", "Missing required header for this request: x-amz-content-sha256"
		}
	}
	parts := strings.Split(cred, "/")
	if len(parts) != 5 || parts[3] != "s3" || parts[4] != "aws4_request" {
		return "AuthorizationHeaderMalformed", "The authorization header is malformed; the Credential is mal-formed"
	}
	if parts[0] != AccessKeyID {
		return "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."
	}
	if !strings.HasPrefix(amzDate, parts[1]) {
		return "AuthorizationHeaderMalformed", "The date of the credential does not match X-Amz-Date"
	}
	names := strings.Split(signedHeaders, ";")
	if !slices.Contains(names, "host") {
		return "AccessDenied", "host must be a signed header"
	}
	var canon strings.Builder
	for _, h := range names {
		var v string
		switch h {
		case "host":
			v = r.Host
		case "content-length":
			v = strconv.FormatInt(r.ContentLength, 10)
		default:
			v = strings.Join(r.Header.Values(h), ",")
		}
		canon.WriteString(h + ":" + strings.TrimSpace(v) + "\n")
	}
	canonicalRequest := strings.Join([]string{
		r.Method, r.URL.EscapedPath(), canonicalQuery(q), canon.String(), signedHeaders, payload,
	}, "\n")
	scope := strings.Join(parts[1:], "/")
	sum := sha256.Sum256([]byte(canonicalRequest))
	toSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	key := []byte("AWS4" + SecretAccessKey)
	for _, p := range parts[1:] {
		key = hmacSHA256(key, p)
	}
	want := hex.EncodeToString(hmacSHA256(key, toSign))
	if !hmac.Equal([]byte(want), []byte(signature)) {
		return "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method."
	}
	return "", ""
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// canonicalQuery is the sorted, RFC 3986-encoded query without the
// signature itself.
func canonicalQuery(q url.Values) string {
	var pairs []string
	for k, vs := range q {
		if k == "X-Amz-Signature" {
			continue
		}
		for _, v := range vs {
			pairs = append(pairs, awsEscape(k)+"="+awsEscape(v))
		}
	}
	slices.Sort(pairs)
	return strings.Join(pairs, "&")
}

// awsEscape percent-encodes everything but the unreserved characters.
func awsEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
