package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
)

const releaseUsage = `Usage:
  switchboard release publish FILE --platform P --version-code N [--version-name NAME]
        [--channel C] [--notes TEXT | --notes-file FILE.json] [--min-supported N]
        [--mandatory] [--rollout PERCENT] [--disabled]
  switchboard release publish --platform ios --version-code N --store-url URL [...]
  switchboard release list [--platform P] [--channel C]
  switchboard release rollout ID PERCENT
  switchboard release rollback --platform P [--channel C] [--to N]

publish uploads FILE (with a progress bar) through the files API and
publishes it as a release of platform P (ios, android or bundle) on channel C
(default production); the server measures it (size, md5, sha256, checked
against the local file's) and builds BSDIFF40 patches from earlier releases
in the background. iOS releases may point at the App Store with --store-url
instead of a file. --notes-file holds {"en": "...", "zh-CN": "..."}.
list prints the releases, newest first, with their patches.
rollout sets a release's staged-rollout percentage (0-100).
rollback disables the newest enabled release of the platform and channel,
or with --to N every enabled release above version code N: update checks
then answer the release before, and bundle clients go back to it.

The server URL includes the mount path (http://127.0.0.1:1337/parse). The
app id and master key come from SWITCHBOARD_APP_ID and SWITCHBOARD_MASTER_KEY;
--server defaults to SWITCHBOARD_SERVER_URL.
`

// releaseCommand runs "switchboard release"; args excludes the command name.
func releaseCommand(ctx context.Context, args, environ []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, releaseUsage)
		return exitUsage
	}
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	sub := args[0]
	if sub == "help" || sub == "-h" || sub == "--help" {
		fmt.Fprint(stdout, releaseUsage)
		return exitOK
	}
	fs := flag.NewFlagSet("release "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, releaseUsage) }
	server := fs.String("server", env["SWITCHBOARD_SERVER_URL"], "server URL with the mount path")
	platform := fs.String("platform", "", "ios, android or bundle")
	channel := fs.String("channel", "", "release channel (default production)")
	var o publishOptions
	to := fs.Int64("to", -1, "rollback: disable every enabled release above this version code")
	if sub == "publish" {
		fs.Int64Var(&o.versionCode, "version-code", -1, "the build's version code (required)")
		fs.StringVar(&o.versionName, "version-name", "", "the version shown to users")
		fs.StringVar(&o.notes, "notes", "", "release notes (default locale)")
		fs.StringVar(&o.notesFile, "notes-file", "", `JSON file of notes by locale ({"en": "..."})`)
		fs.Int64Var(&o.minSupported, "min-supported", 0, "clients below this version code must update")
		fs.BoolVar(&o.mandatory, "mandatory", false, "every client below this release must update")
		fs.IntVar(&o.rollout, "rollout", 100, "percentage of devices that get it")
		fs.BoolVar(&o.disabled, "disabled", false, "publish disabled (enable later with PUT /releases/ID)")
		fs.StringVar(&o.storeURL, "store-url", "", "iOS: the App Store address instead of a file")
	}
	var positional []string
	rest := args[1:]
	for { // flags may come before or after the positional arguments
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return exitOK
			}
			return exitUsage
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if *server == "" {
		fmt.Fprintln(stderr, "release: --server URL is required (e.g. http://127.0.0.1:1337/parse)")
		return exitUsage
	}
	c := &deployClient{base: strings.TrimRight(*server, "/"), appID: env["SWITCHBOARD_APP_ID"], masterKey: env["SWITCHBOARD_MASTER_KEY"],
		http: &http.Client{Timeout: 5 * time.Minute}}
	if c.appID == "" || c.masterKey == "" {
		fmt.Fprintln(stderr, "release: set SWITCHBOARD_APP_ID and SWITCHBOARD_MASTER_KEY (the server's app id and master key)")
		return exitUsage
	}
	var err error
	usageErr := func(msg string) int {
		fmt.Fprintln(stderr, "release "+sub+":", msg)
		return exitUsage
	}
	switch sub {
	case "publish":
		if *platform == "" || o.versionCode < 0 {
			return usageErr("--platform and --version-code are required")
		}
		if (len(positional) == 1) == (o.storeURL != "") || len(positional) > 1 {
			return usageErr("give FILE, or --store-url for an iOS release in the App Store")
		}
		if len(positional) == 1 {
			o.file = positional[0]
		}
		o.platform, o.channel = *platform, *channel
		err = publishRelease(ctx, c, o, stdout, stderr)
	case "list":
		if len(positional) > 0 {
			return usageErr("takes no arguments")
		}
		err = listReleases(ctx, c, *platform, *channel, stdout)
	case "rollout":
		if len(positional) != 2 {
			return usageErr("give the release ID and a PERCENT")
		}
		var pct int
		if _, perr := fmt.Sscanf(positional[1], "%d", &pct); perr != nil {
			return usageErr("PERCENT must be a whole number from 0 to 100")
		}
		var out map[string]any
		if err = c.do(ctx, http.MethodPut, "/releases/"+url.PathEscape(positional[0]), map[string]any{"rolloutPercent": pct}, &out); err == nil {
			fmt.Fprintf(stdout, "release %v (%v) rolls out to %v%% of devices\n", out["objectId"], out["versionCode"], out["rolloutPercent"])
		}
	case "rollback":
		if *platform == "" || len(positional) > 0 {
			return usageErr("--platform is required and no arguments are taken")
		}
		err = rollbackReleases(ctx, c, *platform, *channel, *to, stdout)
	default:
		fmt.Fprintf(stderr, "switchboard release: unknown command %q\n\n%s", sub, releaseUsage)
		return exitUsage
	}
	if err != nil {
		fmt.Fprintln(stderr, "release "+sub+":", err)
		return exitFailure
	}
	return exitOK
}

