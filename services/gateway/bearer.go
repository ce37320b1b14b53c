package gateway

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	shopv1 "github.com/shoplab/shoplab/proto/shop/v1"
)

// caller is the user a bearer token belongs to, as the auth service says.
type caller struct {
	userID string
	email  string
}

// bearerToken reads "Bearer <token>" (the scheme is case-insensitive).
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	if token == "" || strings.ContainsAny(token, " \t") {
		return "", false
	}
	return token, true
}

// authenticate checks the request's bearer token with the auth service,
// which alone holds the signing key. On failure it has answered already.
func authenticate(log *slog.Logger, auth shopv1.AuthServiceClient, w http.ResponseWriter, r *http.Request) (caller, bool) {
	token, ok := bearerToken(r.Header.Get("Authorization"))
	if !ok {
		fail(log, w, r, apiError{Status: http.StatusUnauthorized, Code: CodeUnauthorized, Message: `this endpoint needs an "Authorization: Bearer <token>" header; get a token from POST /api/v1/auth/login`})
		return caller{}, false
	}
	ctx, cancel := callContext(r.Context())
	defer cancel()
	resp, err := auth.ValidateToken(ctx, &shopv1.ValidateTokenRequest{Token: token})
	if err != nil {
		e := fromGRPC(err)
		if e.Status == http.StatusUnauthorized {
			// Whatever reason auth gave, for a token check it means this.
			e.Code = CodeInvalidToken
		}
		fail(log, w, r, e)
		return caller{}, false
	}
	if resp.GetUserId() == "" {
		fail(log, w, r, internalError(errors.New("auth accepted a token but named no user")))
		return caller{}, false
	}
	noteCaller(r.Context(), resp.GetUserId())
	return caller{userID: resp.GetUserId(), email: resp.GetEmail()}, true
}
