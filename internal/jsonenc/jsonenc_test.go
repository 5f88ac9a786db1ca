package jsonenc

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
)

var strings = []string{"", "plain", "\u2028\u2029", "bad\xffutf8", "<script>&amp;", "\x00\x1f\"\\/\t\n\r\b\f\x7f",
	"é日本🙂", "\xe2\x80", "trailing\xe2", "a\u2028b<c>d&e"}

var floats = []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 1e21, 1e20, 1e-7, 1e-6, 9.99e-7, 123456789.125, 5e-324,
	math.MaxFloat64, -math.MaxFloat64, float64(1 << 53), -1e-10, 3.0, 1e100, 1.5e-300, 2.5e-8}

func TestAppendStringLikeEncodingJSON(t *testing.T) {
	for _, s := range strings {
		checkString(t, s)
	}
}

func TestAppendFloatLikeEncodingJSON(t *testing.T) {
	for _, f := range floats {
		checkFloat(t, f)
	}
	for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, ok := AppendFloat(nil, bad); ok {
			t.Errorf("AppendFloat(%v) ok, encoding/json refuses it", bad)
		}
	}
}

func checkString(t *testing.T, s string) {
	t.Helper()
	want, _ := json.Marshal(s)
	if got := AppendString([]byte("x"), s); !bytes.Equal(got[1:], want) || got[0] != 'x' {
		t.Errorf("AppendString(%q) = %s, encoding/json = %s", s, got, want)
	}
}

func checkFloat(t *testing.T, f float64) {
	t.Helper()
	want, err := json.Marshal(f)
	got, ok := AppendFloat(nil, f)
	if (err == nil) != ok || !bytes.Equal(got, want) {
		t.Errorf("AppendFloat(%v) = %s %v, encoding/json = %s %v", f, got, ok, want, err)
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range strings {
		f.Add(s)
	}
	f.Fuzz(checkString)
}

func FuzzAppendFloat(f *testing.F) {
	for _, x := range floats {
		f.Add(x)
	}
	f.Fuzz(checkFloat)
}
