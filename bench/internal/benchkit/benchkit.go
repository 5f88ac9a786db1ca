// Package benchkit holds what the benchmark programs share: a working
// folder and the switchboard binary they measure.
package benchkit

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Prepare returns the working folder, always a new folder prefix* inside
// dir (made if needed; the current folder when empty), and the binary to
// run: bin, or ./cmd/switchboard built into the folder. The caller removes
// the folder; since it is always a new one, removing it never touches
// what dir held before (running with -dir /var/tmp once removed all of
// /var/tmp).
func Prepare(dir, prefix, bin string) (work, binary string, err error) {
	if dir == "" {
		dir = "."
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", "", err
	}
	if work, err = os.MkdirTemp(dir, prefix); err != nil {
		return "", "", err
	}
	if bin != "" {
		return work, bin, nil
	}
	binary = filepath.Join(work, "switchboard")
	fmt.Println("building ./cmd/switchboard")
	if out, err := exec.Command("go", "build", "-o", binary, "./cmd/switchboard").CombinedOutput(); err != nil {
		return work, "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return work, binary, nil
}
