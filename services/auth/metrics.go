package auth

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/shoplab/shoplab/internal/telemetry"
)

// Outcome label values.
const (
	outcomeSuccess            = "success"
	outcomeInvalidCredentials = "invalid_credentials"
	outcomeValid              = "valid"
	outcomeInvalid            = "invalid"
)

type metrics struct {
	registrations    prometheus.Counter
	logins           *prometheus.CounterVec
	tokenValidations *prometheus.CounterVec
	rehashes         prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		registrations: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "shoplab_auth_registrations_total",
			Help: "Users registered.",
		}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shoplab_auth_logins_total",
			Help: "Login attempts by outcome (success, invalid_credentials).",
		}, []string{"outcome"}),
		tokenValidations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shoplab_auth_token_validations_total",
			Help: "Token checks by outcome (valid, invalid).",
		}, []string{"outcome"}),
		rehashes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "shoplab_auth_password_rehashes_total",
			Help: "Password hashes replaced at login because the bcrypt cost changed.",
		}),
	}
	// Series exist at zero from the start, so that rate() shows 0 rather
	// than "no data".
	m.logins.WithLabelValues(outcomeSuccess)
	m.logins.WithLabelValues(outcomeInvalidCredentials)
	m.tokenValidations.WithLabelValues(outcomeValid)
	m.tokenValidations.WithLabelValues(outcomeInvalid)
	if err := telemetry.Register(reg, m.registrations, m.logins, m.tokenValidations, m.rehashes); err != nil {
		return nil, err
	}
	return m, nil
}
