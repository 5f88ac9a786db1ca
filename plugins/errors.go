package plugins

import (
	"context"
	"errors"
	"strconv"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/switchboardhq/switchboard/core"
)

// Errors cross the wire as a gRPC status (a code and a message) plus two
// optional trailers, so that a plugin in any language can send them: the
// Switchboard (Parse) error code, which takes precedence over the mapping
// from the status code, and a retry-after in milliseconds.
const (
	TrailerErrorCode  = "switchboard-error-code"
	TrailerRetryAfter = "switchboard-retry-after-ms"
)

// codeOfStatus maps a gRPC status code to the core code a plugin means
// when it sets no TrailerErrorCode.
func codeOfStatus(c codes.Code) core.Code {
	switch c {
	case codes.NotFound:
		return core.CodeObjectNotFound
	case codes.InvalidArgument, codes.OutOfRange:
		return core.CodeInvalidValue
	case codes.ResourceExhausted:
		return core.CodeRequestLimitExceeded
	case codes.Unavailable, codes.DeadlineExceeded, codes.Aborted, codes.Canceled:
		return core.CodeConnectionFailed
	case codes.PermissionDenied, codes.Unauthenticated:
		return core.CodeOperationForbidden
	}
	return core.CodeInternalServerError
}

// statusOfCode is the inverse, for plugins written with the Go SDK.
func statusOfCode(c core.Code) codes.Code {
	switch c {
	case core.CodeObjectNotFound:
		return codes.NotFound
	case core.CodeInvalidValue, core.CodeInvalidFileName, core.CodeInvalidContentLength, core.CodeValidationError:
		return codes.InvalidArgument
	case core.CodeRequestLimitExceeded, core.CodeFileTooLarge:
		return codes.ResourceExhausted
	case core.CodeConnectionFailed:
		return codes.Unavailable
	case core.CodeOperationForbidden:
		return codes.PermissionDenied
	case core.CodePushMisconfigured:
		return codes.FailedPrecondition
	}
	return codes.Unknown
}

// ToStatus turns a provider's error into what the plugin sends: a status
// with the code's gRPC equivalent and the message, and the exact code and
// any retry-after as trailers (set on ctx's call). Only the *core.Error's
// Message crosses, as in the host's own responses; a cause (Err) that is
// not an *Error stays in the plugin (log it there).
func ToStatus(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if _, isStatus := status.FromError(err); isStatus && !isCoreError(err) {
		return err
	}
	e := core.AsError(err)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		e = &core.Error{Code: core.CodeConnectionFailed, Message: e.Message}
	}
	md := metadata.Pairs(TrailerErrorCode, strconv.Itoa(int(e.Code)))
	if d, ok := core.RetryAfter(err); ok {
		md.Append(TrailerRetryAfter, strconv.FormatInt(d.Milliseconds(), 10))
	}
	_ = grpc.SetTrailer(ctx, md)
	return status.Error(statusOfCode(e.Code), e.Message)
}

func isCoreError(err error) bool {
	var e *core.Error
	return errors.As(err, &e)
}

// fromStatus turns what a call to plugin returned into the host's error: a
// *core.Error with the plugin's code and message, marked with its
// retry-after. ctx is the caller's: when it ended, the error wraps its
// error, as every provider's must.
func fromStatus(ctx context.Context, plugin string, err error, trailer metadata.MD) error {
	if err == nil {
		return nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return &core.Error{Code: core.CodeConnectionFailed, Message: "plugin " + strconv.Quote(plugin) + ": the call was canceled", Err: ctxErr}
	}
	st := status.Convert(err)
	code := codeOfStatus(st.Code())
	if v := trailer.Get(TrailerErrorCode); len(v) > 0 {
		if n, convErr := strconv.Atoi(v[0]); convErr == nil {
			code = core.Code(n)
		}
	}
	msg := st.Message()
	switch st.Code() {
	case codes.Unavailable:
		if len(trailer.Get(TrailerErrorCode)) == 0 {
			// The transport failed (the process died, the connection
			// dropped), not the plugin's provider.
			msg = "plugin " + strconv.Quote(plugin) + " is unreachable (" + msg + "); it is restarted automatically, retry shortly"
		}
	case codes.Unimplemented:
		msg = "plugin " + strconv.Quote(plugin) + " does not implement this call: " + msg
	}
	e := &core.Error{Code: code, Message: msg}
	if st.Code() == codes.Unimplemented {
		e.Err = errUnimplemented
	}
	if v := trailer.Get(TrailerRetryAfter); len(v) > 0 {
		if ms, convErr := strconv.ParseInt(v[0], 10, 64); convErr == nil {
			return core.WithRetryAfter(e, time.Duration(ms)*time.Millisecond)
		}
	}
	return e
}
