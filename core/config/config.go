// Package config reads Switchboard's YAML configuration and its environment
// overrides, checks it, and turns it into the options the core and the HTTP
// server take.
//
// Where Parse Server has an option, ours has the same name and meaning at the
// top level (appId, masterKey, maxLimit, idempotencyOptions, ...). Every
// option can be overridden from the environment: SWITCHBOARD_ + the option's
// YAML path in upper snake case, nested keys joined by "__"
// (SWITCHBOARD_IDEMPOTENCY_OPTIONS__TTL=300). The names are derived from the
// yaml tags by reflection, so a new section gets its variables for free.
//
// The order is: defaults (Default), then the YAML file, then the environment
// (Load); the binary applies its flags last and then calls Validate.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/switchboardhq/switchboard/core"
)

// EnvPrefix starts the name of every environment override.
const EnvPrefix = "SWITCHBOARD_"

// Config is the whole configuration file. Field docs name the Parse Server
// option a field mirrors; config.example.yaml documents every field.
type Config struct {
	// Parse Server options, same names and meaning.
	AppID                    string             `yaml:"appId"`
	MasterKey                string             `yaml:"masterKey"`
	ReadOnlyMasterKey        string             `yaml:"readOnlyMasterKey"`
	MasterKeyIPs             []string           `yaml:"masterKeyIps"`
	ClientKey                string             `yaml:"clientKey"`
	JavascriptKey            string             `yaml:"javascriptKey"`
	RESTAPIKey               string             `yaml:"restAPIKey"`
	DotNetKey                string             `yaml:"dotNetKey"`
	AllowClientClassCreation bool               `yaml:"allowClientClassCreation"`
	MaxLimit                 int                `yaml:"maxLimit"`
	DefaultLimit             int                `yaml:"defaultLimit"`
	IdempotencyOptions       IdempotencyOptions `yaml:"idempotencyOptions"`
	MaxUploadSize            string             `yaml:"maxUploadSize"`
	BodyReadTimeout          Duration           `yaml:"bodyReadTimeout"`
	BodyReadMinRate          string             `yaml:"bodyReadMinRate"`
	AllowOrigin              StringList         `yaml:"allowOrigin"`
	AllowHeaders             []string           `yaml:"allowHeaders"`
	LogLevel                 string             `yaml:"logLevel"`
	MountPath                string             `yaml:"mountPath"`
	ServerURL                string             `yaml:"serverURL"`
	PublicServerURL          string             `yaml:"publicServerURL"`
	AppName                  string             `yaml:"appName"`

	// Users and sessions (Parse Server's names and units).
	SessionLength                    int            `yaml:"sessionLength"` // seconds
	RevokeSessionOnPasswordReset     bool           `yaml:"revokeSessionOnPasswordReset"`
	VerifyUserEmails                 bool           `yaml:"verifyUserEmails"`
	PreventLoginWithUnverifiedEmail  bool           `yaml:"preventLoginWithUnverifiedEmail"`
	EmailVerifyTokenValidityDuration int            `yaml:"emailVerifyTokenValidityDuration"` // seconds
	EmailVerifySuccessOnInvalidEmail bool           `yaml:"emailVerifySuccessOnInvalidEmail"`
	PasswordPolicy                   PasswordPolicy `yaml:"passwordPolicy"`
	AccountLockout                   AccountLockout `yaml:"accountLockout"`
	EnableAnonymousUsers             bool           `yaml:"enableAnonymousUsers"`
	// Auth enables third-party logins: one section per authData provider,
	// holding that provider's options (Parse Server's "auth" option).
	Auth map[string]map[string]any `yaml:"auth"`

	// Switchboard's own options.
	HTTP            string          `yaml:"http"`
	DatabaseURL     string          `yaml:"databaseURL"`
	Dir             string          `yaml:"dir"`
	LogFormat       string          `yaml:"logFormat"`
	Store           ProviderSection `yaml:"store"`
	SMS             ProviderSection `yaml:"sms"`
	Mail            ProviderSection `yaml:"mail"`
	Jobs            Jobs            `yaml:"jobs"`
	LoginRateLimit  LoginRateLimit  `yaml:"loginRateLimit"`
	SMSCode         SMSCode         `yaml:"smsCode"`
	QueryLimits     QueryLimits     `yaml:"queryLimits"`
	Metrics         Metrics         `yaml:"metrics"`
	ShutdownTimeout Duration        `yaml:"shutdownTimeout"`
	// GCHeadroom is how far the Go heap may grow past the live heap before
	// the garbage collector runs again (see GCHeadroomBytes).
	GCHeadroom string `yaml:"gcHeadroom"`

	// Features beyond the data API, each configured in its own file of
	// this package (files.go, push.go, cloud.go, policies.go,
	// livequery.go, leancloud.go, releases.go).
	Files            Files      `yaml:"files"`
	FileUpload       FileUpload `yaml:"fileUpload"`
	PreserveFileName bool       `yaml:"preserveFileName"`
	Push             Push       `yaml:"push"`
	Cloud            string     `yaml:"cloud"`
	CloudCode        CloudCode  `yaml:"cloudCode"`
	WebhookKey       string     `yaml:"webhookKey"`
	Policies         Policies   `yaml:"policies"`
	LiveQuery        LiveQuery  `yaml:"liveQuery"`
	LeanCloud        LeanCloud  `yaml:"leancloud"`
	Console          Console    `yaml:"console"`
	Analytics        Analytics  `yaml:"analytics"`
	Releases         Releases   `yaml:"releases"`

	// Plugins are the out-of-process providers (plugins.go).
	Plugins []Plugin `yaml:"plugins"`
}

