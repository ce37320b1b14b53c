package gateway

import (
	"net/http"
	"strings"

	shopv1 "github.com/shoplab/shoplab/proto/shop/v1"
)

type registerRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Name     string `json:"name"`
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// register is POST /api/v1/auth/register.
func (g *Gateway) register(w http.ResponseWriter, r *http.Request) {
	var req registerRequest
	if e := decodeJSON(w, r, &req); e != nil {
		g.fail(w, r, *e)
		return
	}
	if e := missingFields(field{"email", req.Email}, field{"password", req.Password}, field{"name", req.Name}); e != nil {
		g.fail(w, r, *e)
		return
	}
	ctx, cancel := callContext(r.Context())
	defer cancel()
	resp, err := g.auth.Register(ctx, &shopv1.RegisterRequest{
		Email:    strings.TrimSpace(req.Email),
		Password: req.Password,
		Name:     strings.TrimSpace(req.Name),
	})
	if err != nil {
		g.failGRPC(w, r, err)
		return
	}
	g.writeJSON(w, r, http.StatusCreated, registerResponse{User: toUser(resp.GetUser())})
}

// login is POST /api/v1/auth/login.
func (g *Gateway) login(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if e := decodeJSON(w, r, &req); e != nil {
		g.fail(w, r, *e)
		return
	}
	if e := missingFields(field{"email", req.Email}, field{"password", req.Password}); e != nil {
		g.fail(w, r, *e)
		return
	}
	ctx, cancel := callContext(r.Context())
	defer cancel()
	resp, err := g.auth.Login(ctx, &shopv1.LoginRequest{Email: strings.TrimSpace(req.Email), Password: req.Password})
	if err != nil {
		g.failGRPC(w, r, err)
		return
	}
	g.writeJSON(w, r, http.StatusOK, loginResponse{
		Token:     resp.GetToken(),
		ExpiresAt: timeOf(resp.GetExpiresAt()),
		User:      toUser(resp.GetUser()),
	})
}
