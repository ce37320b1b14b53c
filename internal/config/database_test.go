package config

import (
	"strings"
	"testing"
)

func TestLoadDatabases(t *testing.T) {
	const pg = "postgres://shop:s3cret@db.internal:5432/orders?sslmode=disable"
	tests := []struct {
		name    string
		env     map[string]string
		want    Databases
		wantErr string
	}{
		{name: "unset keeps SQLite", env: map[string]string{}, want: Databases{}},
		{name: "one service on PostgreSQL", env: map[string]string{"ORDERS_DATABASE_URL": pg}, want: Databases{Orders: pg}},
		{name: "postgresql scheme", env: map[string]string{"AUTH_DATABASE_URL": "postgresql://a@h/auth"}, want: Databases{Auth: "postgresql://a@h/auth"}},
		{name: "every service", env: map[string]string{
			"AUTH_DATABASE_URL": "postgres://h/auth", "CATALOG_DATABASE_URL": "postgres://h/catalog",
			"ORDERS_DATABASE_URL": "postgres://h/orders", "NOTIFICATION_DATABASE_URL": "postgres://h/notification",
		}, want: Databases{Auth: "postgres://h/auth", Catalog: "postgres://h/catalog", Orders: "postgres://h/orders", Notification: "postgres://h/notification"}},
		{name: "other scheme", env: map[string]string{"CATALOG_DATABASE_URL": "mysql://u:p@h/catalog"}, wantErr: `CATALOG_DATABASE_URL="mysql://u:xxxxx@h/catalog": scheme "mysql" is not supported`},
		{name: "a file path is not a URL for this", env: map[string]string{"AUTH_DATABASE_URL": "data/auth.db"}, wantErr: "AUTH_DATABASE_URL"},
		{name: "no host", env: map[string]string{"ORDERS_DATABASE_URL": "postgres:///orders"}, wantErr: "ORDERS_DATABASE_URL=\"postgres:///orders\": no host"},
		{name: "no database", env: map[string]string{"NOTIFICATION_DATABASE_URL": "postgres://u:pw@h:5432"}, wantErr: "NOTIFICATION_DATABASE_URL=\"postgres://u:xxxxx@h:5432\": no database name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %s", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), ":pw@") || strings.Contains(err.Error(), ":p@") {
					t.Errorf("error shows a password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Databases != tt.want {
				t.Fatalf("Databases = %+v, want %+v", c.Databases, tt.want)
			}
			for _, svc := range []string{"auth", "catalog", "orders", "notification"} {
				if got := c.Databases.URL(svc); got != map[string]string{"auth": tt.want.Auth, "catalog": tt.want.Catalog, "orders": tt.want.Orders, "notification": tt.want.Notification}[svc] {
					t.Errorf("URL(%s) = %q", svc, got)
				}
			}
		})
	}
}
