package versions

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// mutate makes a plausible next build of old: some bytes changed, a block
// inserted, a block removed and a block moved.
func mutate(r *rand.Rand, old []byte) []byte {
	nw := append([]byte(nil), old...)
	for range len(nw) / 500 {
		nw[r.IntN(len(nw))] = byte(r.Uint32())
	}
	if len(nw) > 100 {
		at := r.IntN(len(nw))
		ins := make([]byte, len(nw)/20+1)
		for i := range ins {
			ins[i] = byte(r.Uint32())
		}
		nw = append(nw[:at], append(ins, nw[at:]...)...)
		cut := r.IntN(len(nw) - len(nw)/30)
		nw = append(nw[:cut], nw[cut+len(nw)/30:]...)
		mv := append([]byte(nil), nw[:len(nw)/10]...)
		nw = append(nw[len(nw)/10:], mv...)
	}
	return nw
}

func randomBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		// Skewed bytes compress and repeat like code does.
		b[i] = byte(r.IntN(64))
	}
	return b
}

func TestDiffApplyRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	base := randomBytes(r, 200_000)
	cases := []struct {
		name     string
		old, new []byte
	}{
		{"empty to empty", nil, nil},
		{"empty to some", nil, []byte("hello, world")},
		{"some to empty", []byte("hello, world"), nil},
		{"identical", base, base},
		{"tiny", []byte("abcdefgh"), []byte("abXdefghij")},
		{"mutated", base, mutate(r, base)},
		{"unrelated", base[:5000], randomBytes(r, 7000)},
		{"zeros", make([]byte, 100_000), append(make([]byte, 50_000), bytes.Repeat([]byte{1, 0}, 30_000)...)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var patch bytes.Buffer
			if err := Diff(c.old, c.new, &patch); err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := Apply(c.old, patch.Bytes(), &out); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Bytes(), c.new) {
				t.Fatalf("Apply gave %d bytes, want the %d of new", out.Len(), len(c.new))
			}
			if c.name == "mutated" && patch.Len() > len(c.new)/5 {
				t.Errorf("patch of a mutated build is %d bytes for a %d-byte file", patch.Len(), len(c.new))
			}
			checkWithBspatch(t, c.old, c.new, patch.Bytes())
		})
	}
}

// bspatchPath finds Debian's bspatch; under CI=true its absence fails.
func bspatchPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("bspatch")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("bspatch is required under CI=true (apt-get install bsdiff)")
		}
		t.Skip("bspatch not installed (apt-get install bsdiff)")
	}
	return p
}

// checkWithBspatch applies patch to old with the real bspatch and compares
// the result with new byte for byte.
func checkWithBspatch(t *testing.T, old, new, patch []byte) {
	t.Helper()
	bin := bspatchPath(t)
	dir := t.TempDir()
	oldPath, patchPath, outPath := filepath.Join(dir, "old"), filepath.Join(dir, "patch"), filepath.Join(dir, "out")
	if err := os.WriteFile(oldPath, old, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(patchPath, patch, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, oldPath, outPath, patchPath).CombinedOutput(); err != nil {
		t.Fatalf("bspatch: %v: %s", err, out)
	}
	got, err := os.ReadFile(outPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, new) {
		t.Fatalf("bspatch made %d bytes that differ from the %d of new", len(got), len(new))
	}
}

func TestApplyRefusesCorruptPatches(t *testing.T) {
	var patch bytes.Buffer
	if err := Diff([]byte("old contents"), []byte("new contents!"), &patch); err != nil {
		t.Fatal(err)
	}
	good := patch.Bytes()
	for _, bad := range [][]byte{nil, []byte("BSDIFF40"), append([]byte("BSDIFF41"), good[8:]...), good[:40]} {
		if err := Apply([]byte("old contents"), bad, &bytes.Buffer{}); err == nil {
			t.Errorf("Apply accepted a corrupt patch of %d bytes", len(bad))
		}
	}
}
