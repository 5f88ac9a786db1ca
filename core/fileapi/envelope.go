package fileapi

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/switchboardhq/switchboard/core"
)

// envelope is the JS SDK's JSON form of an upload:
//
//	{"base64": "...", "_ContentType": "image/png", "fileData": {"metadata": {...}, "tags": {...}},
//	 "_ApplicationId": "...", "_SessionToken": "...", ...}
//
// scanEnvelope reads it as a stream: the base64 value is decoded straight
// into a spool file while it arrives, so an upload of N megabytes never
// holds N megabytes in memory, which encoding/json (it reads each string
// whole) cannot do. The other members are small and kept: strings in
// fields, fileData as raw JSON.
type envelope struct {
	fields   map[string]string
	fileData json.RawMessage
	hasData  bool
	size     int64
	// dataType is the type of a "data:<type>;base64," prefix, if any.
	dataType string
}

// Limits of the small members.
const (
	maxEnvelopeString = 64 << 10
	maxEnvelopeKey    = 256
	maxEnvelopeMember = 100
)

var errEnvelope = core.Errorf(core.CodeInvalidJSON, "invalid JSON")

func badEnvelope(why string) *core.Error {
	return core.Errorf(core.CodeInvalidJSON, "invalid JSON upload: %s", why)
}

// scanEnvelope reads the envelope from r, writing the decoded file to
// spool, at most maxSize bytes of it (more is CodeFileTooLarge).
func scanEnvelope(r *bufio.Reader, spool io.Writer, maxSize int64) (*envelope, error) {
	env := &envelope{fields: map[string]string{}}
	if err := expect(r, '{'); err != nil {
		return nil, err
	}
	for members := 0; ; members++ {
		if members > maxEnvelopeMember {
			return nil, badEnvelope("too many members")
		}
		c, err := nextIn(r)
		if err != nil {
			return nil, err
		}
		if c == '}' && members == 0 {
			break
		}
		if c != '"' {
			return nil, errEnvelope
		}
		key, err := readString(r, maxEnvelopeKey)
		if err != nil {
			return nil, err
		}
		if err := expect(r, ':'); err != nil {
			return nil, err
		}
		if key == "base64" {
			if env.hasData {
				return nil, badEnvelope("base64 given twice")
			}
			if err := expect(r, '"'); err != nil {
				return nil, badEnvelope("base64 must be a string")
			}
			if err := env.decodeBase64(r, spool, maxSize); err != nil {
				return nil, err
			}
			env.hasData = true
		} else if err := env.member(r, key); err != nil {
			return nil, err
		}
		c, err = nextIn(r)
		if err != nil {
			return nil, err
		}
		if c == '}' {
			break
		}
		if c != ',' {
			return nil, errEnvelope
		}
	}
	if c, err := next(r); err != io.EOF {
		if err == nil {
			err = badEnvelope(fmt.Sprintf("unexpected %q after the object", c))
		}
		return nil, err
	}
	return env, nil
}

// member reads one value that is not the file: strings are kept, fileData
// is kept raw, anything else is checked and dropped.
func (env *envelope) member(r *bufio.Reader, key string) error {
	c, err := nextIn(r)
	if err != nil {
		return err
	}
	if c == '"' {
		s, err := readString(r, maxEnvelopeString)
		if err != nil {
			return err
		}
		env.fields[key] = s
		return nil
	}
	_ = r.UnreadByte()
	var b strings.Builder
	if err := readValue(r, &b); err != nil {
		return err
	}
	if !json.Valid([]byte(b.String())) {
		return errEnvelope
	}
	if key == "fileData" {
		env.fileData = json.RawMessage(b.String())
	}
	return nil
}

// readValue copies one JSON value that is not a string at the top (an
// object, array, number or literal) into b, up to maxEnvelopeString
// bytes, tracking nesting and strings so that brackets inside strings do
// not count.
func readValue(r *bufio.Reader, b *strings.Builder) error {
	depth, inString, escaped := 0, false, false
	for {
		if b.Len() > maxEnvelopeString {
			return badEnvelope("a member is too large")
		}
		c, err := r.ReadByte()
		if err != nil {
			return readErr(err)
		}
		if inString {
			b.WriteByte(c)
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				_ = r.UnreadByte()
				return nil
			}
			depth--
		case ',':
			if depth == 0 {
				_ = r.UnreadByte()
				return nil
			}
		}
		b.WriteByte(c)
		if depth == 0 && (c == '}' || c == ']') {
			return nil
		}
	}
}

