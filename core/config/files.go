package config

import (
	"fmt"
	"strings"
	"time"
)

// Files configures the files API and its provider:
//
//	files:
//	  provider: local          # local | qiniu | s3
//	  local: {dir: files}      # one section per provider, decoded strictly by it
//	  protectByDefault: false
//	  signedURLExpiry: 15m
//	  ...
//
// The size of an upload through the API is Parse's maxUploadSize; who may
// upload is fileUpload (fileupload.go); preserveFileName keeps client
// names.
type Files struct {
	// Provider names the files provider (default local).
	Provider string `yaml:"provider"`
	// ProtectByDefault makes every upload protected (served only through
	// short-lived signed URLs) unless a beforeSave(Parse.File) trigger
	// says otherwise.
	ProtectByDefault bool `yaml:"protectByDefault"`
	// SignedURLExpiry is how long a signed URL of a protected file works.
	SignedURLExpiry Duration `yaml:"signedURLExpiry"`
	// DirectUploadExpiry is how long direct-upload instructions work.
	DirectUploadExpiry Duration `yaml:"directUploadExpiry"`
	// MaxDirectUploadSize caps a file uploaded straight to the store, a
	// size like maxUploadSize ("5gb").
	MaxDirectUploadSize string `yaml:"maxDirectUploadSize"`
	// RedirectDownloads answers downloads of a store that signs URLs (s3,
	// qiniu) with a redirect to the store instead of streaming the bytes
	// through the server.
	RedirectDownloads bool `yaml:"redirectDownloads"`
	// CacheControl is sent with public files.
	CacheControl string `yaml:"cacheControl"`
	// Thumbnails bound the thumbnails the server renders (?thumb=WxH).
	Thumbnails Thumbnails `yaml:"thumbnails"`
	// Providers holds one section per provider (local:, qiniu:, s3:).
	Providers map[string]map[string]any `yaml:",inline"`
}

// Thumbnails bound server-side thumbnail rendering.
type Thumbnails struct {
	// Enabled turns ?thumb= on.
	Enabled bool `yaml:"enabled"`
	// MaxSourceSize caps the image a thumbnail is made from ("32mb").
	MaxSourceSize string `yaml:"maxSourceSize"`
	// MaxSourcePixels caps its width times height.
	MaxSourcePixels int `yaml:"maxSourcePixels"`
}

// defaultFiles is the files section when nothing is configured.
func defaultFiles() Files {
	return Files{
		Provider:            "local",
		SignedURLExpiry:     Duration(15 * time.Minute),
		DirectUploadExpiry:  Duration(time.Hour),
		MaxDirectUploadSize: "5gb",
		CacheControl:        "public, max-age=86400",
		Thumbnails:          Thumbnails{Enabled: true, MaxSourceSize: "32mb", MaxSourcePixels: 40_000_000},
	}
}

// Section returns the options section of the named provider (nil if none).
func (s Files) Section(name string) map[string]any { return s.Providers[name] }

// MaxDirectUploadBytes returns maxDirectUploadSize in bytes (0 if it does
// not parse; validate rejects that).
func (s Files) MaxDirectUploadBytes() int64 { return sizeOrZero(s.MaxDirectUploadSize) }

// MaxSourceBytes returns thumbnails.maxSourceSize in bytes (0 if it does
// not parse; validate rejects that).
func (t Thumbnails) MaxSourceBytes() int64 { return sizeOrZero(t.MaxSourceSize) }

func sizeOrZero(s string) int64 {
	n, err := ParseSize(s)
	if err != nil {
		return 0
	}
	return n
}

// validate checks the section; c is the whole configuration.
func (s *Files) validate(c *Config) []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("files.%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if strings.TrimSpace(s.Provider) == "" {
		bad("provider", "must name a files provider: local (the data folder), qiniu or s3")
	}
	for name, sec := range s.Providers {
		if sec == nil {
			bad(name, "must be a map of the %s provider's options (or an unknown option of files:, check its spelling)", name)
		}
	}
	if s.SignedURLExpiry < Duration(time.Second) || s.SignedURLExpiry > Duration(7*24*time.Hour) {
		bad("signedURLExpiry", "must be a duration from 1s to 168h (S3 signs URLs for at most 7 days), like 15m; got %s", s.SignedURLExpiry)
	}
	if s.DirectUploadExpiry < Duration(time.Minute) || s.DirectUploadExpiry > Duration(7*24*time.Hour) {
		bad("directUploadExpiry", "must be a duration from 1m to 168h, like 1h; got %s", s.DirectUploadExpiry)
	}
	if _, err := ParseSize(s.MaxDirectUploadSize); err != nil {
		bad("maxDirectUploadSize", "%v", err)
	}
	if strings.TrimSpace(s.CacheControl) == "" || strings.ContainsAny(s.CacheControl, "\r\n") {
		bad("cacheControl", `must be a Cache-Control header value like "public, max-age=86400"`)
	}
	if s.Thumbnails.Enabled {
		if _, err := ParseSize(s.Thumbnails.MaxSourceSize); err != nil {
			bad("thumbnails.maxSourceSize", "%v", err)
		}
		if s.Thumbnails.MaxSourcePixels <= 0 {
			bad("thumbnails.maxSourcePixels", "must be a positive number of pixels (width times height), got %d", s.Thumbnails.MaxSourcePixels)
		}
	}
	return errs
}
