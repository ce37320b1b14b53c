package load

import (
	"net/url"
	"strings"
	"sync/atomic"
)

// boundJourney is a journey ready to run: its templates bound to the
// run's functions, its constant URLs and headers built once.
type boundJourney struct {
	name  string
	vars  []boundVar
	steps []boundStep
}

type boundVar struct {
	name  string
	value boundText
}

type boundStep struct {
	*Step
	// url is the whole URL when the route has no parameters.
	url *url.URL
	// base and parts build the URL otherwise: parts alternate literal
	// path pieces and parameter indexes (see routeParts).
	base    *url.URL
	parts   []string
	params  []boundText
	headers []boundHeader
	body    boundText
	hasBody bool
}

type boundHeader struct {
	name   string
	static []string // shared by every request when constant
	value  boundText
}

func bindJourneys(sc *Scenario, base *url.URL, runID string) ([]boundJourney, error) {
	funcs := runFuncs(runID, new(atomic.Uint64))
	prefix := strings.TrimSuffix(base.Path, "/")
	out := make([]boundJourney, len(sc.Journeys))
	for i := range sc.Journeys {
		j := &sc.Journeys[i]
		bj := boundJourney{name: j.Name}
		for _, v := range j.vars {
			b, err := v.value.bind(funcs)
			if err != nil {
				return nil, err
			}
			bj.vars = append(bj.vars, boundVar{name: v.name, value: b})
		}
		for k := range j.Steps {
			st := &j.Steps[k]
			bs := boundStep{Step: st}
			if len(st.params) == 0 {
				u := *base
				u.Path, u.RawPath = prefix+st.Endpoint.Route, ""
				bs.url = &u
			} else {
				bs.base = base
				bs.parts = routeParts(prefix+st.Endpoint.Route, st.params)
				for _, p := range st.params {
					b, err := p.value.bind(funcs)
					if err != nil {
						return nil, err
					}
					bs.params = append(bs.params, b)
				}
			}
			for _, h := range st.headers {
				b, err := h.value.bind(funcs)
				if err != nil {
					return nil, err
				}
				bh := boundHeader{name: h.name, value: b}
				if b.isStatic() {
					bh.static = []string{string(b.static)}
				}
				bs.headers = append(bs.headers, bh)
			}
			if st.body != nil {
				b, err := st.body.bind(funcs)
				if err != nil {
					return nil, err
				}
				bs.body, bs.hasBody = b, true
			}
			bj.steps = append(bj.steps, bs)
		}
		out[i] = bj
	}
	return out, nil
}

// routeParts splits route at its {params}: even entries are literal
// text, odd ones the index (as a one-byte string) of the param in params.
func routeParts(route string, params []namedText) []string {
	var parts []string
	rest := route
	for {
		i := strings.IndexByte(rest, '{')
		j := strings.IndexByte(rest, '}')
		if i < 0 || j < i {
			return append(parts, rest)
		}
		name := rest[i+1 : j]
		idx := 0
		for k, p := range params {
			if p.name == name {
				idx = k
			}
		}
		parts = append(parts, rest[:i], string(rune('0'+idx)))
		rest = rest[j+1:]
	}
}
