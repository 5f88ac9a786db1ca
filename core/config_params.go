package core

import (
	"context"
	"encoding/json"
)

// jsonKey renders a JSON value canonically (encoding/json sorts map keys),
// to compare values by content.
func jsonKey(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

const globalConfigClass = "_GlobalConfig"

// globalConfigID is the one row of _GlobalConfig, as on Parse Server.
const globalConfigID = "1"

// GetConfig returns the app's config parameters (GET /config). Parameters
// marked masterKeyOnly are shown only to the master key.
func (a *App) GetConfig(ctx context.Context, auth *Auth) (map[string]any, error) {
	params, masterOnly, err := a.loadConfig(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"params": params}
	if auth.Master {
		out["masterKeyOnly"] = masterOnly
		return out, nil
	}
	for k, v := range masterOnly {
		if b, _ := v.(bool); b {
			delete(params, k)
		}
	}
	return out, nil
}

func (a *App) loadConfig(ctx context.Context) (params, masterOnly map[string]any, err error) {
	params, masterOnly = map[string]any{}, map[string]any{}
	c := a.Class(globalConfigClass)
	if c == nil {
		return params, masterOnly, nil
	}
	objs, err := a.storeFor(ctx).Find(ctx, c, &Query{Where: Cmp{Field: FieldObjectID, Op: OpEq, Value: globalConfigID}, Limit: 1})
	if err != nil || len(objs) == 0 {
		return params, masterOnly, err
	}
	if p, ok := objs[0]["params"].(map[string]any); ok {
		params = p
	}
	if m, ok := objs[0]["masterKeyOnly"].(map[string]any); ok {
		masterOnly = m
	}
	return params, masterOnly, nil
}

// UpdateConfig merges parameters into the app's config (PUT /config, master
// key only). A parameter set to {"__op": "Delete"} is removed.
func (a *App) UpdateConfig(ctx context.Context, auth *Auth, body map[string]any) error {
	if err := auth.requireMaster("update the config"); err != nil {
		return err
	}
	if err := auth.checkWrite(); err != nil {
		return err
	}
	newParams, _ := body["params"].(map[string]any)
	if body["params"] != nil && newParams == nil {
		return Errorf(CodeInvalidJSON, "params must be an object")
	}
	newMasterOnly, _ := body["masterKeyOnly"].(map[string]any)
	if body["masterKeyOnly"] != nil && newMasterOnly == nil {
		return Errorf(CodeInvalidJSON, "masterKeyOnly must be an object")
	}
	for k, v := range newParams {
		if isDeleteOp(v) {
			continue
		}
		if _, _, err := DecodeValue(v); err != nil {
			return Errorf(CodeInvalidJSON, "config parameter %s: %s", k, err.Message)
		}
	}
	for k, v := range newMasterOnly {
		if _, ok := v.(bool); !ok {
			return Errorf(CodeInvalidJSON, "masterKeyOnly.%s must be a boolean", k)
		}
	}
	return a.InTransaction(ctx, func(ctx context.Context) error {
		c, err := a.ensureFields(ctx, MasterAuth(), globalConfigClass, nil)
		if err != nil {
			return err
		}
		params, masterOnly, err := a.loadConfig(ctx)
		if err != nil {
			return err
		}
		for k, v := range newParams {
			if isDeleteOp(v) {
				delete(params, k)
				delete(masterOnly, k)
			} else {
				params[k] = v
			}
		}
		for k, v := range newMasterOnly {
			masterOnly[k] = v
		}
		now := Now()
		st := a.storeFor(ctx)
		_, err = st.Update(ctx, c, globalConfigID, nil, nil, Update{
			"params": Set{Value: params}, "masterKeyOnly": Set{Value: masterOnly}, FieldUpdatedAt: Set{Value: now},
		})
		if IsCode(err, CodeObjectNotFound) {
			err = st.Insert(ctx, c, Object{FieldObjectID: globalConfigID, FieldCreatedAt: now, FieldUpdatedAt: now,
				"params": params, "masterKeyOnly": masterOnly})
		}
		return err
	})
}
