package coreapp

import (
	"context"
	"strings"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/livequery"
	"github.com/switchboardhq/switchboard/hooks"
)

// BindLiveQuery sets the LiveQuery trigger points of o to cloud code's
// Parse.Cloud.beforeConnect, beforeSubscribe and afterLiveQueryEvent. A
// point with no trigger in the active deployment costs a lookup.
func (c *Cloud) BindLiveQuery(o *livequery.Options) {
	o.BeforeConnect = func(ctx context.Context, in *livequery.ConnectInfo) error {
		t, ok := c.targetFor(hooks.BeforeConnect, hooks.ConnectClass)
		if !ok {
			return nil
		}
		req := c.request(ctx, in.Auth, nil)
		req.InstallationID = in.InstallationID
		req.Event = map[string]any{"clients": in.Clients, "subscriptions": in.Subscriptions,
			"useMasterKey": in.Auth != nil && in.Auth.Master, "sessionToken": sessionToken(in.Auth)}
		_, err := c.run(ctx, t, hooks.BeforeConnect, hooks.ConnectClass, req)
		return err
	}
	o.BeforeSubscribe = func(ctx context.Context, in *livequery.SubscribeInfo) error {
		class := in.Query.ClassName
		t, ok := c.targetFor(hooks.BeforeSubscribe, class)
		if !ok {
			return nil
		}
		req := c.request(ctx, in.Auth, nil)
		req.Query = map[string]any{"where": in.Query.Where}
		if len(in.Query.Keys) > 0 {
			req.Query["keys"] = strings.Join(in.Query.Keys, ",")
		}
		req.Event = map[string]any{"requestId": in.RequestID, "sessionToken": sessionToken(in.Auth)}
		resp, err := c.run(ctx, t, hooks.BeforeSubscribe, class, req)
		if err != nil {
			return err
		}
		// The trigger may narrow the query (request.query.equalTo, select).
		if resp != nil && resp.Query != nil {
			if w, ok := resp.Query["where"].(map[string]any); ok {
				in.Query.Where = w
			}
			if k, ok := resp.Query["keys"].(string); ok && k != "" {
				in.Query.Keys = strings.Split(k, ",")
			}
		}
		return nil
	}
	o.AfterEvent = func(ctx context.Context, in *livequery.EventInfo) error {
		t, ok := c.targetFor(hooks.AfterEvent, in.Class)
		if !ok {
			return nil
		}
		req := c.request(ctx, in.Auth, nil)
		req.Object, req.Original = in.Object, in.Original
		req.Event = map[string]any{"event": in.Event, "sessionToken": sessionToken(in.Auth)}
		resp, err := c.run(ctx, t, hooks.AfterEvent, in.Class, req)
		if err != nil {
			return err
		}
		if resp != nil {
			if len(resp.Objects) == 1 {
				obj := resp.Objects[0]
				obj["className"] = in.Class
				in.Object = obj
			}
			if resp.HasResult {
				if send, ok := resp.Result.(bool); ok && !send {
					in.Send = false
				}
			}
		}
		return nil
	}
}

// sessionToken is the caller's token for request.sessionToken ("" for
// none); scripts use it to act as the subscriber.
func sessionToken(a *core.Auth) string {
	if a == nil {
		return ""
	}
	return a.SessionToken
}
