package config

import (
	"strings"
	"testing"
	"time"
)

func TestFilesDefaults(t *testing.T) {
	c := Default()
	if c.Files.Provider != "local" || time.Duration(c.Files.SignedURLExpiry) != 15*time.Minute ||
		c.Files.MaxDirectUploadBytes() != 5<<30 || !c.Files.Thumbnails.Enabled || c.Files.Thumbnails.MaxSourceBytes() != 32<<20 {
		t.Errorf("files defaults = %+v", c.Files)
	}
	// Parse Server's default: logged-in users only, no extension list.
	if c.FileUpload.EnableForPublic || c.FileUpload.EnableForAnonymousUser || !c.FileUpload.EnableForAuthenticatedUser || c.FileUpload.FileExtensions != nil {
		t.Errorf("fileUpload defaults = %+v", c.FileUpload)
	}
}

func TestFilesFromYAMLAndEnv(t *testing.T) {
	p := writeFile(t, `
files:
  provider: s3
  s3: {bucket: photos, endpoint: "http://127.0.0.1:9000"}
  signedURLExpiry: 2m
fileUpload:
  enableForPublic: true
  fileExtensions: ["^png$"]
preserveFileName: true
`)
	c, err := Load(p, []string{
		"SWITCHBOARD_FILES__S3__ACCESS_KEY_ID=ak",
		"SWITCHBOARD_FILES__PROTECT_BY_DEFAULT=true",
		"SWITCHBOARD_FILE_UPLOAD__FILE_EXTENSIONS=^png$,^jpe?g$",
		"SWITCHBOARD_FILE_UPLOAD__ENABLE_FOR_AUTHENTICATED_USER=false",
	})
	if err != nil {
		t.Fatal(err)
	}
	s3 := c.Files.Section("s3")
	if c.Files.Provider != "s3" || s3["bucket"] != "photos" || s3["accessKeyId"] != "ak" {
		t.Errorf("files = %+v", c.Files)
	}
	if !c.Files.ProtectByDefault || time.Duration(c.Files.SignedURLExpiry) != 2*time.Minute || !c.PreserveFileName {
		t.Errorf("files = %+v, preserveFileName = %v", c.Files, c.PreserveFileName)
	}
	if !c.FileUpload.EnableForPublic || c.FileUpload.EnableForAuthenticatedUser || strings.Join(c.FileUpload.FileExtensions, " ") != "^png$ ^jpe?g$" {
		t.Errorf("fileUpload = %+v", c.FileUpload)
	}
	c.MasterKey = "mk"
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
}

func TestFilesValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(c *Config)
		want   string
	}{
		{"no provider", func(c *Config) { c.Files.Provider = "" }, "files.provider: must name a files provider: local"},
		{"section not a map", func(c *Config) { c.Files.Providers = map[string]map[string]any{"s3": nil} }, "files.s3: must be a map of the s3 provider's options"},
		{"signed URL expiry too long", func(c *Config) { c.Files.SignedURLExpiry = Duration(8 * 24 * time.Hour) }, "files.signedURLExpiry: must be a duration from 1s to 168h"},
		{"signed URL expiry zero", func(c *Config) { c.Files.SignedURLExpiry = 0 }, "files.signedURLExpiry"},
		{"direct upload expiry", func(c *Config) { c.Files.DirectUploadExpiry = Duration(time.Second) }, "files.directUploadExpiry: must be a duration from 1m"},
		{"direct upload size", func(c *Config) { c.Files.MaxDirectUploadSize = "big" }, `files.maxDirectUploadSize: expected a size like "20mb", got "big"`},
		{"cache control", func(c *Config) { c.Files.CacheControl = "a\r\nSet-Cookie: x" }, "files.cacheControl: must be a Cache-Control header value"},
		{"thumbnail size", func(c *Config) { c.Files.Thumbnails.MaxSourceSize = "0" }, "files.thumbnails.maxSourceSize"},
		{"thumbnail pixels", func(c *Config) { c.Files.Thumbnails.MaxSourcePixels = 0 }, "files.thumbnails.maxSourcePixels: must be a positive number"},
		{"empty extension list", func(c *Config) { c.FileUpload.FileExtensions = []string{} }, "fileUpload.fileExtensions: is an empty list, which would refuse every file"},
		{"bad regexp", func(c *Config) { c.FileUpload.FileExtensions = []string{"^(png"} }, `fileUpload.fileExtensions: "^(png" is not a valid regular expression`},
		{"Parse's lookahead default", func(c *Config) { c.FileUpload.FileExtensions = []string{"^(?!(h|H)(t|T)(m|M)(l|L)?$)"} }, "Go's RE2 syntax has no lookaround"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			c.MasterKey = "mk"
			tc.mutate(c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() = %v, want %q", err, tc.want)
			}
		})
	}
	// Thumbnail limits are not checked when thumbnails are off.
	c := Default()
	c.MasterKey = "mk"
	c.Files.Thumbnails = Thumbnails{}
	if err := c.Validate(); err != nil {
		t.Errorf("thumbnails off: %v", err)
	}
}

// A misspelt option of files: is not taken for a provider section silently.
func TestFilesUnknownOption(t *testing.T) {
	if _, err := Parse([]byte("files:\n  protectByDefualt: true\n")); err == nil {
		t.Error("a misspelt files option decoded without an error")
	}
}
