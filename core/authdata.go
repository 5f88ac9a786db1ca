package core

import (
	"context"
	"reflect"
)

// Third-party login through authData, as Parse defines it: a user's
// authData maps a provider name to that provider's data, {"id": ...,
// "access_token": ...}. Providers check the data; the core links accounts.

func (a *App) authProvider(name string) (AuthDataProvider, *Error) {
	p, ok := a.opts.AuthProviders[name]
	if !ok || p == nil || !ValidFieldName(name) {
		return nil, Errorf(CodeUnsupportedService, "This authentication method is unsupported: %s.", name)
	}
	return p, nil
}

// validateAuthData checks every provider's data in an authData object and
// returns the provider ids and the data to store. A nil entry (unlink) is
// passed through.
func (a *App) validateAuthData(ctx context.Context, raw any) (ids map[string]string, stored map[string]any, err error) {
	m, ok := raw.(map[string]any)
	if !ok || len(m) == 0 {
		return nil, nil, Errorf(CodeLinkedIDMissing, "authData must be an object with at least one provider")
	}
	ids, stored = map[string]string{}, map[string]any{}
	for name, data := range m {
		if data == nil {
			stored[name] = nil
			continue
		}
		p, perr := a.authProvider(name)
		if perr != nil {
			return nil, nil, perr
		}
		dm, ok := data.(map[string]any)
		if !ok {
			return nil, nil, Errorf(CodeLinkedIDMissing, "authData.%s must be an object", name)
		}
		id, keep, verr := p.Validate(ctx, dm)
		if verr != nil {
			return nil, nil, verr
		}
		ids[name], stored[name] = id, keep
	}
	return ids, stored, nil
}

// userByAuthData finds the user linked to a provider id.
func (a *App) userByAuthData(ctx context.Context, provider, id string) (Object, error) {
	return a.userByField(ctx, "authData", []string{provider, "id"}, id)
}

// linkedUser finds the user that the providers' ids are linked to, and
// the provider that names them (the first one otherwise). Ids linked to
// two different users are 208.
func (a *App) linkedUser(ctx context.Context, ids map[string]string) (Object, string, error) {
	var user Object
	var provider string
	for name, id := range ids {
		u, err := a.userByAuthData(ctx, name, id)
		if err != nil {
			return nil, "", err
		}
		if u != nil {
			if user != nil && user.ID() != u.ID() {
				return nil, "", Errorf(CodeAccountAlreadyLinked, "this auth is already used")
			}
			user, provider = u, name
		}
		if provider == "" {
			provider = name
		}
	}
	return user, provider, nil
}

// loginWithAuthData logs in a user found by their authData, keeping the
// freshest provider data (tokens rotate).
func (a *App) loginWithAuthData(ctx context.Context, auth *Auth, user Object, provider string, stored map[string]any) (map[string]any, error) {
	c, err := a.systemClass(ctx, userClass)
	if err != nil {
		return nil, err
	}
	merged := map[string]any{}
	if old, ok := user["authData"].(map[string]any); ok {
		for k, v := range old {
			merged[k] = v
		}
	}
	for k, v := range stored {
		if v != nil {
			merged[k] = v
		}
	}
	if user, err = a.storeFor(ctx).Update(ctx, c, user.ID(), nil, nil, Update{"authData": Set{Value: merged}, FieldUpdatedAt: Set{Value: Now()}}); err != nil {
		return nil, err
	}
	token, err := a.logIn(ctx, auth, user, provider)
	if err != nil {
		return nil, err
	}
	return a.userReply(ctx, user, token), nil
}

// checkAuthDataUpdate handles linking and unlinking on a user update: new
// provider data is validated and may not belong to another user (208); a
// provider set to null is unlinked. Data already stored unchanged is not
// validated again, since stored tokens may have expired since login.
func (a *App) checkAuthDataUpdate(ctx context.Context, userID string, w *decodedWrite, op Op) error {
	set, ok := op.(Set)
	if !ok {
		return Errorf(CodeInvalidJSON, "authData can only be set")
	}
	incoming, isObject := set.Value.(map[string]any)
	if !isObject {
		return Errorf(CodeLinkedIDMissing, "authData must be an object of provider data")
	}
	var current map[string]any
	if userID != "" {
		if u, err := a.userByField(ctx, FieldObjectID, nil, userID); err != nil {
			return err
		} else if u != nil {
			current, _ = u["authData"].(map[string]any)
		}
	}
	changed := map[string]any{}
	for k, v := range incoming {
		if v != nil && reflect.DeepEqual(current[k], v) {
			continue
		}
		changed[k] = v
	}
	merged := map[string]any{}
	for k, v := range current {
		merged[k] = v
	}
	if len(changed) > 0 {
		ids, stored, err := a.validateAuthData(ctx, changed)
		if err != nil {
			return err
		}
		for name, id := range ids {
			u, err := a.userByAuthData(ctx, name, id)
			if err != nil {
				return err
			}
			if u != nil && u.ID() != userID {
				return Errorf(CodeAccountAlreadyLinked, "this auth is already used")
			}
		}
		for k, v := range stored {
			if v == nil {
				delete(merged, k)
			} else {
				merged[k] = v
			}
		}
	}
	if len(merged) == 0 {
		// The last provider unlinked (an anonymous user who signed up):
		// no authData at all, not an empty one.
		w.update["authData"] = Unset{}
		return nil
	}
	w.update["authData"] = Set{Value: merged}
	return nil
}
