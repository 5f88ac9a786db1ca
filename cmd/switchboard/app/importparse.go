package app

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/switchboardhq/switchboard/core/config"
	"github.com/switchboardhq/switchboard/core/parseimport"
)

// runParseImport imports a Parse Server PostgreSQL database (import parse).
func runParseImport(ctx context.Context, cfg *config.Config, dbURL string, batch int, stdout io.Writer) error {
	if u, err := url.Parse(dbURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return fmt.Errorf("give the Parse Server database as postgres://user:password@host:port/database")
	}
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		return fmt.Errorf("opening the Parse Server database: %w", err)
	}
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		return fmt.Errorf("connecting to the Parse Server database: %v", redactURL(err.Error(), dbURL))
	}
	app, _, err := openImportApp(ctx, cfg)
	if err != nil {
		return err
	}
	defer app.Close()
	bar := progressBars(stdout, "objects")
	report, err := parseimport.Import(ctx, app, db, parseimport.Options{
		StateFile: filepath.Join(cfg.Dir, "import-parse.state"),
		BatchSize: batch,
		Progress:  bar,
	})
	if report == nil {
		return err
	}
	fmt.Fprintf(stdout, "imported %d classes, %d objects (%d already there), %d relation rows, %d indexes; %d problems\n",
		report.Classes, report.Objects, report.Skipped, report.Relations, report.Indexes, len(report.Problems))
	writeReport(cfg, "parse", report.Problems, stdout)
	return err
}

// redactURL keeps a database password out of an error message.
func redactURL(msg, dbURL string) string {
	if u, err := url.Parse(dbURL); err == nil {
		if p, ok := u.User.Password(); ok && p != "" {
			msg = strings.ReplaceAll(msg, p, "xxxxx")
		}
	}
	return msg
}
