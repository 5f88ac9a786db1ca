package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/switchboardhq/switchboard/hooks"
)

const deployUsage = `Usage:
  switchboard deploy DIR --server URL [--message TEXT]
  switchboard deploy --list --server URL
  switchboard deploy --rollback N --server URL
  switchboard deploy --logs [--size N] [--level info] --server URL

deploy uploads the cloud-code folder DIR (main.js and the .js, .json and
.rego files it uses) as a new version and activates it on every node. A
folder that does not compile, or whose main.js throws when loaded, is
refused with file:line and the active version keeps serving.
--list lists the stored versions, --rollback N makes version N active again,
--logs prints recent console/request.log output and script errors.

The server URL includes the mount path (http://127.0.0.1:1337/parse). The
app id and master key come from SWITCHBOARD_APP_ID and SWITCHBOARD_MASTER_KEY;
--server defaults to SWITCHBOARD_SERVER_URL.

flags:
`

// deployCommand runs "switchboard deploy"; args excludes the command name.
func deployCommand(ctx context.Context, args []string, environ []string, stdout, stderr io.Writer) int {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	fs := flag.NewFlagSet("deploy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", env["SWITCHBOARD_SERVER_URL"], "server URL with the mount path")
	list := fs.Bool("list", false, "list the stored versions")
	rollback := fs.Int("rollback", 0, "activate stored version `N`")
	logs := fs.Bool("logs", false, "print recent cloud-code logs")
	size := fs.Int("size", 50, "how many log lines with --logs")
	level := fs.String("level", "info", "lowest log level with --logs (error, warn, info, verbose, debug)")
	message := fs.String("message", "", "a note stored with the version")
	fs.Usage = func() {
		fmt.Fprint(stderr, deployUsage)
		fs.PrintDefaults()
	}
	// Flags may come before or after DIR.
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return exitOK
			}
			return exitUsage
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	modes := 0
	for _, on := range []bool{*list, *rollback != 0, *logs, len(positional) > 0} {
		if on {
			modes++
		}
	}
	if modes != 1 || len(positional) > 1 {
		fmt.Fprintln(stderr, "deploy: give exactly one of DIR, --list, --rollback N or --logs")
		fs.Usage()
		return exitUsage
	}
	if *server == "" {
		fmt.Fprintln(stderr, "deploy: --server URL is required (e.g. http://127.0.0.1:1337/parse)")
		return exitUsage
	}
	c := &deployClient{
		base:      strings.TrimRight(*server, "/"),
		appID:     env["SWITCHBOARD_APP_ID"],
		masterKey: env["SWITCHBOARD_MASTER_KEY"],
		http:      &http.Client{Timeout: 5 * time.Minute},
	}
	if c.appID == "" || c.masterKey == "" {
		fmt.Fprintln(stderr, "deploy: set SWITCHBOARD_APP_ID and SWITCHBOARD_MASTER_KEY (the server's app id and master key)")
		return exitUsage
	}
	var err error
	switch {
	case *list:
		err = c.list(ctx, stdout)
	case *rollback != 0:
		err = c.rollback(ctx, stdout, *rollback)
	case *logs:
		err = c.logs(ctx, stdout, *size, *level)
	default:
		err = c.deploy(ctx, stdout, positional[0], *message)
	}
	if err != nil {
		fmt.Fprintln(stderr, "deploy:", err)
		return exitFailure
	}
	return exitOK
}

type deployClient struct {
	base, appID, masterKey string
	http                   *http.Client
}

// do sends one request and decodes a 2xx answer into out; an error answer
// becomes an error with the server's message.
func (c *deployClient) do(ctx context.Context, method, path string, body, out any) error {
	var rdr io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rdr = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rdr)
	if err != nil {
		return err
	}
	req.Header.Set("X-Parse-Application-Id", c.appID)
	req.Header.Set("X-Parse-Master-Key", c.masterKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		var perr struct {
			Code  int    `json:"code"`
			Error string `json:"error"`
		}
		if json.Unmarshal(data, &perr) == nil && perr.Error != "" {
			return fmt.Errorf("%s (code %d)", perr.Error, perr.Code)
		}
		return fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, strings.TrimSpace(string(data)))
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(data, out)
}

func (c *deployClient) deploy(ctx context.Context, stdout io.Writer, dir, note string) error {
	b, err := hooks.LoadDir(dir)
	if err != nil {
		return err
	}
	files := make(map[string]string, len(b.Files))
	for p, content := range b.Files {
		files[p] = base64.StdEncoding.EncodeToString(content)
	}
	var info hooks.VersionInfo
	if err := c.do(ctx, http.MethodPost, "/deployments", map[string]any{"files": files, "encoding": "base64", "note": note}, &info); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "deployed version %d (%d files, %d bytes); it is active\n", info.Version, info.Files, info.Bytes)
	return nil
}

func (c *deployClient) list(ctx context.Context, stdout io.Writer) error {
	var out struct {
		Results []hooks.VersionInfo `json:"results"`
	}
	if err := c.do(ctx, http.MethodGet, "/deployments", nil, &out); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tACTIVE\tCREATED\tFILES\tBYTES\tNOTE")
	for _, v := range out.Results {
		active := ""
		if v.Active {
			active = "*"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%d\t%s\n", v.Version, active, v.CreatedAt.UTC().Format(time.RFC3339), v.Files, v.Bytes, v.Note)
	}
	return tw.Flush()
}

func (c *deployClient) rollback(ctx context.Context, stdout io.Writer, version int) error {
	if version < 1 {
		return fmt.Errorf("--rollback needs a version number from --list, not %d", version)
	}
	var info hooks.VersionInfo
	if err := c.do(ctx, http.MethodPut, "/deployments/"+strconv.Itoa(version), map[string]any{"active": true}, &info); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "version %d is active\n", info.Version)
	return nil
}

func (c *deployClient) logs(ctx context.Context, stdout io.Writer, size int, level string) error {
	var entries []hooks.LogEntry
	path := fmt.Sprintf("/scriptlog?size=%d&level=%s&order=desc", size, url.QueryEscape(level))
	if err := c.do(ctx, http.MethodGet, path, nil, &entries); err != nil {
		return err
	}
	slices.Reverse(entries) // oldest of the latest first, as a log reads
	for _, e := range entries {
		fmt.Fprintf(stdout, "%s v%d %-5s %s: %s\n", e.Time.UTC().Format(time.RFC3339Nano), e.Version, e.Level, e.Source, e.Message)
	}
	return nil
}
