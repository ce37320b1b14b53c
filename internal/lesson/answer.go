package lesson

import (
	"strconv"
	"strings"
)

// Verdict is what the checker made of an answer.
type Verdict struct {
	// Known: the answer is one of the lesson's options (always, for an
	// open kind). An unknown answer is a typo, not a wrong guess.
	Known bool
	// Correct: it names the hidden choice.
	Correct bool
	// Option is the option the answer matched, in its canonical spelling.
	Option string
}

// Check compares the learner's answer with the choice. Case, spaces and
// punctuation do not matter ("AP South" is ap-south); a list's answers may
// also be given by their number; an operation may be written as its full
// gRPC name.
func (l *Lesson) Check(c Choice, answer string) Verdict {
	key := l.key(answer)
	if key == "" {
		return Verdict{}
	}
	if len(l.Options) == 0 {
		// Open kinds (a metric name): anything is a possible answer.
		v := Verdict{Known: true, Option: strings.TrimSpace(answer)}
		for _, a := range append([]string{c.Answer}, c.Accept...) {
			if l.key(a) == key {
				v.Correct, v.Option = true, c.Answer
			}
		}
		return v
	}
	if n, err := strconv.Atoi(strings.TrimSpace(answer)); err == nil && n >= 1 && n <= len(l.Options) {
		o := l.Options[n-1].Value
		return Verdict{Known: true, Option: o, Correct: o == c.Answer}
	}
	for _, o := range l.Options {
		for _, spelling := range append([]string{o.Value}, o.Aliases...) {
			if l.key(spelling) == key {
				return Verdict{Known: true, Option: o.Value, Correct: o.Value == c.Answer}
			}
		}
	}
	for _, a := range c.Accept {
		if l.key(a) == key {
			return Verdict{Known: true, Option: c.Answer, Correct: true}
		}
	}
	return Verdict{}
}

// key is the form answers are compared in.
func (l *Lesson) key(s string) string {
	s = strings.TrimRight(strings.TrimSpace(s), "./")
	switch l.Kind {
	case KindOperation:
		// shop.v1.CatalogService/GetProduct, CatalogService.GetProduct
		s = s[strings.LastIndexAny(s, "/.")+1:]
	case KindMetric:
		// A pasted series: name{label="value"} 12
		if i := strings.IndexAny(s, "{ "); i > 0 {
			s = s[:i]
		}
	}
	return fold(s)
}

// fold keeps only lower-case letters and digits.
func fold(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// OptionValues are the options' canonical spellings.
func (l *Lesson) OptionValues() []string {
	out := make([]string, len(l.Options))
	for i, o := range l.Options {
		out[i] = o.Value
	}
	return out
}
