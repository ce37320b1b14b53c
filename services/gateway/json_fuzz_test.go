package gateway

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzDecodeJSON feeds arbitrary bodies to decodeJSON for each request
// shape. It must never panic; a rejection is a 4xx with a code and a
// message; an accepted body is valid UTF-8 without repeated keys, and
// decodes to exactly what re-encoding it decodes to, with no U+FFFD the
// client did not send. Seeds: testdata/fuzz/FuzzDecodeJSON.
func FuzzDecodeJSON(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		checkDecode[registerRequest](t, body)
		checkDecode[loginRequest](t, body)
		checkDecode[placeOrderRequest](t, body)
	})
}

// TestDecodeJSONKeepsText: what encoding/json could have changed (non-ASCII
// text, an escaped surrogate pair, a U+FFFD the client did send) arrives
// unchanged.
func TestDecodeJSONKeepsText(t *testing.T) {
	body := `{"email":"zoë@example.com","password":"p\ud83d\ude00","name":"Zoë \ufffd 😀"}`
	var req registerRequest
	if e := decodeBody([]byte(body), &req); e != nil {
		t.Fatalf("rejected: %v", e)
	}
	want := registerRequest{Email: "zoë@example.com", Password: "p😀", Name: "Zoë \ufffd 😀"}
	if req != want {
		t.Errorf("decoded %+v, want %+v", req, want)
	}
}

func decodeBody(body []byte, v any) *apiError {
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return decodeJSON(httptest.NewRecorder(), r, v)
}

func checkDecode[T any](t *testing.T, body []byte) {
	t.Helper()
	var v T
	e := decodeBody(body, &v)
	if e != nil {
		if e.Status < 400 || e.Status > 499 || e.Code == "" || e.Message == "" {
			t.Fatalf("%T: rejection %+v is not a 4xx with code and message", v, e)
		}
		if !utf8.Valid(body) && e.Code != CodeInvalidUTF8 {
			t.Fatalf("%T: invalid UTF-8 rejected as %s", v, e.Code)
		}
		if utf8.Valid(body) && json.Valid(body) && noSurrogateEscape(body) && jsonDepth(body) <= maxJSONDepth && hasDuplicateKey(body) && e.Code != CodeDuplicateField {
			t.Fatalf("%T: repeated key rejected as %s (%s)", v, e.Code, e.Message)
		}
		return
	}
	if !utf8.Valid(body) {
		t.Fatalf("%T: accepted invalid UTF-8 %q", v, body)
	}
	if hasDuplicateKey(body) {
		t.Fatalf("%T: accepted a repeated key in %q", v, body)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%T: re-encoding %+v: %v", v, v, err)
	}
	var back T
	if e := decodeBody(out, &back); e != nil {
		t.Fatalf("%T: re-encoded %s rejected: %v", v, out, e)
	}
	if !reflect.DeepEqual(v, back) {
		t.Fatalf("%T: %+v re-decoded as %+v", v, v, back)
	}
	if bytes.Contains(out, []byte("\ufffd")) && !sentReplacement(body) {
		t.Fatalf("%T: %q decoded with a U+FFFD the client did not send: %s", v, body, out)
	}
}

// sentReplacement reports whether body itself holds U+FFFD, raw or
// escaped.
func sentReplacement(body []byte) bool {
	return bytes.Contains(body, []byte("\ufffd")) || strings.Contains(strings.ToLower(string(body)), `\ufffd`)
}

// noSurrogateEscape reports whether body certainly holds no UTF-16
// surrogate escape (\uD800 to \uDFFF), which the gateway rejects before
// looking at keys.
func noSurrogateEscape(body []byte) bool {
	return !strings.Contains(strings.ToLower(string(body)), `\ud`)
}

// jsonDepth is the deepest nesting of arrays and objects in valid JSON.
func jsonDepth(raw []byte) int {
	depth, deepest, inString := 0, 0, false
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case inString:
		case c == '[' || c == '{':
			depth++
			deepest = max(deepest, depth)
		case c == ']' || c == '}':
			depth--
		}
	}
	return deepest
}

// hasDuplicateKey is the fuzz test's own account of a repeated key (as
// encoding/json matches keys: case-insensitively) in valid JSON. It
// decodes level by level instead of walking tokens, so that it does not
// share the gateway's mistakes.
func hasDuplicateKey(raw []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return false
	}
	switch tok {
	case json.Delim('{'):
		var seen []string
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return false
			}
			key := k.(string)
			// encoding/json matches a key to a field by strings.EqualFold.
			if slices.ContainsFunc(seen, func(s string) bool { return strings.EqualFold(s, key) }) {
				return true
			}
			seen = append(seen, key)
			var val json.RawMessage
			if dec.Decode(&val) != nil {
				return false
			}
			if hasDuplicateKey(val) {
				return true
			}
		}
	case json.Delim('['):
		for dec.More() {
			var val json.RawMessage
			if dec.Decode(&val) != nil {
				return false
			}
			if hasDuplicateKey(val) {
				return true
			}
		}
	}
	return false
}
