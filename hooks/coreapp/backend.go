package coreapp

import (
	"context"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/api"
	"github.com/switchboardhq/switchboard/hooks"
)

// backend is the hooks.Backend of a server: each request of a script goes
// through the API's route table in process (api.Handler.Call), with every
// permission, policy and trigger a client's request meets.
type backend struct {
	app *core.App
	api *api.Handler
}

var _ hooks.Backend = (*backend)(nil)

// Request runs one request as the caller the script named. ctx comes from
// the invocation: it carries the nesting marker that lets the triggers this
// request fires take a runtime without waiting for the pool (which the
// calling script may hold), and, inside a transaction, the transaction.
func (b *backend) Request(ctx context.Context, method, path string, body map[string]any, as hooks.Caller) (hooks.Reply, error) {
	auth, err := b.auth(ctx, as)
	if err != nil {
		return hooks.Reply{}, err
	}
	// The script's own request: its context option, not the one of the
	// client request that started the script.
	ctx = core.WithCallInfo(ctx, &core.CallInfo{Context: as.Context})
	_, result, headers, err := b.api.Call(ctx, method, path, body, auth)
	if err != nil {
		return hooks.Reply{}, err
	}
	return hooks.Reply{Body: result, Headers: headers}, nil
}

// auth maps a Caller to the core's Auth: the master key, a session token's
// user (209 when the session is not valid), the installation id.
func (b *backend) auth(ctx context.Context, as hooks.Caller) (*core.Auth, error) {
	auth := &core.Auth{Master: as.Master, InstallationID: as.InstallationID}
	if as.SessionToken == "" {
		return auth, nil
	}
	withUser, err := b.app.AuthForSession(ctx, as.SessionToken, auth)
	if err != nil {
		return nil, err
	}
	if !auth.Master {
		return withUser, nil
	}
	// The master key with a session: master rights, and the user known.
	auth.UserID, auth.SessionToken = withUser.UserID, as.SessionToken
	return auth, nil
}
