package core

import (
	"context"
	"testing"
)

// The vector was computed outside Go (Python's hashlib: SHA-512 of salt +
// password, then 512 more rounds over the digest, base64), so the test
// checks the scheme, not the code against itself.
func TestLeanCloudPasswordHash(t *testing.T) {
	const salt, pw = "s4lt$with$dollars", "old-Passw0rd"
	const hash = "tkfIroCdAbpelBn8DtNNKhG9NzYoTsa9xvS4PURlAe5yk4A0G4JbnWrs1iSj/3xiA+OcwF4Upkn594g3aTcOVQ=="
	stored := LeanCloudPasswordHash(salt, hash)
	cases := []struct {
		stored, pw string
		want       bool
	}{
		{stored, pw, true},
		{stored, pw + "x", false},
		{stored, "", false},
		{LeanCloudPasswordHash("other", hash), pw, false},
		{LeanCloudPasswordHash(salt, ""), pw, false},
		{"$leancloud$", pw, false},
		{"$leancloud$nohash", pw, false},
	}
	for _, tc := range cases {
		if got := passwordMatches(tc.stored, tc.pw); got != tc.want {
			t.Errorf("passwordMatches(%q, %q) = %v, want %v", tc.stored, tc.pw, got, tc.want)
		}
	}
}

func TestDecodeBitwise(t *testing.T) {
	cases := []struct {
		body map[string]any
		want Op
		code Code
	}{
		{map[string]any{"f": map[string]any{"__op": "BitOr", "value": 4.0}}, Bitwise{Op: BitOr, Value: 4}, 0},
		{map[string]any{"f": map[string]any{"__op": "BitAnd", "value": -2.0}}, Bitwise{Op: BitAnd, Value: -2}, 0},
		{map[string]any{"f": map[string]any{"__op": "BitXor", "value": 1.0}}, Bitwise{Op: BitXor, Value: 1}, 0},
		{map[string]any{"f": map[string]any{"__op": "BitOr", "value": 1.5}}, nil, CodeInvalidJSON},
		{map[string]any{"f": map[string]any{"__op": "BitOr", "value": "4"}}, nil, CodeInvalidJSON},
		{map[string]any{"f": map[string]any{"__op": "BitOr"}}, nil, CodeInvalidJSON},
		{map[string]any{"f": map[string]any{"__op": "BitOr", "value": 1e300}}, nil, CodeInvalidJSON},
	}
	for _, tc := range cases {
		w, err := decodeWrite(tc.body, false)
		if tc.code != 0 {
			if err == nil || err.Code != tc.code {
				t.Errorf("decodeWrite(%v) = %v, want code %d", tc.body, err, tc.code)
			}
			continue
		}
		if err != nil || w.update["f"] != tc.want || w.fields["f"].Type != TypeNumber {
			t.Errorf("decodeWrite(%v) = %v, %v; want %v", tc.body, w.update, err, tc.want)
		}
	}
	if got := (Bitwise{Op: BitXor, Value: 6}).Apply(3); got != 5 {
		t.Errorf("3 xor 6 = %d", got)
	}
}

// WriteOptions apply to the first write only: what it runs in turn (a
// trigger's own writes) sees a context without them.
func TestTakeWriteOptions(t *testing.T) {
	o := &WriteOptions{ReturnObject: true}
	ctx, got := takeWriteOptions(WithWriteOptions(context.Background(), o))
	if got != o {
		t.Fatalf("took %v, want %v", got, o)
	}
	if _, again := takeWriteOptions(ctx); again != nil {
		t.Errorf("options seen twice: %v", again)
	}
}
