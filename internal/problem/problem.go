// Package problem is Okno's one application error type and its mapping to
// HTTP: RFC 9457 problem details. Business code returns *Error values with a
// code; only the HTTP edge turns them into status codes, and only the safe
// message reaches the user — the cause goes to the log.
package problem

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// Code classifies an error for the caller.
type Code string

const (
	Invalid      Code = "invalid"                // 422: a field's value is not acceptable
	Malformed    Code = "malformed"              // 400: the body could not be read at all
	Unauthorized Code = "unauthorized"           // 401
	SecondFactor Code = "second_factor_required" // 401: right password, TOTP or recovery code missing or wrong
	Forbidden    Code = "forbidden"              // 403
	NotFound     Code = "not_found"              // 404
	Conflict     Code = "conflict"               // 409
	TooLarge     Code = "too_large"              // 413
	Unsupported  Code = "unsupported"            // 415
	RateLimited  Code = "rate_limited"           // 429
	Unavailable  Code = "unavailable"            // 503
	Internal     Code = "internal"               // 500
)

var statusOf = map[Code]int{
	Invalid: 422, Malformed: 400, Unauthorized: 401, SecondFactor: 401, Forbidden: 403, NotFound: 404,
	Conflict: 409, TooLarge: 413, Unsupported: 415, RateLimited: 429, Unavailable: 503, Internal: 500,
}

var titleOf = map[Code]string{
	Invalid: "Invalid field", Malformed: "Malformed request", Unauthorized: "Authentication required",
	Forbidden: "Forbidden", NotFound: "Not found", Conflict: "Conflict", TooLarge: "Request body too large",
	Unsupported: "Unsupported media type", RateLimited: "Too many requests", Unavailable: "Service unavailable",
	Internal: "Internal error", SecondFactor: "Second factor required",
}

// FieldError names one field that was refused and why. Messages never echo
// the submitted value: it may be personal data.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is the application error.
type Error struct {
	Code    Code
	Message string
	Fields  []FieldError
	Err     error // the cause, for the log only
	// RetryAfter, when set, becomes the Retry-After header of the answer.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// New makes an error with a code and a safe message.
func New(code Code, msg string) *Error { return &Error{Code: code, Message: msg} }

// Newf makes an error whose message is a template: the catalog translates
// the template, and the arguments are carried into the translation as they
// are. So arguments must be machine names (a permission, a service, a list
// of allowed values, a limit), never a submitted value.
func Newf(code Code, format string, args ...any) *Error {
	return New(code, fmt.Sprintf(format, args...))
}

// Field makes a 422 naming one field.
func Field(field, msg string) *Error {
	return &Error{Code: Invalid, Message: field + ": " + msg, Fields: []FieldError{{Field: field, Message: msg}}}
}

// Fieldf is Field with a template message, as Newf.
func Fieldf(field, format string, args ...any) *Error {
	return Field(field, fmt.Sprintf(format, args...))
}

// Fields makes a 422 naming several fields.
func Fields(fs []FieldError) *Error {
	msg := "some fields are not acceptable"
	if len(fs) == 1 {
		msg = fs[0].Field + ": " + fs[0].Message
	}
	return &Error{Code: Invalid, Message: msg, Fields: fs}
}

// CodeOf returns the code of err, Internal when it carries none.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return TooLarge
	}
	return Internal
}

// Status returns the HTTP status for a code.
func Status(c Code) int {
	if s, ok := statusOf[c]; ok {
		return s
	}
	return 500
}

// Body is the JSON shape of a problem (RFC 9457 plus an "errors" member).
type Body struct {
	Type   string       `json:"type"`
	Title  string       `json:"title"`
	Status int          `json:"status"`
	Detail string       `json:"detail,omitempty"`
	Code   Code         `json:"code"`
	Errors []FieldError `json:"errors,omitempty"`
}

// BodyOf converts any error into the problem body a client may see.
func BodyOf(err error) Body {
	code := CodeOf(err)
	b := Body{Type: "about:blank", Title: titleOf[code], Status: Status(code), Code: code}
	var e *Error
	if errors.As(err, &e) && code != Internal {
		b.Detail = e.Message
		b.Errors = e.Fields
	}
	if code == TooLarge && b.Detail == "" {
		b.Detail = "the request body exceeds the limit"
	}
	if b.Type == "about:blank" && code != Internal {
		b.Type = "urn:okno:problem:" + string(code)
	}
	return b
}

// Write sends err as application/problem+json, in the language the request
// prefers (see LangOf). Internal errors are logged with their cause; the
// client sees only a generic message.
func Write(w http.ResponseWriter, r *http.Request, err error) {
	b := Localized(w, r, err)
	if b.Status >= 500 {
		slog.ErrorContext(r.Context(), "request failed", "method", r.Method, "route", r.Pattern, "err", err)
	}
	var e *Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(RetrySeconds(e.RetryAfter)))
	}
	WriteBody(w, b)
}

// RetrySeconds rounds a wait up to whole seconds, as Retry-After counts them.
func RetrySeconds(d time.Duration) int {
	return int((d + time.Second - 1) / time.Second)
}

// Localized returns the body of err in the language r prefers and says
// which one on w (Content-Language), for a handler that sends the body
// itself.
func Localized(w http.ResponseWriter, r *http.Request, err error) Body {
	lang := LangOf(r.Header.Get("Accept-Language"))
	w.Header().Set("Content-Language", string(lang))
	w.Header().Add("Vary", "Accept-Language")
	return BodyOf(err).In(lang)
}

// WriteBody sends an already built problem body.
func WriteBody(w http.ResponseWriter, b Body) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(b.Status)
	_ = json.NewEncoder(w).Encode(b)
}