// IdempotencyOptions mirrors Parse Server's idempotencyOptions.
type IdempotencyOptions struct {
	// Paths are regular expressions matched against the path after the
	// mount path, e.g. "classes/.*". Empty turns idempotency off.
	Paths []string `yaml:"paths"`
	// TTL is how long a request id is remembered, in seconds (as in Parse).
	TTL int `yaml:"ttl"`
}

// PasswordPolicy mirrors the part of Parse Server's passwordPolicy we use.
type PasswordPolicy struct {
	// ResetTokenValidityDuration bounds a password reset link, in seconds.
	ResetTokenValidityDuration int `yaml:"resetTokenValidityDuration"`
}

// AccountLockout mirrors Parse Server's accountLockout.
type AccountLockout struct {
	Duration  int `yaml:"duration"`  // minutes an account stays locked
	Threshold int `yaml:"threshold"` // failed logins that lock it; 0 = off
}

// LoginRateLimit bounds logins per client IP.
type LoginRateLimit struct {
	Requests int      `yaml:"requests"` // per window; -1 = no limit
	Window   Duration `yaml:"window"`
}

// SMSCode configures phone login codes.
type SMSCode struct {
	Length      int      `yaml:"length"`
	TTL         Duration `yaml:"ttl"`
	Interval    Duration `yaml:"interval"`
	DailyLimit  int      `yaml:"dailyLimit"`
	IPHourly    int      `yaml:"ipHourly"`
	MaxAttempts int      `yaml:"maxAttempts"`
}

// QueryLimits bound how much work one query may ask for.
type QueryLimits struct {
	MaxOrWidth      int `yaml:"maxOrWidth"`
	MaxDepth        int `yaml:"maxDepth"`
	MaxIncludeDepth int `yaml:"maxIncludeDepth"`
	MaxIncludeCount int `yaml:"maxIncludeCount"`
	MaxInValues     int `yaml:"maxInValues"`
	// MaxRegexLength bounds the characters of one $regex pattern.
	MaxRegexLength int `yaml:"maxRegexLength"`
	// MaxPolygonPoints bounds the points of a Polygon value or query
	// polygon (at most core.MaxPolygonPointsCeiling).
	MaxPolygonPoints int `yaml:"maxPolygonPoints"`
	// QueryTimeout bounds each database read of a request; 0 turns the
	// limit off.
	QueryTimeout Duration `yaml:"queryTimeout"`
}

// Metrics configures the Prometheus endpoint.
type Metrics struct {
	Enabled bool   `yaml:"enabled"`
	Path    string `yaml:"path"`
}

