package core

import (
	"crypto/rand"
	"time"
)

// The Go values that stand for Parse field values inside the core and in the
// store interface. Stores receive and return exactly these types:
//
//	String   string
//	Number   float64
//	Boolean  bool
//	Date     time.Time (UTC)
//	Object   map[string]any  (decoded JSON, nested Parse encodings kept as-is)
//	Array    []any           (decoded JSON, nested Parse encodings kept as-is)
//	Pointer  Pointer
//	GeoPoint GeoPoint
//	Polygon  Polygon
//	Bytes    Bytes
//	File     File
//	ACL      ACL (only under the "ACL" key)
//
// Relation fields hold no value in a row: they live in join tables and are
// changed through RelationOp updates.

// Pointer refers to one object of a class.
type Pointer struct {
	ClassName string
	ObjectID  string
}

// GeoPoint is a latitude/longitude pair in degrees.
type GeoPoint struct {
	Latitude  float64
	Longitude float64
}

// Polygon is a closed ring of at least three points, each [latitude, longitude]
// as Parse encodes them.
type Polygon [][2]float64

// Bytes is binary data, base64-encoded on the wire and in storage.
type Bytes struct {
	Base64 string
}

// File is a reference to a stored file; the bytes live with a files provider.
type File struct {
	Name string
	URL  string
}

// Object is one row: field name to value, plus the built-in fields
// "objectId" (string), "createdAt" and "updatedAt" (time.Time) and "ACL".
type Object map[string]any

// Built-in field names present on every class.
const (
	FieldObjectID  = "objectId"
	FieldCreatedAt = "createdAt"
	FieldUpdatedAt = "updatedAt"
	FieldACL       = "ACL"
)

// ID returns the object's objectId, or "".
func (o Object) ID() string { s, _ := o[FieldObjectID].(string); return s }

// Now returns the current time at the precision Parse keeps (milliseconds).
func Now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// NewObjectID returns a random 10-character alphanumeric id, the form Parse
// SDKs expect. 62^10 ≈ 8e17 ids make a collision in one class vanishingly rare,
// and the store's primary key turns the rare one into a retryable 137.
func NewObjectID() string {
	var b [10]byte
	var r [16]byte
	for i := 0; i < len(b); {
		_, _ = rand.Read(r[:])
		for _, c := range r {
			// 248 = 4*62: reject the top bytes so every letter is equally likely.
			if c < 248 && i < len(b) {
				b[i] = idAlphabet[c%62]
				i++
			}
		}
	}
	return string(b[:])
}

// FormatTime renders t the way Parse does: ISO-8601, UTC, milliseconds, "Z".
//
// It writes the digits itself: every object a read returns has two dates,
// and time.Format's general layout interpreter cost a few percent of a
// 20-row page. Years outside 0–9999, which that layout cannot show in four
// digits either, go through time.Format.
func FormatTime(t time.Time) string {
	var b [24]byte
	return string(AppendTime(b[:0], t))
}

// AppendTime appends FormatTime(t) to dst, for writers that make no string
// of it.
func AppendTime(dst []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(dst, isoLayout)
	}
	hour, minute, sec := t.Clock()
	var b [24]byte
	put := func(i, n, width int) {
		for j := i + width - 1; j >= i; j-- {
			b[j] = byte('0' + n%10)
			n /= 10
		}
	}
	put(0, year, 4)
	b[4] = '-'
	put(5, int(month), 2)
	b[7] = '-'
	put(8, day, 2)
	b[10] = 'T'
	put(11, hour, 2)
	b[13] = ':'
	put(14, minute, 2)
	b[16] = ':'
	put(17, sec, 2)
	b[19] = '.'
	put(20, t.Nanosecond()/int(time.Millisecond), 3)
	b[23] = 'Z'
	return append(dst, b[:]...)
}

const isoLayout = "2006-01-02T15:04:05.000Z"

// ParseTime accepts the ISO-8601 forms Parse clients send.
func ParseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000Z07:00", "2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05.000", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC().Truncate(time.Millisecond), nil
		}
	}
	return time.Time{}, Errorf(CodeIncorrectType, "invalid date %q: expected ISO-8601 such as 2024-01-02T15:04:05.000Z", s)
}
