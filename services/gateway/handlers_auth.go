package gateway

import (
	"log/slog"
	"net/http"
	"strings"

	shopv1 "github.com/shoplab/shoplab/proto/shop/v1"
)

type registerRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Name     string `json:"name"`
}

func (req registerRequest) validate() *apiError {
	return missingFields(field{"email", req.Email}, field{"password", req.Password}, field{"name", req.Name})
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (req loginRequest) validate() *apiError {
	return missingFields(field{"email", req.Email}, field{"password", req.Password})
}

// handleRegister is POST /api/v1/auth/register.
func handleRegister(log *slog.Logger, auth shopv1.AuthServiceClient) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, ok := decodeValid[registerRequest](log, w, r)
		if !ok {
			return
		}
		ctx, cancel := callContext(r.Context())
		defer cancel()
		resp, err := auth.Register(ctx, &shopv1.RegisterRequest{
			Email:    strings.TrimSpace(req.Email),
			Password: req.Password,
			Name:     strings.TrimSpace(req.Name),
		})
		if err != nil {
			failGRPC(log, w, r, err)
			return
		}
		writeJSON(log, w, r, http.StatusCreated, registerResponse{User: toUser(resp.GetUser())})
	})
}

// handleLogin is POST /api/v1/auth/login.
func handleLogin(log *slog.Logger, auth shopv1.AuthServiceClient) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, ok := decodeValid[loginRequest](log, w, r)
		if !ok {
			return
		}
		ctx, cancel := callContext(r.Context())
		defer cancel()
		resp, err := auth.Login(ctx, &shopv1.LoginRequest{Email: strings.TrimSpace(req.Email), Password: req.Password})
		if err != nil {
			failGRPC(log, w, r, err)
			return
		}
		writeJSON(log, w, r, http.StatusOK, loginResponse{
			Token:     resp.GetToken(),
			ExpiresAt: timeOf(resp.GetExpiresAt()),
			User:      toUser(resp.GetUser()),
		})
	})
}