type publishOptions struct {
	file, platform, channel, versionName, notes, notesFile, storeURL string
	versionCode, minSupported                                        int64
	mandatory, disabled                                              bool
	rollout                                                          int
}

// publishRelease uploads the build with a progress bar on stderr, then
// publishes it with the sha256 computed here, which the server checks.
func publishRelease(ctx context.Context, c *deployClient, o publishOptions, stdout, stderr io.Writer) error {
	body := map[string]any{"platform": o.platform, "versionCode": o.versionCode, "mandatory": o.mandatory,
		"rolloutPercent": o.rollout, "enabled": !o.disabled, "minSupportedVersionCode": o.minSupported}
	if o.channel != "" {
		body["channel"] = o.channel
	}
	if o.versionName != "" {
		body["versionName"] = o.versionName
	}
	switch {
	case o.notesFile != "":
		raw, err := os.ReadFile(o.notesFile)
		if err != nil {
			return err
		}
		var notes map[string]any
		if err := json.Unmarshal(raw, &notes); err != nil {
			return fmt.Errorf("--notes-file %s: %v (want {\"en\": \"...\"})", o.notesFile, err)
		}
		body["notes"] = notes
	case o.notes != "":
		body["notes"] = o.notes
	}
	if o.storeURL != "" {
		body["storeUrl"] = o.storeURL
	} else {
		name, sum, err := uploadBuild(ctx, c, o.file, stderr)
		if err != nil {
			return err
		}
		body["file"] = map[string]any{"__type": "File", "name": name}
		body["sha256"] = sum
	}
	var out map[string]any
	if err := c.do(ctx, http.MethodPost, "/releases", body, &out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "published %s %s %v (%v) as %v", out["platform"], out["channel"], out["versionCode"], out["versionName"], out["objectId"])
	if out["sha256"] != nil {
		fmt.Fprintf(stdout, ": %v bytes, sha256 %v; patches are being built", out["size"], out["sha256"])
	}
	fmt.Fprintln(stdout)
	return nil
}

