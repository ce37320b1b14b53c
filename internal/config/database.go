package config

import "net/url"

// Databases are the PostgreSQL URLs of the services that keep state, one
// database each (<SERVICE>_DATABASE_URL). An empty URL keeps that service
// on its SQLite file in DataDir.
type Databases struct {
	Auth         string
	Catalog      string
	Orders       string
	Notification string
}

// URL is the PostgreSQL URL of service (a topology name), "" for SQLite.
func (d Databases) URL(service string) string {
	switch service {
	case "auth":
		return d.Auth
	case "catalog":
		return d.Catalog
	case "orders":
		return d.Orders
	case "notification":
		return d.Notification
	}
	return ""
}

func (r *reader) databases() Databases {
	return Databases{
		Auth:         r.postgresURL("AUTH_DATABASE_URL"),
		Catalog:      r.postgresURL("CATALOG_DATABASE_URL"),
		Orders:       r.postgresURL("ORDERS_DATABASE_URL"),
		Notification: r.postgresURL("NOTIFICATION_DATABASE_URL"),
	}
}

// postgresURL reads a postgres:// (or postgresql://) URL that names a
// database. An error shows the URL without its password.
func (r *reader) postgresURL(key string) string {
	v := r.str(key)
	if v == "" {
		return ""
	}
	u, err := url.Parse(v)
	switch {
	case err != nil:
		r.fail("%s: not a URL; want postgres://user:password@host:5432/database", key)
	case u.Scheme != "postgres" && u.Scheme != "postgresql":
		r.fail("%s=%q: scheme %q is not supported; want postgres://user:password@host:5432/database (unset, the service keeps its SQLite file)", key, u.Redacted(), u.Scheme)
	case u.Host == "":
		r.fail("%s=%q: no host; want postgres://user:password@host:5432/database", key, u.Redacted())
	case u.Path == "" || u.Path == "/":
		r.fail("%s=%q: no database name; each service wants a database of its own", key, u.Redacted())
	}
	return v
}
