package plugins_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/switchboardhq/switchboard/adapters/files/filestest"
	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/plugins"
	"github.com/switchboardhq/switchboard/plugins/plugintest"
)

const filesDirExample = "github.com/switchboardhq/switchboard/plugins/examples/files-dir"

func TestMain(m *testing.M) {
	code := m.Run()
	plugintest.Cleanup()
	os.Exit(code)
}

// filesDirSpec is the files-dir example storing into dir.
func filesDirSpec(t testing.TB, name, dir string) plugins.Spec {
	path, sum := plugintest.Build(t, filesDirExample)
	return plugins.Spec{Name: name, Path: path, SHA256: sum, Args: []string{"-dir", dir}}
}

// The files conformance suite, against the files-dir example plugin as a
// real process: provider plugin:dirstore.
func TestFilesConformance(t *testing.T) {
	filestest.RunConformance(t, filestest.Harness{Provider: "plugin:dirstore", Setup: func(t *testing.T) *filestest.Fixture {
		dir := t.TempDir()
		host := plugintest.Start(t, filesDirSpec(t, "dirstore", dir))
		return &filestest.Fixture{
			Config:   core.FilesConfig{DataDir: t.TempDir(), Plugins: host},
			Received: func() int64 { return diskUsage(dir) },
		}
	}})
}

// diskUsage is the bytes of the files under dir, uploads in progress
// included.
func diskUsage(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			if info, err := e.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}