// Jobs configures background jobs: the queue provider (river, or none to
// turn jobs off), the App's own periodic cleanup, and one section of
// options per provider, as in ProviderSection.
type Jobs struct {
	Provider        string                    `yaml:"provider"`
	CleanupSchedule string                    `yaml:"cleanupSchedule"`
	Providers       map[string]map[string]any `yaml:",inline"`
}

// Section returns the options section of the named provider (nil if none).
func (j Jobs) Section(name string) map[string]any { return j.Providers[name] }

// JobsOff is the jobs.provider value that runs no job queue.
const JobsOff = "none"

// ProviderSection is the shape of every provider-kind section (store:,
// later files:, push:, ...): the provider's name, and one free-form section
// per provider holding that provider's own options, which the provider
// decodes strictly itself (core.DecodeOptions).
//
//	store:
//	  provider: sqlite
//	  sqlite: {busyTimeout: 5000}
type ProviderSection struct {
	Provider  string                    `yaml:"provider"`
	Providers map[string]map[string]any `yaml:",inline"`
}

// Section returns the options section of the named provider (nil if none).
func (p ProviderSection) Section(name string) map[string]any {
	return p.Providers[name]
}

// Default returns the configuration used when nothing is configured.
func Default() *Config {
	return &Config{
		AppID:              "switchboard",
		MaxLimit:           1000,
		DefaultLimit:       100,
		IdempotencyOptions: IdempotencyOptions{TTL: 300},
		MaxUploadSize:      "20mb",
		BodyReadTimeout:    Duration(10 * time.Second),
		BodyReadMinRate:    "1kb",
		AllowOrigin:        StringList{"*"},
		LogLevel:           "info",
		MountPath:          "/parse",
		HTTP:               "127.0.0.1:1337",
		Dir:                "./sb_data",
		LogFormat:          "text",
		QueryLimits: QueryLimits{
			MaxOrWidth:       100,
			MaxDepth:         10,
			MaxIncludeDepth:  5,
			MaxIncludeCount:  50,
			MaxInValues:      10000,
			MaxRegexLength:   1000,
			MaxPolygonPoints: 10000,
			QueryTimeout:     Duration(15 * time.Second),
		},
		Metrics:         Metrics{Enabled: true, Path: "/metrics"},
		ShutdownTimeout: Duration(15 * time.Second),
		GCHeadroom:      "32mb",
		Files:           defaultFiles(),
		FileUpload:      defaultFileUpload(),
		Console:         defaultConsole(),

		SessionLength:                    31536000,
		RevokeSessionOnPasswordReset:     true,
		EmailVerifyTokenValidityDuration: 86400,
		EmailVerifySuccessOnInvalidEmail: true,
		PasswordPolicy:                   PasswordPolicy{ResetTokenValidityDuration: 3600},
		AccountLockout:                   AccountLockout{Duration: 5},
		EnableAnonymousUsers:             true,
		SMS:                              ProviderSection{Provider: "log"},
		Mail:                             ProviderSection{Provider: "log"},
		Jobs:                             Jobs{Provider: "river", CleanupSchedule: "*/10 * * * *"},
		Analytics:                        Analytics{Provider: "store", Timezone: "UTC"},
		LoginRateLimit:                   LoginRateLimit{Requests: 30, Window: Duration(time.Minute)},
		SMSCode: SMSCode{Length: 6, TTL: Duration(5 * time.Minute), Interval: Duration(time.Minute),
			DailyLimit: 10, IPHourly: 30, MaxAttempts: 5},
	}
}

// Load builds the configuration: defaults, then the YAML file at path (if
// path is not empty), then the SWITCHBOARD_* variables in environ (as from
// os.Environ). It does not validate; call Validate once every override
// (flags, a generated master key) is applied.
func Load(path string, environ []string) (*Config, error) {
	c := Default()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("reading config: %w", err)
		}
		if err := c.decodeYAML(data); err != nil {
			return nil, fmt.Errorf("config file %s: %w", path, err)
		}
	}
	if err := ApplyEnv(c, environ); err != nil {
		return nil, err
	}
	return c, nil
}

