package compose

import "testing"

func TestParsePS(t *testing.T) {
	tests := []struct {
		name  string
		out   string
		want  int
		ready []bool
	}{
		{name: "empty", out: "", want: 0},
		{name: "json lines (compose 2.21+)", out: `{"Name":"shoplab-loki-1","Service":"loki","State":"running","Health":"healthy"}
{"Name":"shoplab-alloy-1","Service":"alloy","State":"running","Health":""}
{"Name":"shoplab-tempo-1","Service":"tempo","State":"running","Health":"starting"}
`, want: 3, ready: []bool{true, true, false}},
		{name: "array (older compose)", out: `[{"Name":"a","Service":"kafka","State":"exited","Health":"","ExitCode":1}]`, want: 1, ready: []bool{false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs, err := ParsePS([]byte(tt.out))
			if err != nil {
				t.Fatal(err)
			}
			if len(cs) != tt.want {
				t.Fatalf("got %d containers, want %d", len(cs), tt.want)
			}
			for i, r := range tt.ready {
				if cs[i].Ready() != r {
					t.Errorf("%s Ready() = %v, want %v", cs[i].Service, cs[i].Ready(), r)
				}
			}
		})
	}
	if _, err := ParsePS([]byte("not json")); err == nil {
		t.Error("ParsePS accepted garbage")
	}
}

func TestContainerFailed(t *testing.T) {
	tests := []struct {
		c    Container
		want bool
	}{
		{Container{State: "running", Health: "unhealthy"}, true},
		{Container{State: "exited"}, true},
		{Container{State: "running", Health: "starting"}, false},
		{Container{State: "restarting"}, false},
	}
	for _, tt := range tests {
		if got := tt.c.Failed(); got != tt.want {
			t.Errorf("%+v Failed() = %v, want %v", tt.c, got, tt.want)
		}
	}
}
