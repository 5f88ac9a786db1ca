package hooks

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"hash"
	"strings"

	"github.com/dop251/goja"
	"github.com/dop251/goja_nodejs/buffer"
	"github.com/google/uuid"
)

// cryptoModule is require('crypto'): the part of Node's crypto that cloud
// code commonly uses (random ids and bytes, hashes, HMACs), on Go's crypto.
func cryptoModule(rt *goja.Runtime, m *goja.Object) {
	o := m.Get("exports").ToObject(rt)
	o.Set("randomUUID", uuid.NewString)
	o.Set("randomBytes", func(n int) goja.Value {
		if n < 0 || n > 1<<20 {
			panic(rt.NewTypeError("crypto.randomBytes: size must be between 0 and 1048576"))
		}
		b := make([]byte, n)
		rand.Read(b)
		return buffer.WrapBytes(rt, b)
	})
	o.Set("getRandomValues", func(arr goja.Value) goja.Value {
		if ta, ok := arr.Export().([]byte); ok {
			rand.Read(ta)
		}
		return arr
	})
	o.Set("timingSafeEqual", func(a, b goja.Value) bool {
		x, y := buffer.Bytes(rt, a), buffer.Bytes(rt, b)
		if len(x) != len(y) {
			panic(rt.NewTypeError("Input buffers must have the same byte length"))
		}
		return subtle.ConstantTimeCompare(x, y) == 1
	})
	newHash := func(alg string) func() hash.Hash {
		switch strings.ToLower(alg) {
		case "md5":
			return md5.New
		case "sha1":
			return sha1.New
		case "sha256":
			return sha256.New
		case "sha384":
			return sha512.New384
		case "sha512":
			return sha512.New
		}
		panic(rt.NewTypeError("Digest method not supported: " + alg))
	}
	// A missing argument reaches a Go func as nil; goja_nodejs wants undefined.
	orUndefined := func(v goja.Value) goja.Value {
		if v == nil {
			return goja.Undefined()
		}
		return v
	}
	wrap := func(h hash.Hash) *goja.Object {
		obj := rt.NewObject()
		obj.Set("update", func(data, enc goja.Value) *goja.Object {
			h.Write(buffer.DecodeBytes(rt, data, orUndefined(enc)))
			return obj
		})
		obj.Set("digest", func(enc goja.Value) goja.Value {
			return buffer.EncodeBytes(rt, h.Sum(nil), orUndefined(enc))
		})
		return obj
	}
	o.Set("createHash", func(alg string) *goja.Object { return wrap(newHash(alg)()) })
	o.Set("createHmac", func(alg string, key, enc goja.Value) *goja.Object {
		return wrap(hmac.New(newHash(alg), buffer.DecodeBytes(rt, key, orUndefined(enc))))
	})
}
