package app

import (
	"context"
	"errors"
	"io"

	"github.com/switchboardhq/switchboard/core/config"
)

// runParseImport imports a Parse Server PostgreSQL database.
func runParseImport(ctx context.Context, cfg *config.Config, dbURL string, batch int, stdout io.Writer) error {
	return errors.New("not yet")
}
