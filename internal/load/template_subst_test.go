package load

import (
	"bytes"
	"sync/atomic"
	"testing"
)

// TestSubstitutionRendersLikeTextTemplate: templates that only substitute
// variables skip text/template, and must render exactly as it would.
func TestSubstitutionRendersLikeTextTemplate(t *testing.T) {
	vars := map[string]string{"token": "eyJ.e30.x", "id": "7", "empty": "", "odd": `a"b<c>{{.id}}`}
	tests := []struct {
		src       string
		wantSubst bool
	}{
		{"Bearer {{.token}}", true},
		{`{"items": [{"product_id": {{.id}}}], "n": "{{.empty}}"}`, true},
		{"{{.id}}{{.id}}", true},
		{"{{ .odd }} tail", true},
		{"{{.missing}}", true},
		{"{{randomInt 1 1}}", false},
		{"{{if .id}}yes{{end}}", false},
		{"{{.id | printf \"%s!\"}}", false},
		{"{{$x := .id}}{{$x}}", false},
	}
	funcs := runFuncs("test", new(atomic.Uint64))
	for _, tt := range tests {
		txt, err := parseText(tt.src)
		if err != nil {
			t.Fatalf("%q: %v", tt.src, err)
		}
		bt, err := txt.bind(funcs)
		if err != nil {
			t.Fatal(err)
		}
		if (bt.subst != nil) != tt.wantSubst {
			t.Errorf("%q: substitution %v, want %v", tt.src, bt.subst != nil, tt.wantSubst)
		}
		var fast, slow bytes.Buffer
		errFast := bt.render(&fast, vars)
		errSlow := bt.tmpl.Execute(&slow, vars)
		if fast.String() != slow.String() || (errFast == nil) != (errSlow == nil) {
			t.Errorf("%q: rendered %q (%v), text/template %q (%v)", tt.src, fast.String(), errFast, slow.String(), errSlow)
		}
	}
}
