package auth

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
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
	var errs []error
	for _, c := range []struct {
		name string
		c    prometheus.Collector
	}{
		{"shoplab_auth_registrations_total", m.registrations},
		{"shoplab_auth_logins_total", m.logins},
		{"shoplab_auth_token_validations_total", m.tokenValidations},
		{"shoplab_auth_password_rehashes_total", m.rehashes},
	} {
		if err := reg.Register(c.c); err != nil {
			errs = append(errs, fmt.Errorf("register metric %s: %w", c.name, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return m, nil
}