// Parse decodes YAML onto the defaults, without the environment.
func Parse(data []byte) (*Config, error) {
	c := Default()
	if err := c.decodeYAML(data); err != nil {
		return nil, err
	}
	return c, nil
}

var unknownFieldRE = regexp.MustCompile(`field (\S+) not found in type \S+`)

// decodeYAML decodes strictly: an unknown key is an error that names it.
func (c *Config) decodeYAML(data []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(c)
	if errors.Is(err, io.EOF) {
		return nil // an empty file is a valid, empty configuration
	}
	if err == nil {
		return nil
	}
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	msgs := make([]string, 0, len(te.Errors))
	for _, m := range te.Errors {
		msgs = append(msgs, friendlyUnknown(m))
	}
	return errors.New(strings.Join(msgs, "\n"))
}

// friendlyUnknown rewrites yaml's "field x not found in type config.Config"
// into "unknown option "x"", with a hint when only the case is wrong.
func friendlyUnknown(msg string) string {
	m := unknownFieldRE.FindStringSubmatchIndex(msg)
	if m == nil {
		return msg
	}
	key := msg[m[2]:m[3]]
	out := msg[:m[0]] + fmt.Sprintf("unknown option %q", key)
	if r, ok := renamed[key]; ok {
		out += " (" + r + ")"
	} else if s := suggest(key); s != "" {
		out += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return out + msg[m[1]:]
}

// renamed says what became of options that no longer exist, by their old
// YAML key and environment variable.
var renamed = map[string]string{
	"gcHeapTarget":               `renamed "gcHeadroom": how far the heap may grow past the live heap, no longer the heap's size`,
	"SWITCHBOARD_GC_HEAP_TARGET": `renamed SWITCHBOARD_GC_HEADROOM: how far the heap may grow past the live heap, no longer the heap's size`,
}

// suggest returns the known option that differs from key only in case or in
// underscores, if any.
func suggest(key string) string {
	norm := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "")) }
	for _, f := range allOptions() {
		segs := strings.Split(f, ".")
		if last := segs[len(segs)-1]; norm(last) == norm(key) {
			return last
		}
	}
	return ""
}

// StoreProvider returns the store provider's registered name: store.provider
// if set, else "postgres" for a postgres:// databaseURL, else "sqlite".
func (c *Config) StoreProvider() string {
	if c.Store.Provider != "" {
		return c.Store.Provider
	}
	if isPostgresURL(c.DatabaseURL) {
		return "postgres"
	}
	return "sqlite"
}

