package cli

import "testing"

func TestLoadTarget(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"the lab's default gateway", nil, "http://127.0.0.1:8100"},
		{"GATEWAY_HTTP_PORT is honoured", map[string]string{"GATEWAY_HTTP_PORT": "18100"}, "http://127.0.0.1:18100"},
		{"SHOPLAB_TARGET wins", map[string]string{"SHOPLAB_TARGET": "http://shop.test:9000/", "GATEWAY_HTTP_PORT": "18100"}, "http://shop.test:9000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := loadSettings(func(k string) string { return tt.env[k] })
			if err != nil {
				t.Fatal(err)
			}
			if got := s.cfg.Target; got != tt.want {
				t.Errorf("target = %q, want %q", got, tt.want)
			}
		})
	}
}
