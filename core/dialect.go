package core

import (
	"context"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strings"
)

// What the LeanCloud dialect (core/leancloud) needs that Parse's REST API
// lacks, in the smallest form the pipeline must know: a condition and a
// whole-object answer on one write, the causes of a refused login, and a
// plain check of an SMS code.

// WriteOptions are what one API call's write may ask beyond Parse's REST
// API: LeanCloud's conditional update and delete (where) and fetchWhenSave.
type WriteOptions struct {
	// Where is a where document the object must match when the write
	// runs; an update or delete of an object that does not match fails
	// with 101 as if the object were missing. Ignored on creates.
	Where map[string]any
	// ReturnObject makes an update answer with every field of the object
	// as stored (those the caller may read), not only the changed ones.
	ReturnObject bool
}

type writeOptionsKey struct{}

// WithWriteOptions returns ctx carrying o for the next save or delete run
// with it. The first save or delete takes them, and writes it makes in
// turn (triggers, rules) do not see them.
func WithWriteOptions(ctx context.Context, o *WriteOptions) context.Context {
	return context.WithValue(ctx, writeOptionsKey{}, o)
}

// takeWriteOptions returns the options in ctx, if any, and a ctx that no
// longer carries them.
func takeWriteOptions(ctx context.Context) (context.Context, *WriteOptions) {
	o, _ := ctx.Value(writeOptionsKey{}).(*WriteOptions)
	if o == nil {
		return ctx, nil
	}
	return context.WithValue(ctx, writeOptionsKey{}, (*WriteOptions)(nil)), o
}

// writeCondition parses the options' where against class c for auth.
func (a *App) writeCondition(ctx context.Context, auth *Auth, c *Class, o *WriteOptions) (Expr, error) {
	if o == nil || o.Where == nil || c == nil {
		return nil, nil
	}
	p := &queryParser{app: a, ctx: ctx, auth: auth}
	cond, err := p.parse(c, o.Where, 0)
	if err != nil {
		return nil, err
	}
	return cond, nil
}

// The causes of a refused password login. Parse clients get one 101 for
// all of them (the cause is the *Error's Err, never shown), so accounts
// cannot be probed through the Parse API; LeanCloud clients tell them
// apart (211, 210, 219), as LeanCloud did.
var (
	ErrLoginUnknownUser   = errors.New("no user with this username, e-mail or phone number")
	ErrLoginWrongPassword = errors.New("wrong password")
	ErrLoginLocked        = errors.New("account locked after failed logins")
)

// VerifySMSCode checks and consumes a code sent by RequestSMSCode for a
// login (LeanCloud's POST /verifySmsCode/:code, which apps use to check a
// number themselves). It answers 101 for a wrong or expired code.
func (a *App) VerifySMSCode(ctx context.Context, auth *Auth, rawPhone any, code string) error {
	if err := auth.checkWrite(); err != nil {
		return err
	}
	phone, perr := normalizePhone(rawPhone)
	if perr != nil {
		return perr
	}
	return a.checkSMSCode(ctx, phone, PurposeLogin, code)
}

// leanCloudHashPrefix marks a password hash imported from LeanCloud in
// _hashed_password: "$leancloud$" + salt + "$" + base64 hash.
const leanCloudHashPrefix = "$leancloud$"

// LeanCloudPasswordHash returns the _hashed_password value that keeps a
// password hash exported from LeanCloud (its _User's salt and password
// fields) so that the password still logs in; the first login replaces it
// with bcrypt.
func LeanCloudPasswordHash(salt, hash string) string {
	return leanCloudHashPrefix + salt + "$" + hash
}

// leanCloudPasswordMatches checks pw against a LeanCloud hash: SHA-512 of
// salt + password, then 512 more rounds of SHA-512 over the digest, in
// base64. LeanCloud's own scheme, so it is written out here.
func leanCloudPasswordMatches(stored, pw string) bool {
	rest := strings.TrimPrefix(stored, leanCloudHashPrefix)
	i := strings.LastIndexByte(rest, '$') // base64 has no '$'; a salt might
	if i < 0 || i == len(rest)-1 {
		return false
	}
	salt, want := rest[:i], rest[i+1:]
	sum := sha512.Sum512([]byte(salt + pw))
	for range 512 {
		sum = sha512.Sum512(sum[:])
	}
	got := base64.StdEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
