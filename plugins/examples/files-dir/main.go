// Command files-dir is an example files plugin: it stores files in a
// directory, through the same core.FileDriver as the built-in local
// provider, served out of process with plugins/sdk.
//
//	plugins:
//	  - name: dirstore
//	    path: /opt/switchboard/plugins/files-dir
//	    sha256: <sha256sum of the binary>
//	    args: ["-dir", "/var/lib/switchboard/dirstore"]
//	files:
//	  provider: plugin:dirstore
package main

import (
	"context"
	"flag"
	"os"

	"github.com/switchboardhq/switchboard/adapters/files/local"
	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/plugins/sdk"
)

func main() {
	dir := flag.String("dir", "", "the folder that holds the files (created if missing)")
	flag.Parse()
	log := sdk.Logger()
	if *dir == "" {
		log.Error("files-dir needs -dir FOLDER")
		os.Exit(2)
	}
	d, err := core.OpenProvider(context.Background(), core.FileProviders, local.Name, core.ProviderEnv{
		DataDir: *dir, Options: map[string]any{"dir": *dir},
	})
	if err != nil {
		log.Error("opening the folder", "dir", *dir, "err", err.Error())
		os.Exit(1)
	}
	log.Info("files-dir serving", "dir", *dir)
	sdk.ServeFiles(d)
}
