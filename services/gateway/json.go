package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"reflect"
	"strings"
)

// maxBodyBytes bounds a request body: no API request comes near it.
const maxBodyBytes = 1 << 20

// decodeJSON reads r's body, which must be exactly one JSON object of v's
// shape, into v. Each way a body can be wrong gets its own code.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) *apiError {
	if err := requireJSON(r); err != nil {
		return err
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			// A client that trickles its body must not keep the
			// connection for another request.
			w.Header().Set("Connection", "close")
		}
		return readError(err)
	}
	// encoding/json would take these without a word and change them, so
	// they are checked on the raw text first.
	if e := checkJSONText(raw); e != nil {
		return e
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	// A second value, or garbage, after the object is a malformed body,
	// not something to ignore silently.
	var extra json.RawMessage
	if err := dec.Decode(&extra); errors.Is(err, io.EOF) {
		return nil
	}
	return &apiError{Status: http.StatusBadRequest, Code: CodeInvalidJSON, Message: "unexpected data after the JSON object"}
}

// readError answers for a body that could not be read in full.
func readError(err error) *apiError {
	switch {
	case isTooLarge(err):
		return &apiError{Status: http.StatusRequestEntityTooLarge, Code: CodeBodyTooLarge, Message: fmt.Sprintf("request body is larger than %d bytes", maxBodyBytes)}
	case errors.Is(err, os.ErrDeadlineExceeded):
		return &apiError{Status: http.StatusRequestTimeout, Code: CodeRequestTimeout, Message: "the request body did not arrive in time", Cause: err}
	}
	return &apiError{Status: http.StatusBadRequest, Code: CodeInvalidJSON, Message: "request body could not be read in full", Cause: err}
}

func requireJSON(r *http.Request) *apiError {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && mt == "application/json" {
		return nil
	}
	if ct == "" {
		ct = "none"
	}
	return &apiError{
		Status:  http.StatusUnsupportedMediaType,
		Code:    CodeUnsupportedMediaType,
		Message: fmt.Sprintf("Content-Type must be application/json (got %s)", ct),
	}
}

func isTooLarge(err error) bool {
	var tooLarge *http.MaxBytesError
	return errors.As(err, &tooLarge)
}

func decodeError(err error) *apiError {
	bad := func(code, msg string) *apiError {
		return &apiError{Status: http.StatusBadRequest, Code: code, Message: msg}
	}
	var (
		syntax  *json.SyntaxError
		typeErr *json.UnmarshalTypeError
	)
	switch {
	case errors.Is(err, io.EOF):
		return bad(CodeInvalidJSON, "request body is empty; want a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return bad(CodeInvalidJSON, "request body is truncated JSON")
	case errors.As(err, &syntax):
		return bad(CodeInvalidJSON, fmt.Sprintf("request body is not valid JSON (at byte %d): %s", syntax.Offset, strings.TrimPrefix(err.Error(), "json: ")))
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return bad(CodeInvalidJSON, "request body must be a JSON object")
		}
		return bad(CodeValidationFailed, fmt.Sprintf("field %q must be %s", typeErr.Field, jsonKind(typeErr.Type)))
	}
	// encoding/json reports an unknown field only as text.
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return bad(CodeUnknownField, "unknown field "+field)
	}
	return bad(CodeInvalidJSON, "request body is not valid JSON")
}

// jsonKind names the JSON type a Go type is decoded from.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	default:
		return "an object"
	}
}

// newline ends every JSON answer.
var newline = []byte{'\n'}

// writeJSON answers with v as JSON.
func writeJSON(log *slog.Logger, w http.ResponseWriter, r *http.Request, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Only a programming error gets here: every answer is a plain struct.
		log.ErrorContext(r.Context(), "encoding JSON answer", "error", err)
		status = http.StatusInternalServerError
		body = []byte(`{"error":{"code":"internal","message":"internal error"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	// Two writes into net/http's buffer rather than append(body, '\n'),
	// which copied the whole body once more.
	_, err = w.Write(body)
	if err == nil {
		_, err = w.Write(newline)
	}
	if err != nil {
		log.DebugContext(r.Context(), "writing answer", "error", err)
	}
}