func isPostgresURL(u string) bool {
	l := strings.ToLower(u)
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

// StoreConfig returns what the store provider is opened with: the database
// URL, the data folder and the provider's own section.
func (c *Config) StoreConfig() core.StoreConfig {
	return core.StoreConfig{
		URL:     c.DatabaseURL,
		DataDir: c.Dir,
		Options: c.Store.Section(c.StoreProvider()),
	}
}

// ClientKeys returns the client keys that are set (clientKey, javascriptKey,
// restAPIKey, dotNetKey). Any set key makes one of them required.
func (c *Config) ClientKeys() []string {
	var keys []string
	for _, k := range []string{c.ClientKey, c.JavascriptKey, c.RESTAPIKey, c.DotNetKey} {
		if k != "" {
			keys = append(keys, k)
		}
	}
	return keys
}

// CoreOptions returns the options the App is built with. serverURL, when
// empty, is derived from the listen address and mount path.
func (c *Config) CoreOptions() core.Options {
	serverURL := c.ServerURL
	if serverURL == "" {
		serverURL = DefaultServerURL(c.HTTP, c.MountPath)
	}
	return core.Options{
		AppID:                    c.AppID,
		MasterKey:                c.MasterKey,
		ReadOnlyMasterKey:        c.ReadOnlyMasterKey,
		MasterKeyIPs:             append([]string(nil), c.MasterKeyIPs...),
		ClientKeys:               c.ClientKeys(),
		AllowClientClassCreation: c.AllowClientClassCreation,
		MaxLimit:                 c.MaxLimit,
		DefaultLimit:             c.DefaultLimit,
		Idempotency: core.IdempotencyOptions{
			Paths: append([]string(nil), c.IdempotencyOptions.Paths...),
			TTL:   time.Duration(c.IdempotencyOptions.TTL) * time.Second,
		},
		Limits: core.QueryLimits{
			MaxOrWidth:       c.QueryLimits.MaxOrWidth,
			MaxDepth:         c.QueryLimits.MaxDepth,
			MaxIncludeDepth:  c.QueryLimits.MaxIncludeDepth,
			MaxIncludeCount:  c.QueryLimits.MaxIncludeCount,
			MaxInValues:      c.QueryLimits.MaxInValues,
			MaxRegexLength:   c.QueryLimits.MaxRegexLength,
			MaxPolygonPoints: c.QueryLimits.MaxPolygonPoints,
			QueryTimeout:     queryTimeout(c.QueryLimits.QueryTimeout),
		},
		ServerURL:       serverURL,
		PublicServerURL: c.PublicServerURL,
		CleanupSchedule: c.Jobs.CleanupSchedule,
		AppName:         c.AppName,
		Users: core.UserOptions{
			SessionLength:                   time.Duration(c.SessionLength) * time.Second,
			KeepSessionsOnPasswordReset:     !c.RevokeSessionOnPasswordReset,
			VerifyUserEmails:                c.VerifyUserEmails,
			PreventLoginWithUnverifiedEmail: c.PreventLoginWithUnverifiedEmail,
			EmailVerifyErrorOnInvalidEmail:  !c.EmailVerifySuccessOnInvalidEmail,
			EmailVerifyTokenValidity:        time.Duration(c.EmailVerifyTokenValidityDuration) * time.Second,
			PasswordResetTokenValidity:      time.Duration(c.PasswordPolicy.ResetTokenValidityDuration) * time.Second,
			LockoutThreshold:                c.AccountLockout.Threshold,
			LockoutDuration:                 time.Duration(c.AccountLockout.Duration) * time.Minute,
			LoginRequests:                   c.LoginRateLimit.Requests,
			LoginWindow:                     time.Duration(c.LoginRateLimit.Window),
			SMS: core.SMSCodeOptions{
				Length: c.SMSCode.Length, TTL: time.Duration(c.SMSCode.TTL), Interval: time.Duration(c.SMSCode.Interval),
				DailyLimit: c.SMSCode.DailyLimit, IPHourly: c.SMSCode.IPHourly, MaxAttempts: c.SMSCode.MaxAttempts,
			},
		},
	}.WithDefaults()
}

// GCHeadroomBytes returns gcHeadroom in bytes: 0 when it is "0" or
// "off" (or does not parse; Validate rejects that).
func (c *Config) GCHeadroomBytes() int64 {
	if off(c.GCHeadroom) {
		return 0
	}
	n, err := ParseSize(c.GCHeadroom)
	if err != nil {
		return 0
	}
	return n
}

func off(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	return s == "0" || s == "off"
}

// MaxUploadBytes returns maxUploadSize in bytes (0 if it does not parse;
// Validate rejects that).
func (c *Config) MaxUploadBytes() int64 {
	n, err := ParseSize(c.MaxUploadSize)
	if err != nil {
		return 0
	}
	return n
}

// BodyReadMinBytes returns bodyReadMinRate in bytes a second (0 if it does
// not parse; Validate rejects that).
func (c *Config) BodyReadMinBytes() int64 {
	n, err := ParseSize(c.BodyReadMinRate)
	if err != nil {
		return 0
	}
	return n
}

// DefaultServerURL is the public URL of the API when serverURL is not set:
// http://HOST:PORT/MOUNT, with "localhost" for an unspecified host.
func DefaultServerURL(listenAddr, mountPath string) string {
	host, port, err := net.SplitHostPort(listenAddr)
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	if mountPath == "/" {
		mountPath = ""
	}
	return "http://" + net.JoinHostPort(host, port) + mountPath
}

// queryTimeout maps queryLimits.queryTimeout to core's: 0 (off) is core's
// negative.
func queryTimeout(d Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return time.Duration(d)
}
