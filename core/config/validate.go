package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// Validate checks every option and returns all problems at once, one per
// line, each naming the key and what is allowed.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}

	if strings.TrimSpace(c.AppID) == "" {
		bad("appId", "must not be empty")
	}
	if c.MasterKey == "" {
		bad("masterKey", "must be set (or leave it out of every source and let `switchboard serve` generate one)")
	}
	if c.ReadOnlyMasterKey != "" && c.ReadOnlyMasterKey == c.MasterKey {
		bad("readOnlyMasterKey", "must differ from masterKey")
	}
	for _, ip := range c.MasterKeyIPs {
		if !isIPOrCIDR(ip) {
			bad("masterKeyIps", "%q is not an IP or CIDR (e.g. 10.0.0.1 or 10.0.0.0/8)", ip)
		}
	}
	if c.MaxLimit <= 0 {
		bad("maxLimit", "must be a positive integer, got %d", c.MaxLimit)
	}
	if c.DefaultLimit <= 0 {
		bad("defaultLimit", "must be a positive integer, got %d", c.DefaultLimit)
	} else if c.MaxLimit > 0 && c.DefaultLimit > c.MaxLimit {
		bad("defaultLimit", "must not exceed maxLimit (%d), got %d", c.MaxLimit, c.DefaultLimit)
	}
	for _, p := range c.IdempotencyOptions.Paths {
		if _, err := regexp.Compile("^(?:" + p + ")$"); err != nil { // as the App compiles it
			bad("idempotencyOptions.paths", "%q is not a valid regular expression: %v", p, err)
		}
	}
	positive := map[string]int{
		"sessionLength": c.SessionLength, "emailVerifyTokenValidityDuration": c.EmailVerifyTokenValidityDuration,
		"passwordPolicy.resetTokenValidityDuration": c.PasswordPolicy.ResetTokenValidityDuration,
		"smsCode.length": c.SMSCode.Length, "smsCode.dailyLimit": c.SMSCode.DailyLimit,
		"smsCode.ipHourly": c.SMSCode.IPHourly, "smsCode.maxAttempts": c.SMSCode.MaxAttempts,
	}
	for key, v := range positive {
		if v <= 0 {
			bad(key, "must be a positive number, got %d", v)
		}
	}
	if c.SMSCode.Length > 12 {
		bad("smsCode.length", "must be at most 12 digits, got %d", c.SMSCode.Length)
	}
	for key, d := range map[string]Duration{"smsCode.ttl": c.SMSCode.TTL, "smsCode.interval": c.SMSCode.Interval, "loginRateLimit.window": c.LoginRateLimit.Window} {
		if d <= 0 {
			bad(key, "must be a positive duration such as 60s or 5m, got %s", d)
		}
	}
	if c.AccountLockout.Threshold < 0 || c.AccountLockout.Threshold > 1000 {
		bad("accountLockout.threshold", "must be between 0 (off) and 1000, got %d", c.AccountLockout.Threshold)
	}
	if c.AccountLockout.Threshold > 0 && c.AccountLockout.Duration <= 0 {
		bad("accountLockout.duration", "must be a positive number of minutes when threshold is set, got %d", c.AccountLockout.Duration)
	}
	if c.LoginRateLimit.Requests == 0 || c.LoginRateLimit.Requests < -1 {
		bad("loginRateLimit.requests", "must be a positive number, or -1 for no limit, got %d", c.LoginRateLimit.Requests)
	}
	if c.PreventLoginWithUnverifiedEmail && !c.VerifyUserEmails {
		bad("preventLoginWithUnverifiedEmail", "needs verifyUserEmails: true")
	}
	if c.PublicServerURL != "" {
		if u, err := url.Parse(c.PublicServerURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("publicServerURL", "must be an absolute http(s) URL, got %q", c.PublicServerURL)
		}
	}
	if c.SMS.Provider == "" {
		bad("sms.provider", `must name a provider ("log" writes codes to the server log)`)
	}
	if c.Mail.Provider == "" {
		bad("mail.provider", `must name a provider ("log" writes e-mails to the server log)`)
	}
	if c.Jobs.Provider == "" {
		bad("jobs.provider", `must name a job queue provider ("river"), or be "none" to run no background jobs`)
	}
	if len(strings.Fields(c.Jobs.CleanupSchedule)) != 5 && !strings.HasPrefix(c.Jobs.CleanupSchedule, "@") {
		bad("jobs.cleanupSchedule", `must be a five-field cron schedule such as "*/10 * * * *", got %q`, c.Jobs.CleanupSchedule)
	}
	for name, sec := range c.Jobs.Providers {
		if sec == nil {
			bad("jobs."+name, "must be a map of that provider's options")
		}
	}
	if c.IdempotencyOptions.TTL <= 0 {
		bad("idempotencyOptions.ttl", "must be a positive number of seconds, got %d", c.IdempotencyOptions.TTL)
	}
	if c.BodyReadTimeout < 0 {
		bad("bodyReadTimeout", `must be a duration like "10s", or 0 for no limit, got %s`, c.BodyReadTimeout)
	}
	if _, err := ParseSize(c.BodyReadMinRate); err != nil {
		bad("bodyReadMinRate", "%v (bytes a second)", err)
	}
	if _, err := ParseSize(c.MaxUploadSize); err != nil {
		bad("maxUploadSize", "%v", err)
	}
	if _, err := ParseSize(c.GCHeadroom); err != nil && !off(c.GCHeadroom) {
		bad("gcHeadroom", `%v, or "off"`, err)
	}
	if len(c.AllowOrigin) == 0 {
		bad("allowOrigin", `must list at least one origin ("*" allows any)`)
	}
	for _, o := range c.AllowOrigin {
		if !validOrigin(o) {
			bad("allowOrigin", `%q is not "*" or an origin like https://example.com`, o)
		}
	}
	for _, h := range c.AllowHeaders {
		if !isToken(h) {
			bad("allowHeaders", "%q is not a valid header name", h)
		}
	}
	if _, ok := logLevels[strings.ToLower(c.LogLevel)]; !ok {
		bad("logLevel", "must be one of error, warn, info, verbose, debug; got %q", c.LogLevel)
	}
	if f := strings.ToLower(c.LogFormat); f != "text" && f != "json" {
		bad("logFormat", "must be text or json, got %q", c.LogFormat)
	}
	if !validPath(c.MountPath) {
		bad("mountPath", `must be a path like "/parse" (starting with "/", no trailing "/"), got %q`, c.MountPath)
	}
	if c.ServerURL != "" {
		if u, err := url.Parse(c.ServerURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("serverURL", "must be an absolute http(s) URL like https://api.example.com/parse, got %q", c.ServerURL)
		}
	}
	if err := checkListen(c.HTTP); err != nil {
		bad("http", "%v", err)
	}
	if strings.TrimSpace(c.Dir) == "" {
		bad("dir", "must not be empty")
	}
	if p := c.Store.Provider; p != "" && isPostgresURL(c.DatabaseURL) && p == "sqlite" {
		bad("store.provider", "is sqlite but databaseURL is a postgres:// URL; remove one of them")
	}
	for name, sec := range c.Store.Providers {
		if sec == nil {
			bad("store."+name, "must be a map of that provider's options")
		}
	}
	ql := c.QueryLimits
	for _, l := range []struct {
		key string
		v   int
	}{
		{"queryLimits.maxOrWidth", ql.MaxOrWidth},
		{"queryLimits.maxDepth", ql.MaxDepth},
		{"queryLimits.maxIncludeDepth", ql.MaxIncludeDepth},
		{"queryLimits.maxIncludeCount", ql.MaxIncludeCount},
		{"queryLimits.maxInValues", ql.MaxInValues},
		{"queryLimits.maxRegexLength", ql.MaxRegexLength},
		{"queryLimits.maxPolygonPoints", ql.MaxPolygonPoints},
	} {
		if l.v <= 0 {
			bad(l.key, "must be a positive integer, got %d", l.v)
		}
	}
	if ql.MaxPolygonPoints > core.MaxPolygonPointsCeiling {
		bad("queryLimits.maxPolygonPoints", "must be at most %d, got %d", core.MaxPolygonPointsCeiling, ql.MaxPolygonPoints)
	}
	if ql.QueryTimeout < 0 {
		bad("queryLimits.queryTimeout", "must be a duration such as 15s, or 0 for no limit; got %s", time.Duration(ql.QueryTimeout))
	}
	if c.Metrics.Enabled {
		switch {
		case !validPath(c.Metrics.Path) || c.Metrics.Path == "/":
			bad("metrics.path", `must be a path like "/metrics", got %q`, c.Metrics.Path)
		case c.Metrics.Path == "/health":
			bad("metrics.path", "must not be /health, which the health check uses")
		case validPath(c.MountPath) && c.MountPath != "/" && underPath(c.Metrics.Path, c.MountPath):
			bad("metrics.path", "must be outside mountPath %q, got %q", c.MountPath, c.Metrics.Path)
		}
	}
	if c.ShutdownTimeout <= 0 {
		bad("shutdownTimeout", `must be a positive duration like "15s", got %s`, c.ShutdownTimeout)
	}
	errs = append(errs, c.validateFeatures()...)
	return errors.Join(errs...)
}

