// Command switchboard runs the Switchboard server.
//
// The providers linked into the binary are the blank imports below (the
// standard set); a custom build with other providers copies this file and
// changes only that list.
package main

import (
	"os"

	"github.com/switchboardhq/switchboard/cmd/switchboard/app"

	// The providers the binary ships (store, jobs, sms, mail, auth): see
	// that package to link a different set.
	_ "github.com/switchboardhq/switchboard/cmd/switchboard/standard"
)

func main() { os.Exit(app.Main()) }
