package core

import (
	"context"
	"time"
)

// Limits that bound what one request may cost the database, beside the
// query parser's own (where.go). See QueryLimits for the configuration.

// QueryContext returns ctx bounded by the query time limit
// (queryLimits.queryTimeout), for the store reads of one request: a read
// still running at the deadline is cut on the database and answers
// CodeTimeout (the Store contract). The caller calls cancel when its reads
// are done. A ctx whose own deadline is sooner keeps it.
func (a *App) QueryContext(ctx context.Context) (context.Context, context.CancelFunc) {
	d := a.opts.Limits.QueryTimeout
	if d <= 0 {
		return ctx, func() {}
	}
	cause := a.queryTimeoutErr
	if cause == nil { // an App not made by NewApp
		cause = queryTimeoutError(d)
	}
	return context.WithTimeoutCause(ctx, d, cause)
}

func queryTimeoutError(d time.Duration) *Error {
	return &Error{Code: CodeTimeout,
		Message: "the query took longer than the limit of " + d.String() + " (queryLimits.queryTimeout) and was stopped; narrow it or add an index"}
}

// TimeoutError turns the error of a store read that ran under a
// QueryContext into the Parse error the client gets: CodeTimeout with the
// limit that was hit, when the query time limit is what ended it.
func TimeoutError(ctx context.Context, err error) error {
	if err == nil || ctx.Err() == nil {
		return err
	}
	if cause, ok := context.Cause(ctx).(*Error); ok {
		return cause
	}
	return err
}

// CheckValueLimits refuses values larger than the configured limits
// (queryLimits.maxPolygonPoints) in the changes of a write, with
// CodeObjectTooLarge. Call it on every decoded create or update.
func (a *App) CheckValueLimits(u Update) *Error {
	for field, op := range u {
		if set, ok := op.(Set); ok {
			if err := a.checkValueLimit(field, set.Value); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkValueLimit is CheckValueLimits for one field's new value.
func (a *App) checkValueLimit(field string, v any) *Error {
	if poly, ok := v.(Polygon); ok && len(poly) > a.opts.Limits.MaxPolygonPoints {
		return Errorf(CodeObjectTooLarge, "%s: the Polygon has %d points, more than the limit of %d (queryLimits.maxPolygonPoints)",
			field, len(poly), a.opts.Limits.MaxPolygonPoints)
	}
	return nil
}
