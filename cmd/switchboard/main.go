// Command switchboard runs the Switchboard server.
//
// The providers linked into the binary are the blank imports below; a custom
// build with other providers copies this file and changes only that list.
package main

import (
	"os"

	"github.com/switchboardhq/switchboard/cmd/switchboard/app"

	// Store providers.
	_ "github.com/switchboardhq/switchboard/adapters/store/postgres"
	_ "github.com/switchboardhq/switchboard/adapters/store/sqlite"
)

func main() { os.Exit(app.Main()) }
