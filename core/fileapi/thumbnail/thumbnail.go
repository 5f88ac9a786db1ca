// Package thumbnail renders thumbnails of uploaded images on the server,
// for the files providers that have no image service of their own (local,
// s3). Scaling is golang.org/x/image/draw's Catmull-Rom, the Go team's
// maintained imaging package; decoding covers JPEG, PNG, GIF and WebP.
//
// An image is decoded whole, so Render bounds the work a request can ask
// for: the encoded source is read up to Limits.MaxSourceBytes and its
// declared dimensions are checked against Limits.MaxPixels before any
// pixel is decoded (a small file can declare a huge canvas).
package thumbnail

import (
	"bytes"
	"image"
	_ "image/gif" // registers GIF with image.Decode
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp" // registers WebP with image.Decode

	"github.com/switchboardhq/switchboard/core"
)

// Limits bound one rendering. Zero values mean the defaults.
type Limits struct {
	// MaxSourceBytes caps the encoded source (default 32 MiB).
	MaxSourceBytes int64
	// MaxPixels caps the source's width times height (default 40 million).
	MaxPixels int
}

// Defaults.
const (
	DefaultMaxSourceBytes = 32 << 20
	DefaultMaxPixels      = 40_000_000
)

func (l Limits) withDefaults() Limits {
	if l.MaxSourceBytes <= 0 {
		l.MaxSourceBytes = DefaultMaxSourceBytes
	}
	if l.MaxPixels <= 0 {
		l.MaxPixels = DefaultMaxPixels
	}
	return l
}

// Render returns the thumbnail of the image read from src, encoded as
// JPEG for a JPEG source and PNG otherwise, with its content type. A
// source that is not a supported image, or is over the limits, is
// CodeInvalidImageData.
func Render(src io.Reader, t core.Thumb, limits Limits) ([]byte, string, error) {
	limits = limits.withDefaults()
	raw, err := io.ReadAll(io.LimitReader(src, limits.MaxSourceBytes+1))
	if err != nil {
		return nil, "", core.Internal(err)
	}
	if int64(len(raw)) > limits.MaxSourceBytes {
		return nil, "", core.Errorf(core.CodeInvalidImageData, "the image is larger than %d bytes, too large for a thumbnail", limits.MaxSourceBytes)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(raw))
	if err != nil {
		return nil, "", core.Errorf(core.CodeInvalidImageData, "the file is not a JPEG, PNG, GIF or WebP image")
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > limits.MaxPixels/max(cfg.Height, 1) {
		return nil, "", core.Errorf(core.CodeInvalidImageData, "the image is %dx%d pixels, too large for a thumbnail", cfg.Width, cfg.Height)
	}
	img, _, err := image.Decode(bytes.NewReader(raw))
	if err != nil {
		return nil, "", core.Errorf(core.CodeInvalidImageData, "the image cannot be decoded")
	}
	out := scale(img, t)
	var buf bytes.Buffer
	if format == "jpeg" {
		err = jpeg.Encode(&buf, out, &jpeg.Options{Quality: 85})
		return buf.Bytes(), "image/jpeg", err
	}
	err = png.Encode(&buf, out)
	return buf.Bytes(), "image/png", err
}

// Size returns the thumbnail's dimensions for a w x h source: fit scales
// down (never up) to fit inside the box keeping the ratio; crop is the box
// itself.
func Size(w, h int, t core.Thumb) (int, int) {
	if t.Mode == core.ThumbCrop {
		return t.Width, t.Height
	}
	ratio := min(float64(t.Width)/float64(w), float64(t.Height)/float64(h), 1)
	return max(1, int(float64(w)*ratio+0.5)), max(1, int(float64(h)*ratio+0.5))
}

func scale(img image.Image, t core.Thumb) image.Image {
	b := img.Bounds()
	dw, dh := Size(b.Dx(), b.Dy(), t)
	srcRect := b
	if t.Mode == core.ThumbCrop {
		// The largest centered part of the source with the box's ratio.
		cw, ch := b.Dx(), b.Dx()*dh/dw
		if ch > b.Dy() {
			cw, ch = b.Dy()*dw/dh, b.Dy()
		}
		x0, y0 := b.Min.X+(b.Dx()-cw)/2, b.Min.Y+(b.Dy()-ch)/2
		srcRect = image.Rect(x0, y0, x0+max(cw, 1), y0+max(ch, 1))
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, srcRect, draw.Src, nil)
	return dst
}
