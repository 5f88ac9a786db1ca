package app

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/config"
	"github.com/switchboardhq/switchboard/core/leancloud"
)

const importUsage = `Usage:
  switchboard import leancloud EXPORT_DIR_OR_ARCHIVE [--config FILE] [--dir DATA_DIR] [--batch N]

Imports a LeanCloud data export (a folder, or a .zip / .tar.gz of one) into
the configured store, keeping objectIds, ACLs, passwords and session tokens.
A re-run after an interruption resumes where it stopped and writes no object
twice; what could not be mapped is listed in DATA_DIR/import-leancloud-report.txt.
`

// importCommand runs "switchboard import SOURCE ...".
func importCommand(ctx context.Context, args, environ []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "leancloud" {
		fmt.Fprint(stderr, importUsage)
		return exitUsage
	}
	fset := flag.NewFlagSet("import leancloud", flag.ContinueOnError)
	fset.SetOutput(stderr)
	cfgPath := fset.String("config", "", "YAML configuration file")
	dir := fset.String("dir", "", "data folder")
	batch := fset.Int("batch", 500, "objects per transaction")
	var export string
	rest := args[1:]
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		export, rest = rest[0], rest[1:]
	}
	if err := fset.Parse(rest); err != nil {
		return exitUsage
	}
	if export == "" && fset.NArg() == 1 {
		export = fset.Arg(0)
	}
	if export == "" {
		fmt.Fprint(stderr, importUsage)
		return exitUsage
	}
	cfg, err := config.Load(*cfgPath, environ)
	if err == nil {
		if *dir != "" {
			cfg.Dir = *dir
		}
		if cfg.MasterKey == "" {
			cfg.MasterKey = "(not needed to import)"
		}
		err = cfg.Validate()
	}
	if err != nil {
		fmt.Fprintf(stderr, "switchboard: invalid configuration:\n%s\n", indent(err.Error()))
		return exitFailure
	}
	slog.SetDefault(newLogger(cfg, stderr))
	if err := runImport(ctx, cfg, export, *batch, stdout); err != nil {
		fmt.Fprintf(stderr, "switchboard import: %v\n", err)
		return exitFailure
	}
	return exitOK
}

func runImport(ctx context.Context, cfg *config.Config, export string, batch int, stdout io.Writer) error {
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return fmt.Errorf("creating data folder: %w", err)
	}
	src, err := exportFolder(cfg.Dir, export)
	if err != nil {
		return err
	}
	opts := cfg.CoreOptions()
	opts.Jobs = nil
	w := &wiring{cfg: cfg, log: slog.Default(), opts: &opts}
	for _, k := range providerKinds {
		if k.name == "store" {
			if err := k.open(ctx, w); err != nil {
				_ = w.close(true)
				return err
			}
		}
	}
	app, err := core.NewApp(ctx, w.store, opts)
	if err != nil {
		_ = w.close(true)
		return fmt.Errorf("opening the app: %w", err)
	}
	defer app.Close()
	bars := map[string]*progressbar.ProgressBar{}
	report, err := leancloud.Import(ctx, app, src, leancloud.ImportOptions{
		StateFile:     filepath.Join(cfg.Dir, "import-leancloud.state"),
		BatchSize:     batch,
		SessionLength: time.Duration(cfg.SessionLength) * time.Second,
		Progress: func(file string, done, total int64) {
			b, ok := bars[file]
			if !ok {
				b = progressbar.NewOptions64(total, progressbar.OptionSetWriter(stdout), progressbar.OptionSetDescription(filepath.Base(file)),
					progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("objects"),
					progressbar.OptionOnCompletion(func() { fmt.Fprintln(stdout) }))
				bars[file] = b
			}
			_ = b.Set64(done)
		},
	})
	if report != nil {
		fmt.Fprintf(stdout, "imported %d objects (%d already there), %d relation rows, %d sessions; %d problems\n",
			report.Objects, report.Skipped, report.Relations, report.Sessions, len(report.Problems))
		path := filepath.Join(cfg.Dir, "import-leancloud-report.txt")
		if werr := os.WriteFile(path, []byte(strings.Join(report.Problems, "\n")+"\n"), 0o600); werr == nil && len(report.Problems) > 0 {
			fmt.Fprintf(stdout, "what could not be mapped: %s\n", path)
		}
	}
	return err
}

// exportFolder returns the folder of an export: the path itself, or where
// an archive is unpacked (DATA_DIR/import-<name>, reused by a re-run).
func exportFolder(dataDir, export string) (string, error) {
	fi, err := os.Stat(export)
	if err != nil {
		return "", err
	}
	if fi.IsDir() {
		return export, nil
	}
	dest := filepath.Join(dataDir, "import-"+strings.NewReplacer(".zip", "", ".tar.gz", "", ".tgz", "").Replace(filepath.Base(export)))
	if _, err := os.Stat(filepath.Join(dest, ".unpacked")); err == nil {
		return dest, nil
	}
	if err := os.MkdirAll(dest, 0o700); err != nil {
		return "", err
	}
	switch {
	case strings.HasSuffix(export, ".zip"):
		err = unzip(export, dest)
	case strings.HasSuffix(export, ".tar.gz"), strings.HasSuffix(export, ".tgz"):
		err = untar(export, dest)
	default:
		return "", fmt.Errorf("%s: give a folder, a .zip or a .tar.gz", export)
	}
	if err != nil {
		return "", fmt.Errorf("unpacking %s: %w", export, err)
	}
	return dest, os.WriteFile(filepath.Join(dest, ".unpacked"), nil, 0o600)
}

// safeJoin refuses archive entries that would land outside dest.
func safeJoin(dest, name string) (string, error) {
	p := filepath.Join(dest, filepath.Base(filepath.Clean("/"+name)))
	if !strings.HasPrefix(p, filepath.Clean(dest)+string(os.PathSeparator)) {
		return "", fmt.Errorf("archive entry %q escapes the folder", name)
	}
	return p, nil
}

func writeEntry(dest, name string, r io.Reader) error {
	p, err := safeJoin(dest, name)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	return errors.Join(err, f.Close())
}

func unzip(archive, dest string) error {
	zr, err := zip.OpenReader(archive)
	if err != nil {
		return err
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return err
		}
		err = writeEntry(dest, f.Name, rc)
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func untar(archive, dest string) error {
	f, err := os.Open(archive)
	if err != nil {
		return err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if h.Typeflag == tar.TypeReg {
			if err := writeEntry(dest, h.Name, tr); err != nil {
				return err
			}
		}
	}
}
