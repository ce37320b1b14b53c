package auth

import (
	"context"
	"errors"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/timestamppb"

	shopv1 "github.com/shoplab/shoplab/proto/shop/v1"
)

// ErrorInfo reasons the gateway tells apart (the contract's list).
const (
	reasonEmailTaken         = "EMAIL_TAKEN"
	reasonInvalidCredentials = "INVALID_CREDENTIALS"
	reasonInvalidToken       = "INVALID_TOKEN"
)

// errorDomain is the ErrorInfo domain of the auth service's errors.
const errorDomain = "auth.shoplab"

// grpcAPI is the gRPC edge of the service. It is a type of its own because
// shopv1.AuthServiceServer's Register would clash with Service.Register.
type grpcAPI struct {
	shopv1.UnimplementedAuthServiceServer
	s *Service
}

func (a *grpcAPI) Register(ctx context.Context, req *shopv1.RegisterRequest) (*shopv1.RegisterResponse, error) {
	u, err := a.s.register(ctx, req.GetEmail(), req.GetPassword(), req.GetName())
	if err != nil {
		return nil, a.s.grpcError(ctx, err)
	}
	return &shopv1.RegisterResponse{User: userProto(u)}, nil
}

func (a *grpcAPI) Login(ctx context.Context, req *shopv1.LoginRequest) (*shopv1.LoginResponse, error) {
	sess, err := a.s.login(ctx, req.GetEmail(), req.GetPassword())
	if err != nil {
		return nil, a.s.grpcError(ctx, err)
	}
	return &shopv1.LoginResponse{
		Token:     sess.token,
		ExpiresAt: timestamppb.New(sess.expires),
		User:      userProto(sess.user),
	}, nil
}

func (a *grpcAPI) ValidateToken(ctx context.Context, req *shopv1.ValidateTokenRequest) (*shopv1.ValidateTokenResponse, error) {
	c, err := a.s.validateToken(ctx, req.GetToken())
	if err != nil {
		return nil, a.s.grpcError(ctx, err)
	}
	return &shopv1.ValidateTokenResponse{UserId: c.Subject, Email: c.Email}, nil
}

func userProto(u user) *shopv1.User {
	return &shopv1.User{Id: u.ID, Email: u.Email, Name: u.Name, CreatedAt: timestamppb.New(u.CreatedAt)}
}

// grpcError maps a domain error to a status with a human message; reasons
// the gateway needs travel as ErrorInfo. Anything unexpected is logged and
// becomes Internal without details.
func (s *Service) grpcError(ctx context.Context, err error) error {
	var invalid *invalidInputError
	switch {
	case errors.As(err, &invalid):
		br := &errdetails.BadRequest{}
		for _, v := range invalid.violations {
			br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: v.Field, Description: v.Description})
		}
		return withDetails(codes.InvalidArgument, invalid.Error(), br)
	case errors.Is(err, errEmailTaken):
		return withReason(codes.AlreadyExists, "an account with this e-mail address already exists", reasonEmailTaken)
	case errors.Is(err, errInvalidCredentials):
		return withReason(codes.Unauthenticated, "invalid e-mail address or password", reasonInvalidCredentials)
	case errors.Is(err, errMissingToken):
		return withReason(codes.Unauthenticated, "a token is required", reasonInvalidToken)
	case errors.Is(err, errInvalidToken):
		return withReason(codes.Unauthenticated, "the token is invalid or has expired", reasonInvalidToken)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return status.FromContextError(err).Err()
	}
	s.tel.Logger.ErrorContext(ctx, "auth request failed", "error", err)
	return status.Error(codes.Internal, "internal error")
}

func withReason(c codes.Code, msg, reason string) error {
	return withDetails(c, msg, &errdetails.ErrorInfo{Reason: reason, Domain: errorDomain})
}

func withDetails(c codes.Code, msg string, details ...protoadapt.MessageV1) error {
	st, err := status.New(c, msg).WithDetails(details...)
	if err != nil {
		return status.Error(c, msg)
	}
	return st.Err()
}
