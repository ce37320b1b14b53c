package gateway

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/shoplab/shoplab/internal/server"
)

// Error codes: the "code" of an error body. Clients may switch on them, so
// they are part of the API.
const (
	CodeInvalidJSON          = "invalid_json"
	CodeInvalidUTF8          = "invalid_utf8"
	CodeDuplicateField       = "duplicate_field"
	CodeRequestTimeout       = "request_timeout"
	CodeUnknownField         = "unknown_field"
	CodeMissingField         = "missing_field"
	CodeValidationFailed     = "validation_failed"
	CodeBodyTooLarge         = "body_too_large"
	CodeUnsupportedMediaType = "unsupported_media_type"
	CodeUnauthorized         = "unauthorized"
	CodeInvalidToken         = "invalid_token"
	CodeInvalidCredentials   = "invalid_credentials"
	CodeInvalidID            = "invalid_id"
	CodeInvalidFault         = "invalid_fault"
	CodeFaultsDisabled       = "faults_disabled"
	CodeUnknownProduct       = "unknown_product"
	CodeInsufficientStock    = "insufficient_stock"
	CodeEmailTaken           = "email_taken"
	CodeNotFound             = "not_found"
	CodeMethodNotAllowed     = "method_not_allowed"
	// CodeOverloaded comes with a 503 and Retry-After when the gateway
	// already has as many requests in progress as it takes.
	CodeOverloaded = server.CodeOverloaded
	// CodeShuttingDown comes with a 503 while the gateway stops: for a
	// request that arrives while it drains, and for one still running
	// when the drain's time is up.
	CodeShuttingDown = server.CodeShuttingDown

	// Codes for gRPC statuses that carry no ErrorInfo reason.
	CodeInvalidArgument    = "invalid_argument"
	CodeUnauthenticated    = "unauthenticated"
	CodePermissionDenied   = "permission_denied"
	CodeAlreadyExists      = "already_exists"
	CodeFailedPrecondition = "failed_precondition"
	CodeResourceExhausted  = "resource_exhausted"
	CodeClientClosed       = "client_closed_request"
	CodeTimeout            = "timeout"
	CodeUnavailable        = "unavailable"
	CodeInternal           = "internal"
)

// statusClientClosed is nginx's 499: the client went away before the
// answer. It is not a server failure, so it must not count as a 5xx.
const statusClientClosed = 499

// apiError is an error answer: HTTP status plus the body's code and
// message. Cause, when set, is logged and never shown to the client.
type apiError struct {
	Status  int
	Code    string
	Message string
	Cause   error
}

func (e apiError) Error() string { return e.Code + ": " + e.Message }

// errorBody is the JSON shape of every error answer.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// fromGRPC maps a downstream error onto HTTP. It is the only place that
// knows gRPC codes; a 4xx passes the service's message on (it is written
// for humans), a 5xx gets a generic one and keeps the detail for the log.
func fromGRPC(err error) apiError {
	st, _ := status.FromError(err)
	e := apiError{Message: st.Message(), Cause: err}
	switch st.Code() {
	case codes.InvalidArgument:
		e.Status, e.Code = http.StatusBadRequest, CodeInvalidArgument
	case codes.Unauthenticated:
		e.Status, e.Code = http.StatusUnauthorized, CodeUnauthenticated
	case codes.PermissionDenied:
		e.Status, e.Code = http.StatusForbidden, CodePermissionDenied
	case codes.NotFound:
		e.Status, e.Code = http.StatusNotFound, CodeNotFound
	case codes.AlreadyExists:
		e.Status, e.Code = http.StatusConflict, CodeAlreadyExists
	case codes.FailedPrecondition:
		e.Status, e.Code = http.StatusConflict, CodeFailedPrecondition
	case codes.ResourceExhausted:
		e.Status, e.Code = http.StatusTooManyRequests, CodeResourceExhausted
	case codes.Canceled:
		e.Status, e.Code, e.Message = statusClientClosed, CodeClientClosed, "the request was cancelled"
	case codes.DeadlineExceeded:
		e.Status, e.Code, e.Message = http.StatusGatewayTimeout, CodeTimeout, "a backend service did not answer in time"
	case codes.Unavailable:
		e.Status, e.Code, e.Message = http.StatusServiceUnavailable, CodeUnavailable, "a backend service is unavailable; try again shortly"
	default:
		return internalError(err)
	}
	if e.Status < 500 {
		if reason := errorReason(st); reason != "" {
			e.Code = reason
		}
	}
	return e
}

// errorReason turns the ErrorInfo reason a service attached (for example
// INSUFFICIENT_STOCK) into an error code (insufficient_stock).
func errorReason(st *status.Status) string {
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok && info.GetReason() != "" {
			return strings.ToLower(info.GetReason())
		}
	}
	return ""
}

// internalError hides cause from the client.
func internalError(cause error) apiError {
	if cause == nil {
		cause = errors.New("internal error")
	}
	return apiError{Status: http.StatusInternalServerError, Code: CodeInternal, Message: "internal error", Cause: cause}
}

// fail writes e as the answer and notes it for the request's log line and
// span.
func fail(log *slog.Logger, w http.ResponseWriter, r *http.Request, e apiError) {
	noteError(r.Context(), e)
	if e.Status == http.StatusUnauthorized {
		challenge := "Bearer"
		if e.Code == CodeInvalidToken {
			challenge = `Bearer error="invalid_token"`
		}
		w.Header().Set("WWW-Authenticate", challenge)
	}
	writeJSON(log, w, r, e.Status, errorBody{Error: errorDetail{Code: e.Code, Message: e.Message}})
}

// failGRPC answers for a failed downstream call.
func failGRPC(log *slog.Logger, w http.ResponseWriter, r *http.Request, err error) {
	fail(log, w, r, fromGRPC(err))
}
