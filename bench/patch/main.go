// Command patch measures the release patch build on a large artifact: our
// BSDIFF40 writer (core/versions.Diff, what the patch job runs) against
// Debian's bsdiff on the same pair of files, each in a child process so
// that its peak resident memory (the child's maxrss) is its own. Both
// patches are applied with Debian's bspatch and compared with the new
// file byte for byte.
//
//	go run ./bench/patch -size 100MiB -dir /var/tmp/sbpatch
//
// The pair is a plausible new build of an app: 4 bytes changed every ~2
// KiB (recompiled addresses), a 2% block inserted, a 1% block removed
// and a 5% block moved. -skip-debian skips Debian's bsdiff (it needs
// about 17 bytes of memory per byte of the old file).
package main

import (
	"bytes"
	"crypto/sha256"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/switchboardhq/switchboard/core/versions"
)

func main() {
	if len(os.Args) == 5 && os.Args[1] == "-diff-child" {
		diffChild(os.Args[2], os.Args[3], os.Args[4])
		return
	}
	size := flag.String("size", "100MiB", "artifact size (KiB, MiB, GiB suffixes)")
	dir := flag.String("dir", os.TempDir(), "folder for the pair and the patches")
	skipDebian := flag.Bool("skip-debian", false, "do not run Debian's bsdiff")
	flag.Parse()
	n, err := parseSize(*size)
	check(err)
	work, err := os.MkdirTemp(*dir, "sbpatch")
	check(err)
	defer os.RemoveAll(work)
	oldPath, newPath := filepath.Join(work, "old"), filepath.Join(work, "new")
	old, nw := pair(n)
	check(os.WriteFile(oldPath, old, 0o600))
	check(os.WriteFile(newPath, nw, 0o600))
	fmt.Printf("pair: old %d bytes, new %d bytes\n", len(old), len(nw))
	old = nil

	self, err := os.Executable()
	check(err)
	ours := filepath.Join(work, "ours.patch")
	report("switchboard (index/suffixarray + dsnet bzip2)", ours, oldPath, nw, run(exec.Command(self, "-diff-child", oldPath, newPath, ours)))
	if *skipDebian {
		return
	}
	if _, err := exec.LookPath("bsdiff"); err != nil {
		fmt.Println("Debian bsdiff: not installed (apt-get install bsdiff)")
		return
	}
	theirs := filepath.Join(work, "debian.patch")
	report("Debian bsdiff 4.3", theirs, oldPath, nw, run(exec.Command("bsdiff", oldPath, newPath, theirs)))
}

// pair makes the old build and the new one.
func pair(n int64) (old, nw []byte) {
	r := rand.New(rand.NewPCG(100, 200))
	old = make([]byte, n)
	// Code-like bytes: a skewed alphabet with repeated runs, so that the
	// files compress about as well as binaries do.
	for i := 0; i < len(old); {
		if i > 4096 && r.IntN(8) == 0 { // a repeat from earlier in the file
			from, l := r.IntN(i-64), 8+r.IntN(56)
			i += copy(old[i:], old[from:from+l])
			continue
		}
		old[i] = byte(r.IntN(64) * r.IntN(4))
		i++
	}
	nw = append([]byte(nil), old...)
	for i := 0; i+4 < len(nw); i += 1024 + r.IntN(2048) {
		copy(nw[i:], []byte{byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32())})
	}
	ins := make([]byte, n/50)
	for i := range ins {
		ins[i] = byte(r.IntN(64))
	}
	at := len(nw) / 3
	nw = append(nw[:at], append(ins, nw[at:]...)...)
	cut := 2 * len(nw) / 3
	nw = append(nw[:cut], nw[cut+len(nw)/100:]...)
	mv := append([]byte(nil), nw[len(nw)/10:len(nw)/10+len(nw)/20]...)
	nw = append(append(nw[:len(nw)/10:len(nw)/10], nw[len(nw)/10+len(nw)/20:]...), mv...)
	return old, nw
}

// diffChild runs our Diff on two files, as the patch job does (both whole
// in memory).
func diffChild(oldPath, newPath, out string) {
	old, err := os.ReadFile(oldPath)
	check(err)
	nw, err := os.ReadFile(newPath)
	check(err)
	var patch bytes.Buffer
	check(versions.Diff(old, nw, &patch))
	check(os.WriteFile(out, patch.Bytes(), 0o600))
}

// result is one child's wall time, CPU time (user + system: the figure
// that holds on a busy machine) and peak RSS in bytes.
type result struct {
	wall, cpu time.Duration
	rss       int64
}

// run runs cmd and measures it.
func run(cmd *exec.Cmd) result {
	cmd.Stderr = os.Stderr
	start := time.Now()
	check(cmd.Run())
	d := time.Since(start)
	res := result{wall: d, cpu: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}
	if ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage); ru != nil {
		res.rss = ru.Maxrss * 1024 // kilobytes on Linux
	}
	return res
}

func report(name, patch, oldPath string, nw []byte, res result) {
	st, err := os.Stat(patch)
	check(err)
	out := patch + ".out"
	applied := "bspatch: not installed"
	if _, err := exec.LookPath("bspatch"); err == nil {
		check(exec.Command("bspatch", oldPath, out, patch).Run())
		got, err := os.ReadFile(out)
		check(err)
		applied = "bspatch: differs from new"
		if sha256.Sum256(got) == sha256.Sum256(nw) {
			applied = "bspatch: reproduces new byte for byte"
		}
		_ = os.Remove(out)
	}
	fmt.Printf("%s: patch %d bytes (%.2f%% of new), %.1fs wall, %.1fs CPU, peak RSS %d MB; %s\n",
		name, st.Size(), 100*float64(st.Size())/float64(len(nw)), res.wall.Seconds(), res.cpu.Seconds(), res.rss>>20, applied)
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	for suffix, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if strings.HasSuffix(s, suffix) {
			s, mult = strings.TrimSuffix(s, suffix), m
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n * mult, err
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "patch bench:", err)
		os.Exit(1)
	}
}
