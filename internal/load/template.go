package load

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"
	"text/template"
	"text/template/parse"

	"github.com/google/uuid"
)

// text is a piece of a request (body, path parameter, header value, journey
// variable) written as a text/template. Most are constant; those are kept
// as bytes and never executed.
type text struct {
	src    string
	static []byte // when the source has no actions
	tmpl   *template.Template
	refs   []string // the variables ({{.name}}) it reads
}

// stubFuncs lets templates parse at load time; each engine binds the real
// functions to its own clone (runFuncs), because randomEmail needs the
// run's identity and counter.
func stubFuncs() template.FuncMap {
	return template.FuncMap{
		"randomEmail":  func() string { return "" },
		"randomInt":    func(lo, hi int) (int, error) { return 0, nil },
		"randomChoice": func(first string, more ...string) string { return "" },
		"randomName":   func() string { return "" },
		"uuid":         func() string { return "" },
		"json":         func(v any) (string, error) { return "", nil },
	}
}

// runFuncs are the template functions of one run. Every e-mail address is
// unique within the run, and runs differ by their random run ID, so a
// fresh user can register each time.
func runFuncs(runID string, seq *atomic.Uint64) template.FuncMap {
	return template.FuncMap{
		"randomEmail": func() string {
			return "load-" + runID + "-" + strconv.FormatUint(seq.Add(1), 10) + "@example.com"
		},
		"randomInt": func(lo, hi int) (int, error) {
			if hi < lo {
				return 0, fmt.Errorf("randomInt %d %d: the upper bound is below the lower one", lo, hi)
			}
			return lo + rand.IntN(hi-lo+1), nil
		},
		"randomChoice": func(first string, more ...string) string {
			if i := rand.IntN(len(more) + 1); i > 0 {
				return more[i-1]
			}
			return first
		},
		"randomName": func() string {
			names := [...]string{"Ada Lovelace", "Grace Hopper", "Alan Turing", "Barbara Liskov", "Edsger Dijkstra",
				"Frances Allen", "Donald Knuth", "Margaret Hamilton", "Ken Thompson", "Radia Perlman"}
			return names[rand.IntN(len(names))]
		},
		"uuid": uuid.NewString,
		"json": func(v any) (string, error) {
			b, err := json.Marshal(v)
			return string(b), err
		},
	}
}

// parseText parses src. Templates may only read single variables
// ({{.name}}), call the fixed functions, and use if/with/range; anything
// else (nested templates, .a.b) is rejected here rather than at run time.
func parseText(src string) (text, error) {
	t := text{src: src}
	if !strings.Contains(src, "{{") {
		t.static = []byte(src)
		return t, nil
	}
	tmpl, err := template.New("").Option("missingkey=error").Funcs(stubFuncs()).Parse(src)
	if err != nil {
		return t, fmt.Errorf("template %q: %s", src, strings.TrimPrefix(err.Error(), "template: :"))
	}
	refs, err := templateRefs(tmpl.Tree.Root)
	if err != nil {
		return t, fmt.Errorf("template %q: %w", src, err)
	}
	t.tmpl, t.refs = tmpl, refs
	return t, nil
}

func templateRefs(n parse.Node) ([]string, error) {
	var refs []string
	var walk func(parse.Node) error
	walk = func(n parse.Node) error {
		switch n := n.(type) {
		case nil:
		case *parse.ListNode:
			if n == nil {
				return nil
			}
			for _, c := range n.Nodes {
				if err := walk(c); err != nil {
					return err
				}
			}
		case *parse.ActionNode:
			return walk(n.Pipe)
		case *parse.PipeNode:
			if n == nil {
				return nil
			}
			for _, c := range n.Cmds {
				if err := walk(c); err != nil {
					return err
				}
			}
		case *parse.CommandNode:
			for _, a := range n.Args {
				if err := walk(a); err != nil {
					return err
				}
			}
		case *parse.FieldNode:
			if len(n.Ident) != 1 {
				return fmt.Errorf("{{%s}}: variables have no fields; use {{.%s}}", n, n.Ident[0])
			}
			refs = append(refs, n.Ident[0])
		case *parse.ChainNode:
			return fmt.Errorf("{{%s}}: variables have no fields", n)
		case *parse.IfNode:
			return walkBranch(walk, &n.BranchNode)
		case *parse.WithNode:
			return walkBranch(walk, &n.BranchNode)
		case *parse.RangeNode:
			return walkBranch(walk, &n.BranchNode)
		case *parse.TemplateNode:
			return fmt.Errorf("{{template}} is not supported")
		}
		return nil
	}
	err := walk(n)
	return refs, err
}

func walkBranch(walk func(parse.Node) error, b *parse.BranchNode) error {
	if err := walk(b.Pipe); err != nil {
		return err
	}
	if err := walk(b.List); err != nil {
		return err
	}
	if b.ElseList != nil {
		return walk(b.ElseList)
	}
	return nil
}

// boundText is a text bound to one run's functions.
type boundText struct {
	static []byte
	tmpl   *template.Template
	// subst is set when the template only substitutes variables (text and
	// {{.name}}, the common case): it is rendered without text/template,
	// whose reflection cost a dozen allocations a request.
	subst []segment
}

// segment is literal text, or the variable ref when lit is nil.
type segment struct {
	lit []byte
	ref string
}

func (t text) bind(funcs template.FuncMap) (boundText, error) {
	if t.tmpl == nil {
		return boundText{static: t.static}, nil
	}
	c, err := t.tmpl.Clone()
	if err != nil {
		return boundText{}, err
	}
	return boundText{tmpl: c.Funcs(funcs), subst: substitution(t.tmpl.Tree.Root)}, nil
}

// substitution is root as segments, or nil when it does more than
// substitute variables.
func substitution(root *parse.ListNode) []segment {
	var segs []segment
	for _, n := range root.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			segs = append(segs, segment{lit: n.Text})
		case *parse.ActionNode:
			if len(n.Pipe.Decl) > 0 || len(n.Pipe.Cmds) != 1 || len(n.Pipe.Cmds[0].Args) != 1 {
				return nil
			}
			f, ok := n.Pipe.Cmds[0].Args[0].(*parse.FieldNode)
			if !ok || len(f.Ident) != 1 {
				return nil
			}
			segs = append(segs, segment{ref: f.Ident[0]})
		default:
			return nil
		}
	}
	return segs
}

func (t boundText) isStatic() bool { return t.tmpl == nil }

// render appends the text for vars to buf.
func (t boundText) render(buf *bytes.Buffer, vars map[string]string) error {
	if t.tmpl == nil {
		buf.Write(t.static)
		return nil
	}
	if t.subst != nil {
		for _, s := range t.subst {
			if s.lit != nil {
				buf.Write(s.lit)
				continue
			}
			v, ok := vars[s.ref]
			if !ok {
				// What text/template's missingkey=error says.
				return fmt.Errorf("map has no entry for key %q", s.ref)
			}
			buf.WriteString(v)
		}
		return nil
	}
	return t.tmpl.Execute(buf, vars)
}
