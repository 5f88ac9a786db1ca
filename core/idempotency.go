package core

import (
	"context"
	"time"
)

const idempotencyClass = "_Idempotency"

// IdempotencyApplies reports whether requests to path (relative to the
// mount, e.g. "classes/Foo") are deduplicated by X-Parse-Request-Id.
func (a *App) IdempotencyApplies(path string) bool {
	for _, re := range a.idempotencyPaths {
		if re.MatchString(path) {
			return true
		}
	}
	return false
}

// ClaimRequestID records a request id, or answers 159 if it was seen within
// the TTL. The record lives in the store, so every node of a cluster sees it.
func (a *App) ClaimRequestID(ctx context.Context, reqID string) error {
	if reqID == "" {
		return nil
	}
	if len(reqID) > 200 {
		return Errorf(CodeInvalidValue, "X-Parse-Request-Id is longer than 200 characters")
	}
	c, err := a.systemClass(ctx, idempotencyClass)
	if err != nil {
		return err
	}
	now := Now()
	obj := Object{FieldObjectID: NewObjectID(), FieldCreatedAt: now, FieldUpdatedAt: now,
		"reqId": reqID, "expire": now.Add(a.opts.Idempotency.TTL)}
	st := a.storeFor(ctx)
	for attempt := 0; attempt < 2; attempt++ {
		err = st.Insert(ctx, c, obj)
		if !IsCode(err, CodeDuplicateValue) {
			return err
		}
		// Seen before: free it only if its record has expired but was not
		// swept yet, then try once more.
		n, derr := st.Delete(ctx, c, And{Exprs: []Expr{
			Cmp{Field: "reqId", Op: OpEq, Value: reqID},
			Cmp{Field: "expire", Op: OpLt, Value: now},
		}}, nil)
		if derr != nil {
			return derr
		}
		if n == 0 {
			break
		}
	}
	return Errorf(CodeDuplicateRequest, "Duplicate request")
}

// expireIdempotencyKeys sweeps expired request ids until the App closes.
func (a *App) expireIdempotencyKeys() {
	defer a.wg.Done()
	every := a.opts.Idempotency.TTL / 2
	if every > time.Minute {
		every = time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-a.stop:
			return
		case <-t.C:
			c := a.Class(idempotencyClass)
			if c == nil {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			if _, err := a.store.Delete(ctx, c, Cmp{Field: "expire", Op: OpLt, Value: Now()}, nil); err != nil {
				LoggerFrom(ctx).Warn("sweeping expired request ids", "err", err)
			}
			cancel()
		}
	}
}
