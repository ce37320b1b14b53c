package config

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// reader reads declared variables (Vars), falling back to their defaults,
// and collects every problem so that Load reports them all at once.
type reader struct {
	getenv   Getenv
	defaults map[string]string
	errs     []error
}

func newReader(getenv Getenv) *reader {
	r := &reader{getenv: getenv, defaults: map[string]string{}}
	for _, v := range Vars() {
		r.defaults[v.Name] = v.Default
	}
	return r
}

func (r *reader) fail(format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf(format, args...))
}

// str is key's value without surrounding blanks, else its default. Every
// other reader starts from it, so a default is parsed like a user's value.
func (r *reader) str(key string) string {
	def, ok := r.defaults[key]
	if !ok {
		// A programming error: TestLoadDefaults meets it.
		r.fail("%s: not declared in config.Vars", key)
	}
	if v := strings.TrimSpace(r.getenv(key)); v != "" {
		return v
	}
	return def
}

func (r *reader) port(key string) int {
	v := r.str(key)
	if v == "" {
		return 0
	}
	p, err := strconv.Atoi(v)
	if err != nil || p < 0 || p > 65535 {
		r.fail("%s=%q: want a port number 0-65535", key, v)
		return 0
	}
	return p
}

func (r *reader) integer(key string) int {
	v := r.str(key)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		r.fail("%s=%q: want a whole number", key, v)
		return 0
	}
	return n
}

func (r *reader) duration(key string) time.Duration {
	v := r.str(key)
	if v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		r.fail("%s=%q: want a duration such as 30s: %w", key, v, err)
		return 0
	}
	return d
}

// boolean accepts the spellings people use for a switch, in any case.
func (r *reader) boolean(key string) bool {
	v := r.str(key)
	switch strings.ToLower(v) {
	case "on", "true", "1":
		return true
	case "off", "false", "0", "":
		return false
	}
	r.fail("%s=%q: want on, off, true, false, 1 or 0", key, v)
	return false
}

// ips reads a comma-separated list of IP addresses.
func (r *reader) ips(key string) []string {
	list := r.list(key)
	for _, ip := range list {
		if net.ParseIP(ip) == nil {
			r.fail("%s: %q is not an IP address (want a comma-separated list such as 127.0.0.1,172.17.0.1)", key, ip)
			return nil
		}
	}
	return list
}

func (r *reader) list(key string) []string {
	var out []string
	for _, s := range strings.Split(r.str(key), ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// url reads an http or https URL with a host.
func (r *reader) url(key string) string {
	v := r.str(key)
	if v == "" {
		return ""
	}
	if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.fail("%s=%q: want a URL such as http://localhost:4318", key, v)
	}
	return v
}

// oneOf reads one of a fixed set of words.
func (r *reader) oneOf(key string, allowed ...string) string {
	v := r.str(key)
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	r.fail("%s=%q: want %s", key, v, strings.Join(allowed, " or "))
	return v
}

// level reads a log level name such as "info" or "debug", in any case.
func (r *reader) level(key string) slog.Level {
	v := r.str(key)
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(v))); err != nil {
		r.fail("%s=%q: want debug, info, warn or error", key, v)
		return slog.LevelInfo
	}
	return l
}
