package app

import (
	"strconv"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/switchboardhq/switchboard/core/server"
	"github.com/switchboardhq/switchboard/internal/jsonenc"
)

// accessFormat is the format flushOnWarn writes access lines in itself
// (server.AccessLogger): that of slog's TextHandler or JSONHandler with no
// attributes or groups of their own, or none.
type accessFormat int

const (
	accessNone accessFormat = iota
	accessText
	accessJSON
)

var _ server.AccessLogger = flushOnWarn{}

// LogAccess writes the access line of a request as slog's handler would
// write the server's record of it, byte for byte (TestAccessLineLikeSlog):
// a line a request, under load, and slog's general path (a record, its
// attributes walked and each value's kind switched on, quoting decided per
// value) was most of the request log's cost.
func (h flushOnWarn) LogAccess(e server.AccessEntry) bool {
	if h.access == accessNone {
		return false
	}
	bp := accessLines.Get().(*[]byte)
	b := (*bp)[:0]
	if h.access == accessText {
		b = appendAccessText(b, e)
	} else {
		b = appendAccessJSON(b, e)
	}
	_, _ = h.buf.Write(b)
	*bp = b
	accessLines.Put(bp)
	return true
}

var accessLines = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

func appendAccessText(b []byte, e server.AccessEntry) []byte {
	b = append(b, "time="...)
	b = e.Time.Truncate(time.Millisecond).AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
	b = append(b, " level=INFO msg=request method="...)
	b = appendTextString(b, e.Method)
	b = append(b, " path="...)
	b = appendTextString(b, e.Path)
	b = append(b, " route="...)
	b = appendTextString(b, e.Route)
	b = append(b, " status="...)
	b = strconv.AppendInt(b, int64(e.Status), 10)
	b = append(b, " duration="...)
	b = append(b, e.Duration.String()...)
	b = append(b, " bytes="...)
	b = strconv.AppendInt(b, e.Bytes, 10)
	b = append(b, " remote="...)
	b = appendTextString(b, e.Remote)
	b = append(b, " request_id="...)
	b = appendTextString(b, e.RequestID)
	return append(b, '\n')
}

// appendTextString writes s as slog's TextHandler writes a string value:
// as is, unless it is empty or holds a space, '=', '"', a control
// character, invalid UTF-8 or a non-printable rune; then Go-quoted.
func appendTextString(b []byte, s string) []byte {
	if textNeedsQuoting(s) {
		return strconv.AppendQuote(b, s)
	}
	return append(b, s...)
}

func textNeedsQuoting(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c == ' ' || c == '=' || c == '"' || c < ' ' {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return true
		}
		i += size
	}
	return false
}

func appendAccessJSON(b []byte, e server.AccessEntry) []byte {
	b = append(b, `{"time":"`...)
	b = e.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","level":"INFO","msg":"request","method":`...)
	b = jsonenc.AppendLogString(b, e.Method)
	b = append(b, `,"path":`...)
	b = jsonenc.AppendLogString(b, e.Path)
	b = append(b, `,"route":`...)
	b = jsonenc.AppendLogString(b, e.Route)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(e.Status), 10)
	b = append(b, `,"duration":`...)
	b = strconv.AppendInt(b, int64(e.Duration), 10)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendInt(b, e.Bytes, 10)
	b = append(b, `,"remote":`...)
	b = jsonenc.AppendLogString(b, e.Remote)
	b = append(b, `,"request_id":`...)
	b = jsonenc.AppendLogString(b, e.RequestID)
	return append(b, "}\n"...)
}
