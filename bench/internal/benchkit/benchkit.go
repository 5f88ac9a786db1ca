// Package benchkit holds what the benchmark programs share: a working
// folder and the switchboard binary they measure.
package benchkit

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Prepare returns the working folder (dir, made if needed, or a new
// folder prefix* in the current one) and the binary to run: bin, or
// ./cmd/switchboard built into the folder. The caller removes the folder.
func Prepare(dir, prefix, bin string) (work, binary string, err error) {
	work = dir
	if work == "" {
		if work, err = os.MkdirTemp(".", prefix); err != nil {
			return "", "", err
		}
	} else if err := os.MkdirAll(work, 0o750); err != nil {
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
