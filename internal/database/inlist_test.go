package database_test

import (
	"reflect"
	"testing"

	"github.com/shoplab/shoplab/internal/database"
)

func TestInList(t *testing.T) {
	for _, tt := range []struct {
		name     string
		values   []string
		leading  []any
		wantList string
		wantArgs []any
	}{
		{"one value", []string{"a"}, nil, "($1)", []any{"a"}},
		{"several values", []string{"a", "b", "c"}, nil, "($1, $2, $3)", []any{"a", "b", "c"}},
		{"after leading args", []string{"a", "b"}, []any{int64(7), "x"}, "($3, $4)", []any{int64(7), "x", "a", "b"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			list, args := database.InList(tt.values, tt.leading...)
			if list != tt.wantList || !reflect.DeepEqual(args, tt.wantArgs) {
				t.Errorf("InList(%q, %v) = %q, %v; want %q, %v", tt.values, tt.leading, list, args, tt.wantList, tt.wantArgs)
			}
		})
	}
}
