package load

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// A jsonPath picks one value out of a JSON response, for a capture. The
// subset: $ is the document, .name a member, [N] an element (negative N
// counts from the end), [*] an element chosen at random.
//
//	$.token   $.products[*].id   $.lines[0].product_id
type jsonPath struct {
	src   string
	steps []pathStep
}

type pathStep struct {
	key    string // member name, when index is unused
	index  int
	isIdx  bool
	random bool
}

func parseJSONPath(src string) (jsonPath, error) {
	p := jsonPath{src: src}
	rest, ok := strings.CutPrefix(src, "$")
	if !ok {
		return p, fmt.Errorf("path %q must start with $", src)
	}
	for rest != "" {
		switch rest[0] {
		case '.':
			end := strings.IndexAny(rest[1:], ".[")
			if end < 0 {
				end = len(rest) - 1
			}
			key := rest[1 : end+1]
			if key == "" {
				return p, fmt.Errorf("path %q: empty member name", src)
			}
			p.steps = append(p.steps, pathStep{key: key})
			rest = rest[end+1:]
		case '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return p, fmt.Errorf("path %q: missing ]", src)
			}
			in := rest[1:end]
			if in == "*" {
				p.steps = append(p.steps, pathStep{isIdx: true, random: true})
			} else {
				n, err := strconv.Atoi(in)
				if err != nil {
					return p, fmt.Errorf("path %q: [%s] is not an index (want [N] or [*])", src, in)
				}
				p.steps = append(p.steps, pathStep{isIdx: true, index: n})
			}
			rest = rest[end+1:]
		default:
			return p, fmt.Errorf("path %q: unexpected %q (want .name, [N] or [*])", src, rest[0])
		}
	}
	return p, nil
}

// eval finds the path in doc (decoded with UseNumber) and renders it as
// text: strings as they are, numbers as written, anything else as JSON.
func (p jsonPath) eval(doc any) (string, error) {
	v := doc
	for _, s := range p.steps {
		switch {
		case !s.isIdx:
			m, ok := v.(map[string]any)
			if !ok {
				return "", fmt.Errorf("%s: .%s of a non-object", p.src, s.key)
			}
			if v, ok = m[s.key]; !ok {
				return "", fmt.Errorf("%s: no member %q", p.src, s.key)
			}
		default:
			a, ok := v.([]any)
			if !ok {
				return "", fmt.Errorf("%s: index of a non-array", p.src)
			}
			if len(a) == 0 {
				return "", fmt.Errorf("%s: empty array", p.src)
			}
			i := s.index
			switch {
			case s.random:
				i = rand.IntN(len(a))
			case i < 0:
				i += len(a)
			}
			if i < 0 || i >= len(a) {
				return "", fmt.Errorf("%s: index %d out of range (length %d)", p.src, s.index, len(a))
			}
			v = a[i]
		}
	}
	switch v := v.(type) {
	case string:
		return v, nil
	case json.Number:
		return v.String(), nil
	case nil:
		return "", fmt.Errorf("%s: null", p.src)
	default:
		b, err := json.Marshal(v)
		return string(b), err
	}
}