// uploadBuild hashes the file, then streams it to POST /files/NAME.
func uploadBuild(ctx context.Context, c *deployClient, path string, stderr io.Writer) (name, sum string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", "", err
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", "", err
	}
	sum = hex.EncodeToString(h.Sum(nil))
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", "", err
	}
	bar := progressbar.NewOptions64(st.Size(),
		progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetDescription("uploading "+filepath.Base(path)),
		progressbar.OptionShowBytes(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	body := progressbar.NewReader(f, bar)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/files/"+url.PathEscape(filepath.Base(path)), &body)
	if err != nil {
		return "", "", err
	}
	req.ContentLength = st.Size()
	req.Header.Set("X-Parse-Application-Id", c.appID)
	req.Header.Set("X-Parse-Master-Key", c.masterKey)
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := c.http.Do(req)
	_ = bar.Finish()
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var out struct {
		Name  string `json:"name"`
		Code  int    `json:"code"`
		Error string `json:"error"`
	}
	_ = json.Unmarshal(raw, &out)
	if resp.StatusCode/100 != 2 || out.Name == "" {
		if out.Error != "" {
			return "", "", fmt.Errorf("uploading %s: %s (code %d)", path, out.Error, out.Code)
		}
		return "", "", fmt.Errorf("uploading %s: HTTP %d: %s", path, resp.StatusCode, strings.TrimSpace(string(raw)))
	}
	return out.Name, sum, nil
}

type releaseRow struct {
	ObjectID       string  `json:"objectId"`
	Platform       string  `json:"platform"`
	Channel        string  `json:"channel"`
	VersionCode    int64   `json:"versionCode"`
	VersionName    string  `json:"versionName"`
	Mandatory      bool    `json:"mandatory"`
	RolloutPercent int     `json:"rolloutPercent"`
	Enabled        bool    `json:"enabled"`
	MinSupported   int64   `json:"minSupportedVersionCode"`
	Size           int64   `json:"size"`
	StoreURL       string  `json:"storeUrl"`
	CreatedAt      string  `json:"createdAt"`
	Patches        []patch `json:"patches"`
}

type patch struct {
	FromRelease string `json:"fromRelease"`
	Size        int64  `json:"size"`
}

func fetchReleases(ctx context.Context, c *deployClient, platform, channel string) ([]releaseRow, error) {
	q := url.Values{}
	if platform != "" {
		q.Set("platform", platform)
	}
	if channel != "" {
		q.Set("channel", channel)
	}
	var out struct {
		Results []releaseRow `json:"results"`
	}
	path := "/releases"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	if err := c.do(ctx, http.MethodGet, path, nil, &out); err != nil {
		return nil, err
	}
	return out.Results, nil
}

func listReleases(ctx context.Context, c *deployClient, platform, channel string, stdout io.Writer) error {
	rows, err := fetchReleases(ctx, c, platform, channel)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPLATFORM\tCHANNEL\tCODE\tNAME\tENABLED\tROLLOUT\tMANDATORY\tMIN\tSIZE\tPATCHES\tCREATED")
	for _, r := range rows {
		size := fmt.Sprint(r.Size)
		if r.StoreURL != "" {
			size = "store"
		}
		patches := make([]string, 0, len(r.Patches))
		for _, p := range r.Patches {
			patches = append(patches, fmt.Sprintf("%s:%d", p.FromRelease, p.Size))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%v\t%d%%\t%v\t%d\t%s\t%s\t%s\n", r.ObjectID, r.Platform, r.Channel, r.VersionCode, r.VersionName,
			r.Enabled, r.RolloutPercent, r.Mandatory, r.MinSupported, size, strings.Join(patches, ","), r.CreatedAt)
	}
	return tw.Flush()
}

// rollbackReleases disables the newest enabled release (to < 0) or every
// enabled release above version code to.
func rollbackReleases(ctx context.Context, c *deployClient, platform, channel string, to int64, stdout io.Writer) error {
	if channel == "" {
		channel = "production"
	}
	rows, err := fetchReleases(ctx, c, platform, channel)
	if err != nil {
		return err
	}
	var targets []releaseRow
	for _, r := range rows { // newest first
		if !r.Enabled {
			continue
		}
		if to < 0 {
			targets = append(targets, r)
			break
		}
		if r.VersionCode > to {
			targets = append(targets, r)
		}
	}
	if len(targets) == 0 {
		return fmt.Errorf("no enabled %s release on channel %s to roll back", platform, channel)
	}
	for _, r := range targets {
		if err := c.do(ctx, http.MethodPut, "/releases/"+url.PathEscape(r.ObjectID), map[string]any{"enabled": false}, nil); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "disabled %s %s %d (%s)\n", platform, channel, r.VersionCode, r.ObjectID)
	}
	return nil
}
