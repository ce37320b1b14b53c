package gateway

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestFromGRPC pins the whole gRPC → HTTP mapping.
func TestFromGRPC(t *testing.T) {
	tests := []struct {
		err     error
		status  int
		code    string
		message string
	}{
		{status.Error(codes.InvalidArgument, "email is malformed"), 400, CodeInvalidArgument, "email is malformed"},
		{status.Error(codes.Unauthenticated, "who?"), 401, CodeUnauthenticated, "who?"},
		{status.Error(codes.PermissionDenied, "not yours"), 403, CodePermissionDenied, "not yours"},
		{status.Error(codes.NotFound, "no such order"), 404, CodeNotFound, "no such order"},
		{status.Error(codes.AlreadyExists, "exists"), 409, CodeAlreadyExists, "exists"},
		{status.Error(codes.FailedPrecondition, "not now"), 409, CodeFailedPrecondition, "not now"},
		{status.Error(codes.ResourceExhausted, "slow down"), 429, CodeResourceExhausted, "slow down"},
		{status.Error(codes.Canceled, "gone"), statusClientClosed, CodeClientClosed, "the request was cancelled"},
		{status.Error(codes.DeadlineExceeded, "catalog: slow query"), 504, CodeTimeout, "a backend service did not answer in time"},
		{status.Error(codes.Unavailable, "dial tcp 10.0.0.1"), 503, CodeUnavailable, "a backend service is unavailable; try again shortly"},
		{status.Error(codes.Internal, "nil pointer"), 500, CodeInternal, "internal error"},
		{status.Error(codes.Unknown, "odd"), 500, CodeInternal, "internal error"},
		{status.Error(codes.DataLoss, "gone"), 500, CodeInternal, "internal error"},
		{status.Error(codes.Unimplemented, "no"), 500, CodeInternal, "internal error"},
		{errors.New("not a status"), 500, CodeInternal, "internal error"},
		{withReason(codes.FailedPrecondition, "INSUFFICIENT_STOCK", "only 1 left"), 409, CodeInsufficientStock, "only 1 left"},
		{withReason(codes.NotFound, "UNKNOWN_PRODUCT", "no product 9"), 404, CodeUnknownProduct, "no product 9"},
		{withReason(codes.AlreadyExists, "EMAIL_TAKEN", "taken"), 409, CodeEmailTaken, "taken"},
		{withReason(codes.Unauthenticated, "INVALID_CREDENTIALS", "wrong"), 401, CodeInvalidCredentials, "wrong"},
		{withReason(codes.Unauthenticated, "INVALID_TOKEN", "expired"), 401, CodeInvalidToken, "expired"},
		// A reason never turns a server failure into something else, nor
		// shows its message.
		{withReason(codes.Internal, "INSUFFICIENT_STOCK", "db exploded"), 500, CodeInternal, "internal error"},
		{withReason(codes.Unavailable, "INSUFFICIENT_STOCK", "db locked"), 503, CodeUnavailable, "a backend service is unavailable; try again shortly"},
		{fmt.Errorf("calling catalog: %w", status.FromContextError(context.DeadlineExceeded).Err()), 504, CodeTimeout, "a backend service did not answer in time"},
	}
	for _, tc := range tests {
		t.Run(tc.err.Error(), func(t *testing.T) {
			e := fromGRPC(tc.err)
			if e.Status != tc.status || e.Code != tc.code || e.Message != tc.message {
				t.Errorf("got %d %s %q, want %d %s %q", e.Status, e.Code, e.Message, tc.status, tc.code, tc.message)
			}
			if e.Cause != tc.err {
				t.Errorf("cause %v, want the original error for the log", e.Cause)
			}
		})
	}
}
