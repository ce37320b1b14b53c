package build

import "testing"

func TestSelectorOf(t *testing.T) {
	tests := []struct {
		selector string
		matchers []string
		want     string
	}{
		{`target_info{service_namespace="shopease"}`, []string{InInstance}, `target_info{service_namespace="shopease", instance=~"$instance"}`},
		{"up", []string{`job="a"`}, `up{job="a"}`},
		{"up", nil, "up"},
		{"up{}", []string{`job="a"`}, `up{job="a"}`},
	}
	for _, tt := range tests {
		if got := selectorOf(tt.selector, tt.matchers...); got != tt.want {
			t.Errorf("selectorOf(%q, %q) = %q, want %q", tt.selector, tt.matchers, got, tt.want)
		}
	}
}