// logLevels are the accepted logLevel values: Parse Server's names, with
// verbose and silly logged as debug.
var logLevels = map[string]slog.Level{
	"error": slog.LevelError, "warn": slog.LevelWarn, "info": slog.LevelInfo,
	"verbose": slog.LevelDebug, "debug": slog.LevelDebug, "silly": slog.LevelDebug,
}

// SlogLevel returns logLevel as a slog level (info if it is not valid).
func (c *Config) SlogLevel() slog.Level { return logLevels[strings.ToLower(c.LogLevel)] }

func isIPOrCIDR(s string) bool {
	if _, err := netip.ParseAddr(s); err == nil {
		return true
	}
	_, err := netip.ParsePrefix(s)
	return err == nil
}

func checkListen(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("invalid listen address %q: expected host:port like 127.0.0.1:1337 or :1337", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("invalid listen address %q: port must be a number from 0 to 65535", addr)
	}
	if strings.ContainsAny(host, " /") {
		return fmt.Errorf("invalid listen address %q: bad host", addr)
	}
	return nil
}

func validPath(p string) bool {
	if p == "/" {
		return true
	}
	return strings.HasPrefix(p, "/") && !strings.HasSuffix(p, "/") &&
		!strings.ContainsAny(p, " ?#") && !strings.Contains(p, "//")
}

// underPath reports whether p is mount or below it. (With mountPath "/",
// /health and the metrics path are answered before the API.)
func underPath(p, mount string) bool {
	return p == mount || strings.HasPrefix(p, mount+"/")
}

func validOrigin(o string) bool {
	if o == "*" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Scheme != "" && u.Host != "" && (u.Path == "" || u.Path == "/") && u.RawQuery == ""
}

// isToken reports whether s is an HTTP token (RFC 9110), as header names are.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}
