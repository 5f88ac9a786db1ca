package core

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strings"
)

// PushChannel is an optional PushSender ability: a provider that devices
// connect to, rather than one the server calls (the built-in channel).
// The server serves its handler under the API mount path, at
// PushChannelSegment.
type PushChannel interface {
	// Handler serves device connections until ctx ends (the server shuts
	// down), when it closes them. identify tells which installation a
	// connecting device is; the handler calls it for every connection and
	// every request, and refuses what it refuses.
	Handler(ctx context.Context, identify PushIdentifyFunc) http.Handler
}

// PushChannelSegment is the path segment, under the API mount path, where
// devices connect to a PushChannel: /parse/pushChannel.
const PushChannelSegment = "pushChannel"

// PushCredentials are what a device presents when it connects: the app's
// id (and client key, when the server has client keys), the id of its
// installation, and its user's session token if it has one.
type PushCredentials struct {
	ApplicationID  string
	ClientKey      string
	InstallationID string
	SessionToken   string
}

// PushIdentifyFunc tells which installation a device connecting with c is
// (its objectId), or returns the *Error to answer.
type PushIdentifyFunc func(ctx context.Context, c PushCredentials) (string, error)

// IdentifyPushDevice is the App's PushIdentifyFunc. A device is the
// installation with its installationId; it must present the app id (and
// a client key when any is configured). When the installation belongs to
// a user (a "user" pointer), the device must present a session of that
// user; a session token, when given, must be valid.
func (a *App) IdentifyPushDevice(ctx context.Context, c PushCredentials) (string, error) {
	if c.ApplicationID == "" || subtle.ConstantTimeCompare([]byte(c.ApplicationID), []byte(a.opts.AppID)) != 1 {
		return "", Errorf(CodeOperationForbidden, "unauthorized: wrong application id")
	}
	if len(a.opts.ClientKeys) > 0 {
		ok := false
		for _, k := range a.opts.ClientKeys {
			if c.ClientKey != "" && subtle.ConstantTimeCompare([]byte(c.ClientKey), []byte(k)) == 1 {
				ok = true
			}
		}
		if !ok {
			return "", Errorf(CodeOperationForbidden, "unauthorized: a client key is required")
		}
	}
	id := strings.ToLower(strings.TrimSpace(c.InstallationID))
	if id == "" || len(id) > 256 {
		return "", Errorf(CodeMissingRequiredField, "installationId is required to connect")
	}
	userID := ""
	if c.SessionToken != "" {
		auth, err := a.AuthForSession(ctx, c.SessionToken, &Auth{})
		if err != nil {
			return "", err
		}
		userID = auth.UserID
	}
	inst := a.Class(installationClass)
	if inst == nil {
		return "", Errorf(CodeObjectNotFound, "no installation %s: save the installation first (POST /installations)", id)
	}
	rows, err := a.store.Find(ctx, inst, &Query{Where: Cmp{Field: "installationId", Op: OpEq, Value: id}, Limit: 1})
	if err != nil {
		return "", err
	}
	if len(rows) == 0 {
		return "", Errorf(CodeObjectNotFound, "no installation %s: save the installation first (POST /installations)", id)
	}
	if owner, ok := rows[0]["user"].(Pointer); ok && owner.ObjectID != "" && owner.ObjectID != userID {
		return "", Errorf(CodeOperationForbidden, "this installation belongs to a user: connect with that user's session token")
	}
	return rows[0].ID(), nil
}

// NewSystemClass returns the schema a system class is created with (its
// built-in fields and indexes), for providers that keep their state in a
// system class of the store (the built-in channel's _PushQueue); nil for a
// name that is not a system class.
func NewSystemClass(name string) *Class {
	if _, ok := SystemClasses[name]; !ok {
		return nil
	}
	return newClass(name)
}
