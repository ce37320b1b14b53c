package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// maxJSONDepth bounds the nesting of a request body. The API's deepest
// shape is three levels (order, items, item).
const maxJSONDepth = 32

// checkJSONText rejects what encoding/json would accept but silently
// change: invalid UTF-8 and unpaired UTF-16 surrogate escapes (both
// become U+FFFD), and an object key given twice (the last would win). It
// says nothing about malformed JSON, which the decoder reports itself.
func checkJSONText(raw []byte) *apiError {
	if at, ok := invalidUTF8At(raw); ok {
		return &apiError{Status: http.StatusBadRequest, Code: CodeInvalidUTF8, Message: fmt.Sprintf("request body is not valid UTF-8 (at byte %d)", at)}
	}
	if at, ok := loneSurrogateAt(raw); ok {
		return &apiError{Status: http.StatusBadRequest, Code: CodeInvalidUTF8, Message: fmt.Sprintf("request body has an unpaired UTF-16 surrogate escape (at byte %d)", at)}
	}
	return checkKeys(raw)
}

func invalidUTF8At(raw []byte) (int, bool) {
	for i := 0; i < len(raw); {
		r, n := utf8.DecodeRune(raw[i:])
		if r == utf8.RuneError && n == 1 {
			return i, true
		}
		i += n
	}
	return 0, false
}

// loneSurrogateAt finds a \uD800–\uDFFF escape inside a string that is not
// a high surrogate followed at once by an escaped low one.
func loneSurrogateAt(raw []byte) (int, bool) {
	inString := false
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; {
		case c == '"':
			inString = !inString
		case c == '\\' && inString:
			r, ok := escapedRune(raw, i)
			if !ok {
				i++ // skip the escaped character, e.g. \" or \\
				continue
			}
			switch {
			case r >= 0xDC00 && r <= 0xDFFF:
				return i, true
			case r >= 0xD800 && r <= 0xDBFF:
				low, ok := escapedRune(raw, i+6)
				if !ok || low < 0xDC00 || low > 0xDFFF {
					return i, true
				}
				i += 6
			}
			i += 5
		}
	}
	return 0, false
}

// escapedRune reads a \uXXXX escape at raw[i:].
func escapedRune(raw []byte, i int) (rune, bool) {
	if i+6 > len(raw) || raw[i] != '\\' || raw[i+1] != 'u' {
		return 0, false
	}
	v, err := strconv.ParseUint(string(raw[i+2:i+6]), 16, 16)
	if err != nil {
		return 0, false
	}
	return rune(v), true
}

// keyFrame is one open object or array of the key walk.
type keyFrame struct {
	object bool
	path   string
	// keys are the object's keys so far, folded.
	keys map[string]bool
	// key is the object's latest key; index counts an array's elements.
	key    string
	index  int
	wanted bool // the object's next token is a key
}

// checkKeys walks the tokens of raw's first value and rejects a key that
// repeats within its object, compared the way encoding/json matches keys
// to fields (case-insensitively), and nesting deeper than maxJSONDepth.
func checkKeys(raw []byte) *apiError {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // numbers are not looked at; don't parse them
	var stack []*keyFrame
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		var top *keyFrame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				return nil
			}
			continue
		}
		if top != nil && top.object && top.wanted {
			key, _ := tok.(string)
			folded := foldKey(key)
			if top.keys[folded] {
				return &apiError{Status: http.StatusBadRequest, Code: CodeDuplicateField, Message: fmt.Sprintf("field %q appears more than once", joinPath(top.path, key))}
			}
			top.keys[folded] = true
			top.key, top.wanted = key, false
			continue
		}
		path := ""
		if top != nil {
			if top.object {
				path = joinPath(top.path, top.key)
				top.wanted = true
			} else {
				path = fmt.Sprintf("%s[%d]", top.path, top.index)
				top.index++
			}
		}
		d, ok := tok.(json.Delim)
		if !ok {
			if top == nil {
				return nil // a scalar body; the decoder rejects it
			}
			continue
		}
		if len(stack) == maxJSONDepth {
			return &apiError{Status: http.StatusBadRequest, Code: CodeInvalidJSON, Message: fmt.Sprintf("request body is nested deeper than %d levels", maxJSONDepth)}
		}
		f := &keyFrame{object: d == '{', path: path}
		if f.object {
			f.keys, f.wanted = map[string]bool{}, true
		}
		stack = append(stack, f)
	}
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// foldKey maps keys that encoding/json would match to the same field onto
// one string: each rune becomes the smallest rune of its case-folding
// orbit, as in encoding/json's own folding.
func foldKey(s string) string {
	var b []byte
	for _, r := range s {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		b = utf8.AppendRune(b, least)
	}
	return string(b)
}
