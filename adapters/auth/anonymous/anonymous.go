// Package anonymous is the "anonymous" authData provider: the Parse SDKs'
// anonymous users. authData is {"id": "<random UUID>"}; there is no token,
// so any non-empty id is accepted and becomes the user's identity.
//
// Options (auth.anonymous): none.
package anonymous

import (
	"context"

	"github.com/switchboardhq/switchboard/adapters/auth/internal/authkit"
	"github.com/switchboardhq/switchboard/core"
)

// Name is the provider's name in core.AuthProviders and in authData.
const Name = "anonymous"

func init() { core.AuthProviders.Register(Name, Open) }

// Open implements core.OpenAuthFunc.
func Open(_ context.Context, env core.ProviderEnv) (core.AuthDataProvider, error) {
	options := env.Options
	var opts struct{}
	if err := core.DecodeOptions(options, &opts); err != nil {
		return nil, err
	}
	return provider{}, nil
}

type provider struct{}

var _ core.AuthDataProvider = provider{}

// Validate implements core.AuthDataProvider.
func (provider) Validate(_ context.Context, authData map[string]any) (string, map[string]any, error) {
	id, ok := authkit.ID(authData)
	if !ok {
		return "", nil, authkit.Missing(Name, "id")
	}
	return id, authkit.Stored(authData, id), nil
}
