package core

import (
	"errors"
	"fmt"
	"net/http"
)

// Code is a Parse error code. Every error that reaches a client carries one;
// the numbers are the ones the Parse SDKs switch on, so they never change.
type Code int

// The Parse error codes Switchboard returns. The names follow Parse.Error.
const (
	CodeOtherCause                  Code = -1
	CodeInternalServerError         Code = 1
	CodeConnectionFailed            Code = 100
	CodeObjectNotFound              Code = 101
	CodeInvalidQuery                Code = 102
	CodeInvalidClassName            Code = 103
	CodeMissingObjectID             Code = 104
	CodeInvalidKeyName              Code = 105
	CodeInvalidPointer              Code = 106
	CodeInvalidJSON                 Code = 107
	CodeCommandUnavailable          Code = 108
	CodeNotInitialized              Code = 109
	CodeIncorrectType               Code = 111
	CodeInvalidChannelName          Code = 112
	CodePushMisconfigured           Code = 115
	CodeObjectTooLarge              Code = 116
	CodeOperationForbidden          Code = 119
	CodeCacheMiss                   Code = 120
	CodeInvalidNestedKey            Code = 121
	CodeInvalidFileName             Code = 122
	CodeInvalidACL                  Code = 123
	CodeTimeout                     Code = 124
	CodeInvalidEmailAddress         Code = 125
	CodeMissingContentType          Code = 126
	CodeMissingContentLength        Code = 127
	CodeInvalidContentLength        Code = 128
	CodeFileTooLarge                Code = 129
	CodeFileSaveError               Code = 130
	CodeMissingRequiredField        Code = 135
	CodeChangedImmutableField       Code = 136
	CodeDuplicateValue              Code = 137
	CodeInvalidRoleName             Code = 139
	CodeExceededQuota               Code = 140
	CodeScriptFailed                Code = 141
	CodeValidationError             Code = 142
	CodeWebhookError                Code = 143
	CodeInvalidImageData            Code = 150
	CodeUnsavedFile                 Code = 151
	CodeInvalidPushTime             Code = 152
	CodeFileDeleteError             Code = 153
	CodeRequestLimitExceeded        Code = 155
	CodeDuplicateRequest            Code = 159
	CodeInvalidEventName            Code = 160
	CodeInvalidValue                Code = 162
	CodeUsernameMissing             Code = 200
	CodePasswordMissing             Code = 201
	CodeUsernameTaken               Code = 202
	CodeEmailTaken                  Code = 203
	CodeEmailMissing                Code = 204
	CodeEmailNotFound               Code = 205
	CodeSessionMissing              Code = 206
	CodeMustCreateUserThroughSignup Code = 207
	CodeAccountAlreadyLinked        Code = 208
	CodeInvalidSessionToken         Code = 209
	CodeMFAError                    Code = 210
	CodeMFATokenRequired            Code = 211
	CodeLinkedIDMissing             Code = 250
	CodeInvalidLinkedSession        Code = 251
	CodeUnsupportedService          Code = 252
	CodeInvalidSchemaOperation      Code = 255
	CodeAggregateError              Code = 600
	CodeFileReadError               Code = 601
	CodeXDomainRequest              Code = 602
)

// Error is the one error type that crosses the API boundary. Message is safe
// to show to a client; Err, if set, is the internal cause and is only logged.
type Error struct {
	Code    Code
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s (code %d): %v", e.Message, e.Code, e.Err)
	}
	return fmt.Sprintf("%s (code %d)", e.Message, e.Code)
}

func (e *Error) Unwrap() error { return e.Err }

// HTTPStatus maps a Parse code to the status Parse Server answers with:
// 404 for a missing object, 500 for our own faults, 400 for everything else.
// This is the only place that mapping lives.
func (e *Error) HTTPStatus() int {
	switch e.Code {
	case CodeObjectNotFound:
		return http.StatusNotFound
	case CodeInternalServerError:
		return http.StatusInternalServerError
	case CodeRequestLimitExceeded:
		return http.StatusTooManyRequests
	case CodeObjectTooLarge:
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}

// Errorf returns an *Error with a formatted, client-safe message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Internal wraps an unexpected failure. The client sees a generic message and
// the request id; the cause goes to the log.
func Internal(err error) *Error {
	return &Error{Code: CodeInternalServerError, Message: "internal server error", Err: err}
}

// AsError returns err as an *Error, treating anything unknown as internal.
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Internal(err)
}

// IsCode reports whether err is an *Error with the given code.
func IsCode(err error, code Code) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// ErrNotFound is the error Parse returns both for missing objects and for
// objects the caller may not see, so that a denial leaks nothing.
func ErrNotFound() *Error { return Errorf(CodeObjectNotFound, "Object not found.") }