// decodeBase64 streams the base64 string (after its opening quote) into
// spool. A "data:<type>;base64," prefix, which some clients send, gives the
// content type.
func (env *envelope) decodeBase64(r *bufio.Reader, spool io.Writer, maxSize int64) error {
	chars := &jsonStringReader{r: r}
	if head, _ := r.Peek(5); string(head) == "data:" {
		var prefix strings.Builder
		for {
			c, err := chars.readChar()
			if err != nil || prefix.Len() > 256 {
				return badEnvelope("invalid data URI")
			}
			if c == ',' {
				break
			}
			prefix.WriteByte(c)
		}
		mt, ok := strings.CutSuffix(strings.TrimPrefix(prefix.String(), "data:"), ";base64")
		if !ok {
			return badEnvelope("a data URI must be base64")
		}
		env.dataType = mt
	}
	n, err := io.Copy(spool, io.LimitReader(base64.NewDecoder(base64.StdEncoding, chars), maxSize+1))
	env.size = n
	var ce *core.Error
	switch {
	case errors.As(err, &ce):
		return ce
	case err != nil:
		return core.Errorf(core.CodeFileSaveError, "the base64 data is invalid")
	case n > maxSize:
		return core.Errorf(core.CodeFileTooLarge, "the file is larger than the limit of %d bytes", maxSize)
	}
	// The decoder may stop at padding before the closing quote.
	if _, err := io.Copy(io.Discard, chars); err != nil {
		return err
	}
	if !chars.done {
		return badEnvelope("unterminated base64 string")
	}
	return nil
}

// jsonStringReader yields the characters of a JSON string's content
// (after the opening quote), unescaping "\/" and friends, until the
// closing quote. Anything outside base64's alphabet and JSON's escapes of
// it is left for the base64 decoder to refuse.
type jsonStringReader struct {
	r    *bufio.Reader
	done bool
}

func (j *jsonStringReader) readChar() (byte, error) {
	if j.done {
		return 0, io.EOF
	}
	c, err := j.r.ReadByte()
	if err != nil {
		return 0, readErr(err)
	}
	switch c {
	case '"':
		j.done = true
		return 0, io.EOF
	case '\\':
		e, err := j.r.ReadByte()
		if err != nil {
			return 0, readErr(err)
		}
		switch e {
		case '/', '\\', '"':
			return e, nil
		case 'n':
			return '\n', nil // the decoder skips newlines
		case 'r':
			return '\r', nil
		case 'u':
			var hex [4]byte
			if _, err := io.ReadFull(j.r, hex[:]); err != nil {
				return 0, errEnvelope
			}
			v, err := strconv.ParseUint(string(hex[:]), 16, 16)
			if err != nil || v >= utf8.RuneSelf {
				return 0, core.Errorf(core.CodeFileSaveError, "the base64 data is invalid")
			}
			return byte(v), nil
		}
		return 0, core.Errorf(core.CodeFileSaveError, "the base64 data is invalid")
	}
	return c, nil
}

func (j *jsonStringReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c, err := j.readChar()
		if err != nil {
			if n > 0 && err == io.EOF {
				return n, nil
			}
			return n, err
		}
		p[n] = c
		n++
		if j.r.Buffered() == 0 && n > 0 {
			break // do not block for more while holding bytes to return
		}
	}
	return n, nil
}

func next(r *bufio.Reader) (byte, error) {
	for {
		c, err := r.ReadByte()
		if err != nil {
			if err == io.EOF {
				return 0, io.EOF
			}
			return 0, readErr(err)
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		return c, nil
	}
}

// nextIn is next inside the object, where the end of the body is an
// error.
func nextIn(r *bufio.Reader) (byte, error) {
	c, err := next(r)
	if err == io.EOF {
		return 0, errEnvelope
	}
	return c, err
}

func expect(r *bufio.Reader, want byte) error {
	c, err := nextIn(r)
	if err != nil {
		return err
	}
	if c != want {
		return errEnvelope
	}
	return nil
}

// readString reads a JSON string after its opening quote, up to max bytes,
// and unquotes it with encoding/json.
func readString(r *bufio.Reader, max int) (string, error) {
	var b strings.Builder
	b.WriteByte('"')
	escaped := false
	for {
		if b.Len() > max {
			return "", badEnvelope("a string is too long")
		}
		c, err := r.ReadByte()
		if err != nil {
			return "", readErr(err)
		}
		b.WriteByte(c)
		if escaped {
			escaped = false
			continue
		}
		if c == '\\' {
			escaped = true
			continue
		}
		if c == '"' {
			break
		}
	}
	var s string
	if err := json.Unmarshal([]byte(b.String()), &s); err != nil {
		return "", errEnvelope
	}
	return s, nil
}

// readErr maps a failure to read the body: the end of the body in the
// middle of the JSON is invalid JSON, a body over the limit is too large,
// anything else is the client going away.
func readErr(err error) error {
	var ce *core.Error
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &ce):
		return ce
	case errors.As(err, &tooLarge):
		return core.Errorf(core.CodeFileTooLarge, "the upload is larger than the limit")
	case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
		return errEnvelope
	}
	return &core.Error{Code: core.CodeConnectionFailed, Message: "the upload was interrupted", Err: err}
}
