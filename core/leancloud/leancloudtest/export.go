// Package leancloudtest writes LeanCloud data exports for tests and
// benchmarks: per-class JSON Lines in LeanCloud's format, with users whose
// password hash LeanCloud made (a known vector: Password), their session
// tokens, a role holding the users, posts with pointers, dates, ACLs and
// files, and relation rows.
package leancloudtest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// The known LeanCloud password hash: SHA-512 of Salt + Password, then 512
// more rounds, base64 (computed outside Go; see core/dialect_test.go).
const (
	Salt     = "s4lt$with$dollars"
	Password = "old-Passw0rd"
	Hash     = "tkfIroCdAbpelBn8DtNNKhG9NzYoTsa9xvS4PURlAe5yk4A0G4JbnWrs1iSj/3xiA+OcwF4Upkn594g3aTcOVQ=="
	RoleID   = "6a0000000000000000000000"
)

// Options size an export.
type Options struct {
	Users int // users "user<i>", with sessions "token<i>"
	Posts int // posts, split into files of PartSize lines
	// PartSize is the number of posts per file (Post.0.jsonl, ...); 0 is
	// one file.
	PartSize int
	// Files is the number of _File rows; posts refer to them in turn. Their
	// urls are FileBaseURL/f<i>.txt.
	Files       int
	FileBaseURL string
	// LikesPerPost is the number of relation rows per post (users who
	// like it), for the first 1000 posts.
	LikesPerPost int
}

// UserID, PostID, FileID and Token are the ids the export uses.
func UserID(i int) string { return fmt.Sprintf("5a%022x", i) }
func PostID(i int) string { return fmt.Sprintf("5b%022x", i) }
func FileID(i int) string { return fmt.Sprintf("5c%022x", i) }
func Token(i int) string  { return fmt.Sprintf("token%020d", i) }

// Write writes the export into dir.
func Write(dir string, o Options) error {
	const ts = "2021-06-07T08:09:10.111Z"
	times := func(m map[string]any) map[string]any {
		m["createdAt"], m["updatedAt"] = ts, ts
		return m
	}
	w := &writer{dir: dir}
	w.open("_User.jsonl")
	for i := range o.Users {
		w.row(times(map[string]any{"objectId": UserID(i), "username": fmt.Sprintf("user%d", i), "salt": Salt, "password": Hash,
			"sessionToken": Token(i), "email": fmt.Sprintf("user%d@example.com", i),
			"ACL": map[string]any{"*": map[string]any{"read": true}, UserID(i): map[string]any{"read": true, "write": true}}}))
	}
	w.open("_Role.jsonl")
	w.row(times(map[string]any{"objectId": RoleID, "name": "Members", "ACL": map[string]any{"*": map[string]any{"read": true}}}))
	w.open("_Join:users:_Role.jsonl")
	for i := range o.Users {
		w.row(map[string]any{"owningId": RoleID, "relatedId": UserID(i)})
	}
	w.open("_File.jsonl")
	for i := range o.Files {
		w.row(times(map[string]any{"objectId": FileID(i), "name": fmt.Sprintf("f%d.txt", i), "url": fmt.Sprintf("%s/f%d.txt", o.FileBaseURL, i),
			"mime_type": "text/plain", "metaData": map[string]any{"size": 0.0, "owner": "unknown"}}))
	}
	part := -1
	for i := range o.Posts {
		if o.PartSize > 0 && i%o.PartSize == 0 || part < 0 {
			part++
			w.open(fmt.Sprintf("Post.%d.jsonl", part))
		}
		p := times(map[string]any{"objectId": PostID(i), "title": fmt.Sprintf("post %d", i), "n": float64(i),
			"tags": []any{"a", "b"}, "at": map[string]any{"__type": "Date", "iso": ts},
			"ACL": map[string]any{"role:Members": map[string]any{"read": true}, "*": map[string]any{"read": true}}})
		if o.Users > 0 {
			p["author"] = map[string]any{"__type": "Pointer", "className": "_User", "objectId": UserID(i % o.Users)}
		}
		if o.Files > 0 {
			p["pic"] = map[string]any{"__type": "File", "id": FileID(i % o.Files)}
		}
		w.row(p)
	}
	if o.LikesPerPost > 0 && o.Users > 0 {
		w.open("_Join:likes:Post.jsonl")
		for i := range min(o.Posts, 1000) {
			for j := range o.LikesPerPost {
				w.row(map[string]any{"owningId": PostID(i), "relatedId": UserID((i + j) % o.Users)})
			}
		}
	}
	w.close()
	if w.err != nil {
		return w.err
	}
	schema := map[string]any{"Post": map[string]any{"fields": map[string]any{
		"title": map[string]any{"type": "String"}, "n": map[string]any{"type": "Number"},
		"author": map[string]any{"type": "Pointer", "className": "_User"},
		"likes":  map[string]any{"type": "Relation", "className": "_User"}}}}
	b, _ := json.Marshal(schema)
	if err := os.WriteFile(filepath.Join(dir, "schema.json"), b, 0o600); err != nil {
		return err
	}
	idx := `{"Post": [{"key": {"n": -1}, "name": "n_-1"}]}`
	return os.WriteFile(filepath.Join(dir, "indexes.json"), []byte(idx), 0o600)
}

// writer writes JSON Lines files one after another.
type writer struct {
	dir string
	f   *os.File
	b   *bufio.Writer
	enc *json.Encoder
	err error
}

func (w *writer) open(name string) {
	w.close()
	if w.err != nil {
		return
	}
	w.f, w.err = os.Create(filepath.Join(w.dir, name))
	if w.err == nil {
		w.b = bufio.NewWriterSize(w.f, 1<<20)
		w.enc = json.NewEncoder(w.b)
	}
}

func (w *writer) row(m map[string]any) {
	if w.err == nil && w.enc != nil {
		w.err = w.enc.Encode(m)
	}
}

func (w *writer) close() {
	if w.f == nil {
		return
	}
	if err := w.b.Flush(); err != nil && w.err == nil {
		w.err = err
	}
	if err := w.f.Close(); err != nil && w.err == nil {
		w.err = err
	}
	w.f = nil
}
