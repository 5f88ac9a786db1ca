package core

import (
	"context"
	"log/slog"
)

type requestInfoKey struct{}

// RequestInfo travels in a request's context. The HTTP shell creates it; the
// API fills in Route once a route matched, so metrics and logs can label the
// request by route rather than by raw path.
type RequestInfo struct {
	ID     string
	Route  string
	Logger *slog.Logger

	// answer is the request's Answer once WithAnswer took it: kept here
	// rather than in a context of its own, which would cost every request
	// a context and a copy of its http.Request.
	answer      Answer
	answerTaken bool
}

// WithRequestInfo returns ctx carrying info.
func WithRequestInfo(ctx context.Context, info *RequestInfo) context.Context {
	return context.WithValue(ctx, requestInfoKey{}, info)
}

// RequestInfoFrom returns the request's info, or nil outside a request.
func RequestInfoFrom(ctx context.Context) *RequestInfo {
	info, _ := ctx.Value(requestInfoKey{}).(*RequestInfo)
	return info
}

// LoggerFrom returns the request's logger (which carries the request id), or
// the default logger.
func LoggerFrom(ctx context.Context) *slog.Logger {
	if info := RequestInfoFrom(ctx); info != nil && info.Logger != nil {
		return info.Logger
	}
	return slog.Default()
}
