package touchbase

import (
	"errors"
	"fmt"
)

// Error codes. They say what kind of failure happened, so that each chat
// platform can answer in one place: a refusal the user can act on, or a short
// apology for an internal error.
const (
	ECONFLICT  = "conflict"  // the action conflicts with the current state
	EFORBIDDEN = "forbidden" // the user may not do this
	EINTERNAL  = "internal"  // a bug or an I/O failure; never shown in detail
	EINVALID   = "invalid"   // the input is malformed or breaks a rule
	ENOTFOUND  = "not_found" // the thing asked for does not exist
)

// Error is an error a user may read: Message says what was wrong and, where it
// helps, how to write it right.
type Error struct {
	Code    string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("touchbase: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first *Error in err's chain, and a
// generic apology for any other error, so internal details never reach users.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Something went wrong on our side; nothing was changed."
}
