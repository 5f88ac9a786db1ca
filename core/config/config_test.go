package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "switchboard.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaults(t *testing.T) {
	c, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"appId", c.AppID, "switchboard"},
		{"http", c.HTTP, "127.0.0.1:1337"},
		{"mountPath", c.MountPath, "/parse"},
		{"dir", c.Dir, "./sb_data"},
		{"maxLimit", c.MaxLimit, 1000},
		{"defaultLimit", c.DefaultLimit, 100},
		{"idempotencyOptions.ttl", c.IdempotencyOptions.TTL, 300},
		{"maxUploadSize", c.MaxUploadBytes(), int64(20 << 20)},
		{"allowOrigin", []string(c.AllowOrigin), []string{"*"}},
		{"logLevel", c.LogLevel, "info"},
		{"logFormat", c.LogFormat, "text"},
		{"metrics.enabled", c.Metrics.Enabled, true},
		{"metrics.path", c.Metrics.Path, "/metrics"},
		{"shutdownTimeout", time.Duration(c.ShutdownTimeout), 15 * time.Second},
		{"gcHeadroom", c.GCHeadroomBytes(), int64(32 << 20)},
		{"queryLimits.maxInValues", c.QueryLimits.MaxInValues, 10000},
		{"queryLimits.maxRegexLength", c.QueryLimits.MaxRegexLength, 1000},
		{"queryLimits.maxPolygonPoints", c.QueryLimits.MaxPolygonPoints, 10000},
		{"queryLimits.queryTimeout", time.Duration(c.QueryLimits.QueryTimeout), 15 * time.Second},
		{"store provider", c.StoreProvider(), "sqlite"},
		{"allowClientClassCreation", c.AllowClientClassCreation, false},
	}
	for _, tc := range checks {
		if !reflect.DeepEqual(tc.got, tc.want) {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	// Defaults are valid once a master key is present.
	c.MasterKey = "mk"
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
}

func TestYAML(t *testing.T) {
	p := writeFile(t, `
appId: myapp
masterKey: secret
readOnlyMasterKey: ro
masterKeyIps: [10.0.0.0/8, "::1"]
clientKey: ck
restAPIKey: rk
allowClientClassCreation: true
maxLimit: 500
idempotencyOptions:
  paths: ["classes/.*", "functions/.*"]
  ttl: 120
maxUploadSize: 1.5mb
allowOrigin: https://app.example.com
allowHeaders: [X-Custom]
logLevel: debug
mountPath: /api
serverURL: https://api.example.com/api
http: 0.0.0.0:8080
databaseURL: postgres://u:p@db/sb
dir: /var/lib/sb
store:
  postgres:
    maxConns: 20
queryLimits: {maxDepth: 4}
metrics: {enabled: false}
shutdownTimeout: 30
`)
	c, err := Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	o := c.CoreOptions()
	if o.AppID != "myapp" || o.MasterKey != "secret" || o.ReadOnlyMasterKey != "ro" ||
		!reflect.DeepEqual(o.MasterKeyIPs, []string{"10.0.0.0/8", "::1"}) ||
		!reflect.DeepEqual(o.ClientKeys, []string{"ck", "rk"}) || !o.AllowClientClassCreation ||
		o.MaxLimit != 500 || o.DefaultLimit != 100 || o.Idempotency.TTL != 2*time.Minute ||
		len(o.Idempotency.Paths) != 2 || o.Limits.MaxDepth != 4 || o.Limits.MaxOrWidth != 100 ||
		o.ServerURL != "https://api.example.com/api" {
		t.Errorf("core options = %+v", o)
	}
	if got := c.MaxUploadBytes(); got != 3<<19 {
		t.Errorf("maxUploadSize = %d", got)
	}
	if !reflect.DeepEqual([]string(c.AllowOrigin), []string{"https://app.example.com"}) {
		t.Errorf("allowOrigin = %v", c.AllowOrigin)
	}
	if c.StoreProvider() != "postgres" {
		t.Errorf("provider = %q", c.StoreProvider())
	}
	sc := c.StoreConfig()
	if sc.URL != "postgres://u:p@db/sb" || sc.DataDir != "/var/lib/sb" || sc.Options["maxConns"] != 20 {
		t.Errorf("store config = %+v", sc)
	}
	if c.Metrics.Enabled || c.Metrics.Path != "/metrics" {
		t.Errorf("metrics = %+v", c.Metrics)
	}
	if time.Duration(c.ShutdownTimeout) != 30*time.Second {
		t.Errorf("shutdownTimeout = %v", c.ShutdownTimeout)
	}
}

func TestYAMLErrors(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown top-level key", "appId: a\nmaxLimitt: 3\n", []string{"line 2", `unknown option "maxLimitt"`}},
		{"wrong case hints", "appID: a\n", []string{`unknown option "appID"`, `did you mean "appId"`}},
		{"renamed option", "gcHeapTarget: 32mb\n", []string{`unknown option "gcHeapTarget"`, `renamed "gcHeadroom"`}},
		{"unknown nested key", "metrics:\n  enable: true\n", []string{`unknown option "enable"`}},
		{"wrong type", "maxLimit: lots\n", []string{"line 1", "lots"}},
		{"bad duration", "shutdownTimeout: soon\n", []string{"duration"}},
		{"provider section not a map", "store:\n  sqlite: 3\n", []string{"line 2"}},
		{"not yaml", "appId: [\n", []string{"yaml"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(writeFile(t, tc.yaml), nil)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml"), nil); err == nil {
		t.Error("missing file: no error")
	}
	if _, err := Load(writeFile(t, ""), nil); err != nil {
		t.Errorf("empty file: %v", err)
	}
}

func TestEnv(t *testing.T) {
	tests := []struct {
		name  string
		env   []string
		check func(c *Config) bool
	}{
		{"string", []string{"SWITCHBOARD_APP_ID=envapp"}, func(c *Config) bool { return c.AppID == "envapp" }},
		{"master key", []string{"SWITCHBOARD_MASTER_KEY=m"}, func(c *Config) bool { return c.MasterKey == "m" }},
		{"acronym URL", []string{"SWITCHBOARD_DATABASE_URL=postgres://x/y"}, func(c *Config) bool {
			return c.DatabaseURL == "postgres://x/y" && c.StoreProvider() == "postgres"
		}},
		{"acronym API", []string{"SWITCHBOARD_REST_API_KEY=r"}, func(c *Config) bool { return c.RESTAPIKey == "r" }},
		{"server URL", []string{"SWITCHBOARD_SERVER_URL=https://x/parse"}, func(c *Config) bool { return c.ServerURL == "https://x/parse" }},
		{"http", []string{"SWITCHBOARD_HTTP=:9000"}, func(c *Config) bool { return c.HTTP == ":9000" }},
		{"bool", []string{"SWITCHBOARD_ALLOW_CLIENT_CLASS_CREATION=true"}, func(c *Config) bool { return c.AllowClientClassCreation }},
		{"int", []string{"SWITCHBOARD_MAX_LIMIT=7"}, func(c *Config) bool { return c.MaxLimit == 7 }},
		{"nested int", []string{"SWITCHBOARD_IDEMPOTENCY_OPTIONS__TTL=300"}, func(c *Config) bool { return c.IdempotencyOptions.TTL == 300 }},
		{"nested list", []string{"SWITCHBOARD_IDEMPOTENCY_OPTIONS__PATHS=classes/.*, functions/.*"}, func(c *Config) bool {
			return reflect.DeepEqual(c.IdempotencyOptions.Paths, []string{"classes/.*", "functions/.*"})
		}},
		{"list IPs", []string{"SWITCHBOARD_MASTER_KEY_IPS=127.0.0.1,::1"}, func(c *Config) bool {
			return reflect.DeepEqual(c.MasterKeyIPs, []string{"127.0.0.1", "::1"})
		}},
		{"string list type", []string{"SWITCHBOARD_ALLOW_ORIGIN=https://a.com,https://b.com"}, func(c *Config) bool {
			return reflect.DeepEqual([]string(c.AllowOrigin), []string{"https://a.com", "https://b.com"})
		}},
		{"duration", []string{"SWITCHBOARD_SHUTDOWN_TIMEOUT=1m"}, func(c *Config) bool { return time.Duration(c.ShutdownTimeout) == time.Minute }},
		{"gc headroom", []string{"SWITCHBOARD_GC_HEADROOM=128mb"}, func(c *Config) bool { return c.GCHeadroomBytes() == 128<<20 }},
		{"gc headroom off", []string{"SWITCHBOARD_GC_HEADROOM=off"}, func(c *Config) bool { return c.GCHeadroom == "off" && c.GCHeadroomBytes() == 0 }},
		{"nested bool", []string{"SWITCHBOARD_METRICS__ENABLED=false"}, func(c *Config) bool { return !c.Metrics.Enabled }},
		{"query limits", []string{"SWITCHBOARD_QUERY_LIMITS__MAX_OR_WIDTH=3"}, func(c *Config) bool { return c.QueryLimits.MaxOrWidth == 3 }},
		{"regex length", []string{"SWITCHBOARD_QUERY_LIMITS__MAX_REGEX_LENGTH=64"}, func(c *Config) bool { return c.QueryLimits.MaxRegexLength == 64 }},
		{"polygon points", []string{"SWITCHBOARD_QUERY_LIMITS__MAX_POLYGON_POINTS=500"}, func(c *Config) bool { return c.QueryLimits.MaxPolygonPoints == 500 }},
		{"query timeout", []string{"SWITCHBOARD_QUERY_LIMITS__QUERY_TIMEOUT=2s"}, func(c *Config) bool { return c.QueryLimits.QueryTimeout == Duration(2*time.Second) }},
		{"provider", []string{"SWITCHBOARD_STORE__PROVIDER=postgres"}, func(c *Config) bool { return c.StoreProvider() == "postgres" }},
		{"provider option typed", []string{"SWITCHBOARD_STORE__SQLITE__BUSY_TIMEOUT=5000", "SWITCHBOARD_STORE__SQLITE__JOURNAL_MODE=wal", "SWITCHBOARD_STORE__SQLITE__SYNC=true"}, func(c *Config) bool {
			s := c.Store.Section("sqlite")
			return s["busyTimeout"] == 5000 && s["journalMode"] == "wal" && s["sync"] == true
		}},
		{"provider option quoted stays string", []string{`SWITCHBOARD_STORE__SQLITE__PASSWORD="0123"`}, func(c *Config) bool {
			return c.Store.Section("sqlite")["password"] == "0123"
		}},
		{"provider option nested", []string{"SWITCHBOARD_STORE__POSTGRES__POOL__MAX_CONNS=9"}, func(c *Config) bool {
			p, _ := c.Store.Section("postgres")["pool"].(map[string]any)
			return p["maxConns"] == 9
		}},
		{"empty value is unset", []string{"SWITCHBOARD_APP_ID="}, func(c *Config) bool { return c.AppID == "switchboard" }},
		{"other variables ignored", []string{"HOME=/root", "PARSE_SERVER_APP_ID=x"}, func(c *Config) bool { return c.AppID == "switchboard" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load("", tc.env)
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(c) {
				t.Errorf("env %v not applied: %+v", tc.env, c)
			}
		})
	}
}

func TestEnvReusesExistingProviderKey(t *testing.T) {
	p := writeFile(t, "store:\n  sqlite:\n    cacheSizeKB: 1\n")
	c, err := Load(p, []string{"SWITCHBOARD_STORE__SQLITE__CACHE_SIZE_KB=64"})
	if err != nil {
		t.Fatal(err)
	}
	s := c.Store.Section("sqlite")
	if s["cacheSizeKB"] != 64 || len(s) != 1 {
		t.Errorf("section = %v", s)
	}
}

func TestEnvErrors(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want []string
	}{
		{"unknown", []string{"SWITCHBOARD_NOPE=1"}, []string{"SWITCHBOARD_NOPE matches no option"}},
		{"renamed", []string{"SWITCHBOARD_GC_HEAP_TARGET=32mb"}, []string{"SWITCHBOARD_GC_HEAP_TARGET matches no option", "renamed SWITCHBOARD_GC_HEADROOM"}},
		{"typo hint", []string{"SWITCHBOARD_APPID=1"}, []string{"SWITCHBOARD_APPID", "did you mean SWITCHBOARD_APP_ID"}},
		{"single underscore for nesting", []string{"SWITCHBOARD_IDEMPOTENCY_OPTIONS_TTL=1"}, []string{"did you mean SWITCHBOARD_IDEMPOTENCY_OPTIONS__TTL"}},
		{"too deep", []string{"SWITCHBOARD_APP_ID__X=1"}, []string{"SWITCHBOARD_APP_ID__X matches no option"}},
		{"no such section", []string{"SWITCHBOARD_NO_SUCH_SECTION__PROVIDER=qiniu"}, []string{"SWITCHBOARD_NO_SUCH_SECTION__PROVIDER matches no option"}},
		{"bad int", []string{"SWITCHBOARD_MAX_LIMIT=lots"}, []string{"SWITCHBOARD_MAX_LIMIT", "maxLimit: expected an integer", `"lots"`}},
		{"bad bool", []string{"SWITCHBOARD_ALLOW_CLIENT_CLASS_CREATION=yes please"}, []string{"allowClientClassCreation: expected true or false"}},
		{"bad duration", []string{"SWITCHBOARD_SHUTDOWN_TIMEOUT=soon"}, []string{"shutdownTimeout: expected a duration"}},
		{"section itself", []string{"SWITCHBOARD_METRICS=1"}, []string{"metrics is a section", "SWITCHBOARD_METRICS__KEY"}},
		{"provider section itself", []string{"SWITCHBOARD_STORE__SQLITE=1"}, []string{"store.sqlite is a section"}},
		{"all reported", []string{"SWITCHBOARD_A=1", "SWITCHBOARD_B=2"}, []string{"SWITCHBOARD_A ", "SWITCHBOARD_B "}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load("", tc.env)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// A future provider section gets its variables by the same mechanism.
func TestEnvFutureSection(t *testing.T) {
	type future struct {
		AppID string          `yaml:"appId"`
		Files ProviderSection `yaml:"files"`
		Push  struct {
			ProviderSection `yaml:",inline"`
		} `yaml:"push"`
	}
	var f future
	err := ApplyEnv(&f, []string{
		"SWITCHBOARD_FILES__PROVIDER=qiniu",
		"SWITCHBOARD_FILES__QINIU__ACCESS_KEY=ak",
		"SWITCHBOARD_FILES__QINIU__USE_HTTPS=true",
		"SWITCHBOARD_PUSH__PROVIDER=jpush",
	})
	if err != nil {
		t.Fatal(err)
	}
	if f.Files.Provider != "qiniu" || f.Files.Section("qiniu")["accessKey"] != "ak" || f.Files.Section("qiniu")["useHttps"] != true {
		t.Errorf("files = %+v", f.Files)
	}
	if f.Push.Provider != "jpush" {
		t.Errorf("push = %+v", f.Push)
	}
}

func TestPrecedence(t *testing.T) {
	p := writeFile(t, "appId: fromfile\nmaxLimit: 50\nhttp: :1000\n")
	c, err := Load(p, []string{"SWITCHBOARD_MAX_LIMIT=60"})
	if err != nil {
		t.Fatal(err)
	}
	if c.AppID != "fromfile" { // file beats default
		t.Errorf("appId = %q", c.AppID)
	}
	if c.MaxLimit != 60 { // env beats file
		t.Errorf("maxLimit = %d", c.MaxLimit)
	}
	if c.MountPath != "/parse" { // default survives
		t.Errorf("mountPath = %q", c.MountPath)
	}
	if c.HTTP != ":1000" {
		t.Errorf("http = %q", c.HTTP)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(c *Config)
		want   string
	}{
		{"appId", func(c *Config) { c.AppID = " " }, "appId: must not be empty"},
		{"masterKey", func(c *Config) { c.MasterKey = "" }, "masterKey: must be set"},
		{"readOnlyMasterKey", func(c *Config) { c.ReadOnlyMasterKey = c.MasterKey }, "readOnlyMasterKey: must differ from masterKey"},
		{"masterKeyIps", func(c *Config) { c.MasterKeyIPs = []string{"10.0.0.1", "1.2.3.x"} }, `masterKeyIps: "1.2.3.x" is not an IP or CIDR`},
		{"maxLimit", func(c *Config) { c.MaxLimit = -3 }, "maxLimit: must be a positive integer, got -3"},
		{"defaultLimit", func(c *Config) { c.DefaultLimit = 0 }, "defaultLimit: must be a positive integer, got 0"},
		{"defaultLimit above max", func(c *Config) { c.DefaultLimit = 2000 }, "defaultLimit: must not exceed maxLimit (1000), got 2000"},
		{"idempotency paths", func(c *Config) { c.IdempotencyOptions.Paths = []string{"classes/(.*"} }, `idempotencyOptions.paths: "classes/(.*" is not a valid regular expression`},
		{"idempotency ttl", func(c *Config) { c.IdempotencyOptions.TTL = 0 }, "idempotencyOptions.ttl: must be a positive number of seconds, got 0"},
		{"maxUploadSize unit", func(c *Config) { c.MaxUploadSize = "20 parsecs" }, `maxUploadSize: expected a size like "20mb", got "20 parsecs"`},
		{"gcHeadroom unit", func(c *Config) { c.GCHeadroom = "lots" }, `gcHeadroom: expected a size like "20mb", got "lots", or "off"`},
		{"maxUploadSize zero", func(c *Config) { c.MaxUploadSize = "0mb" }, `maxUploadSize: expected a size like "20mb"`},
		{"bodyReadTimeout", func(c *Config) { c.BodyReadTimeout = Duration(-time.Second) }, `bodyReadTimeout: must be a duration like "10s", or 0 for no limit`},
		{"bodyReadMinRate", func(c *Config) { c.BodyReadMinRate = "fast" }, `bodyReadMinRate: expected a size like "20mb", got "fast" (bytes a second)`},
		{"allowOrigin empty", func(c *Config) { c.AllowOrigin = nil }, "allowOrigin: must list at least one origin"},
		{"allowOrigin bad", func(c *Config) { c.AllowOrigin = StringList{"example.com"} }, `allowOrigin: "example.com" is not "*" or an origin`},
		{"allowHeaders", func(c *Config) { c.AllowHeaders = []string{"X Bad"} }, `allowHeaders: "X Bad" is not a valid header name`},
		{"logLevel", func(c *Config) { c.LogLevel = "loud" }, `logLevel: must be one of error, warn, info, verbose, debug; got "loud"`},
		{"logFormat", func(c *Config) { c.LogFormat = "xml" }, `logFormat: must be text or json, got "xml"`},
		{"mountPath no slash", func(c *Config) { c.MountPath = "parse" }, `mountPath: must be a path like "/parse"`},
		{"mountPath trailing slash", func(c *Config) { c.MountPath = "/parse/" }, `mountPath: must be a path like "/parse"`},
		{"serverURL", func(c *Config) { c.ServerURL = "localhost:1337/parse" }, "serverURL: must be an absolute http(s) URL"},
		{"http", func(c *Config) { c.HTTP = "abc" }, `http: invalid listen address "abc"`},
		{"http port", func(c *Config) { c.HTTP = "127.0.0.1:99999" }, `http: invalid listen address "127.0.0.1:99999": port must be a number`},
		{"dir", func(c *Config) { c.Dir = "" }, "dir: must not be empty"},
		{"plugin name", func(c *Config) { c.Plugins = []Plugin{{Name: "My Store", Path: "/p", SHA256: strings.Repeat("a", 64)}} }, `plugins[0].name: must be 1 to 63 lower-case letters`},
		{"plugin twice", func(c *Config) {
			p := Plugin{Name: "x", Path: "/p", SHA256: strings.Repeat("a", 64)}
			c.Plugins = []Plugin{p, p}
		}, `plugins[1].name: "x" is listed twice`},
		{"plugin path", func(c *Config) { c.Plugins = []Plugin{{Name: "x", SHA256: strings.Repeat("a", 64)}} }, "plugins[0].path: must be the plugin's executable"},
		{"plugin sha256", func(c *Config) { c.Plugins = []Plugin{{Name: "x", Path: "/p", SHA256: "abc"}} }, "plugins[0].sha256: must be the executable's SHA-256 as 64 hex digits (run: sha256sum /p)"},
		{"plugin timeout", func(c *Config) {
			c.Plugins = []Plugin{{Name: "x", Path: "/p", SHA256: strings.Repeat("a", 64), Timeout: Duration(-time.Second)}}
		}, "plugins[0].timeout: must not be negative"},
		{"store provider conflict", func(c *Config) { c.Store.Provider = "sqlite"; c.DatabaseURL = "postgres://h/db" }, "store.provider: is sqlite but databaseURL is a postgres:// URL"},
		{"maxOrWidth", func(c *Config) { c.QueryLimits.MaxOrWidth = 0 }, "queryLimits.maxOrWidth: must be a positive integer, got 0"},
		{"maxDepth", func(c *Config) { c.QueryLimits.MaxDepth = -1 }, "queryLimits.maxDepth: must be a positive integer, got -1"},
		{"maxIncludeDepth", func(c *Config) { c.QueryLimits.MaxIncludeDepth = 0 }, "queryLimits.maxIncludeDepth: must be a positive integer"},
		{"maxIncludeCount", func(c *Config) { c.QueryLimits.MaxIncludeCount = 0 }, "queryLimits.maxIncludeCount: must be a positive integer"},
		{"maxInValues", func(c *Config) { c.QueryLimits.MaxInValues = 0 }, "queryLimits.maxInValues: must be a positive integer"},
		{"maxRegexLength", func(c *Config) { c.QueryLimits.MaxRegexLength = 0 }, "queryLimits.maxRegexLength: must be a positive integer"},
		{"maxPolygonPoints", func(c *Config) { c.QueryLimits.MaxPolygonPoints = 100001 }, "queryLimits.maxPolygonPoints: must be at most 100000"},
		{"queryTimeout", func(c *Config) { c.QueryLimits.QueryTimeout = -1 }, "queryLimits.queryTimeout: must be a duration"},
		{"metrics path", func(c *Config) { c.Metrics.Path = "metrics" }, `metrics.path: must be a path like "/metrics"`},
		{"metrics path health", func(c *Config) { c.Metrics.Path = "/health" }, "metrics.path: must not be /health"},
		{"metrics path under mount", func(c *Config) { c.Metrics.Path = "/parse/metrics" }, `metrics.path: must be outside mountPath "/parse"`},
		{"shutdownTimeout", func(c *Config) { c.ShutdownTimeout = 0 }, "shutdownTimeout: must be a positive duration"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			c.MasterKey = "mk"
			tc.mutate(c)
			err := c.Validate()
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(c *Config)
	}{
		{"root mount", func(c *Config) { c.MountPath = "/" }},
		{"metrics disabled with odd path", func(c *Config) { c.Metrics = Metrics{Enabled: false, Path: ""} }},
		{"port only", func(c *Config) { c.HTTP = ":0" }},
		{"ipv6 listen", func(c *Config) { c.HTTP = "[::1]:1337" }},
		{"sizes", func(c *Config) { c.MaxUploadSize = "512KB" }},
		{"gc tuning off", func(c *Config) { c.GCHeadroom = "off" }},
		{"gc tuning 0", func(c *Config) { c.GCHeadroom = "0" }},
		{"origins", func(c *Config) { c.AllowOrigin = StringList{"https://a.com", "http://localhost:3000"} }},
		{"verbose level", func(c *Config) { c.LogLevel = "verbose" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			c.MasterKey = "mk"
			tc.mutate(c)
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestValidateReportsAll(t *testing.T) {
	c := Default()
	c.MasterKey = "mk"
	c.MaxLimit = -3
	c.HTTP = "abc"
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "maxLimit") || !strings.Contains(err.Error(), "http") {
		t.Fatalf("error %v should name both keys", err)
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"20mb", 20 << 20}, {"20MB", 20 << 20}, {"20 mb", 20 << 20}, {"1.5mb", 3 << 19},
		{"512kb", 512 << 10}, {"1gb", 1 << 30}, {"100b", 100}, {"1048576", 1 << 20}, {"2tb", 2 << 40},
	}
	for _, tc := range tests {
		got, err := ParseSize(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "mb", "-1mb", "20xb", "1.2.3mb", "0"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q): no error", in)
		}
	}
}

func TestCaseConversion(t *testing.T) {
	tests := []struct{ camel, snake string }{
		{"appId", "APP_ID"}, {"masterKeyIps", "MASTER_KEY_IPS"}, {"databaseURL", "DATABASE_URL"},
		{"serverURL", "SERVER_URL"}, {"restAPIKey", "REST_API_KEY"}, {"dotNetKey", "DOT_NET_KEY"},
		{"http", "HTTP"}, {"idempotencyOptions", "IDEMPOTENCY_OPTIONS"}, {"maxOrWidth", "MAX_OR_WIDTH"},
		{"s3Bucket", "S3_BUCKET"}, {"allowClientClassCreation", "ALLOW_CLIENT_CLASS_CREATION"},
	}
	for _, tc := range tests {
		if got := upperSnake(tc.camel); got != tc.snake {
			t.Errorf("upperSnake(%q) = %q, want %q", tc.camel, got, tc.snake)
		}
	}
	for in, want := range map[string]string{"BUSY_TIMEOUT": "busyTimeout", "SQLITE": "sqlite", "ACCESS_KEY_ID": "accessKeyId"} {
		if got := lowerCamel(in); got != want {
			t.Errorf("lowerCamel(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDefaultServerURL(t *testing.T) {
	tests := []struct{ addr, mount, want string }{
		{"127.0.0.1:1337", "/parse", "http://127.0.0.1:1337/parse"},
		{":1337", "/parse", "http://localhost:1337/parse"},
		{"0.0.0.0:80", "/", "http://localhost:80"},
		{"[::]:1337", "/p", "http://localhost:1337/p"},
	}
	for _, tc := range tests {
		if got := DefaultServerURL(tc.addr, tc.mount); got != tc.want {
			t.Errorf("DefaultServerURL(%q, %q) = %q, want %q", tc.addr, tc.mount, got, tc.want)
		}
	}
}

// Every option and its variable are documented in config.example.yaml, and
// the example itself loads and validates.
func TestExampleDocumentsEveryOption(t *testing.T) {
	const example = "../../config.example.yaml"
	data, err := os.ReadFile(example)
	if err != nil {
		t.Skipf("no example: %v", err)
	}
	for _, o := range Options() {
		if strings.Contains(o.Env, "*") {
			continue
		}
		if !strings.Contains(string(data), o.Env) {
			t.Errorf("config.example.yaml does not mention %s (%s)", o.Env, o.Path)
		}
	}
	c, err := Load(example, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.MasterKey == "" {
		c.MasterKey = "mk"
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}
