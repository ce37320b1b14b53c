package load

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"strconv"
)

// writeRequest writes req in HTTP/1.1 form, as net/http's Request.Write
// would for the requests the engine builds, without the sorting and
// allocations Request.Write spends on the general case. The body, whose
// length must be known, is closed once written.
func writeRequest(bw *bufio.Writer, req *http.Request) error {
	defer closeBody(req)
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	bw.WriteString(req.Method)
	bw.WriteByte(' ')
	bw.WriteString(req.URL.RequestURI())
	bw.WriteString(" HTTP/1.1\r\nHost: ")
	bw.WriteString(host)
	bw.WriteString("\r\n")
	for k, vs := range req.Header {
		for _, v := range vs {
			if !validFieldValue(v) {
				return fmt.Errorf("header %s: the value %q has a control character", k, v)
			}
			bw.WriteString(k)
			bw.WriteString(": ")
			bw.WriteString(v)
			bw.WriteString("\r\n")
		}
	}
	hasBody := req.Body != nil && req.Body != http.NoBody
	if hasBody && req.ContentLength < 0 {
		return errors.New("a request body of unknown length")
	}
	if hasBody || req.ContentLength > 0 || req.Method == http.MethodPost || req.Method == http.MethodPut || req.Method == http.MethodPatch {
		var num [20]byte
		bw.WriteString("Content-Length: ")
		bw.Write(strconv.AppendInt(num[:0], req.ContentLength, 10))
		bw.WriteString("\r\n")
	}
	if _, err := bw.WriteString("\r\n"); err != nil {
		return err
	}
	if !hasBody {
		return nil
	}
	n, err := io.Copy(bw, io.LimitReader(req.Body, req.ContentLength))
	if err == nil && n != req.ContentLength {
		err = fmt.Errorf("the request body has %d bytes, not its ContentLength %d", n, req.ContentLength)
	}
	return err
}

// validFieldValue reports whether v may be sent as a header value: no
// control character but tab, so that no value can start a header of its
// own (what net/http checks too).
func validFieldValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if b := v[i]; (b < ' ' && b != '\t') || b == 0x7f {
			return false
		}
	}
	return true
}

var errMalformed = errors.New("malformed HTTP response")

// readResponse reads an answer's status and headers from c; its body is
// read through the returned Response, which gives c back to t when the
// body is closed at its end. Only what the engine reads is filled in:
// StatusCode, Proto, Close, ContentLength and Body (Status and Header
// stay empty: filling them would cost allocations nobody reads).
func readResponse(c *pconn, t *connTransport, head bool) (*http.Response, error) {
	for answered := false; ; answered = true {
		line, err := readLine(c.br)
		if err != nil {
			return nil, cutShort(err, answered)
		}
		if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
			return nil, fmt.Errorf("%w: status line %q", errMalformed, line)
		}
		code, err := strconv.Atoi(string(line[9:12]))
		if err != nil || code < 100 {
			return nil, fmt.Errorf("%w: status line %q", errMalformed, line)
		}
		resp := &http.Response{
			StatusCode: code, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			ContentLength: -1, Close: line[7] == '0',
		}
		chunked := false
		for {
			h, err := readLine(c.br)
			if err != nil {
				return nil, cutShort(err, true)
			}
			if len(h) == 0 {
				break
			}
			k, v, ok := bytes.Cut(h, []byte(":"))
			if !ok {
				return nil, fmt.Errorf("%w: header line %q", errMalformed, h)
			}
			v = bytes.TrimSpace(v)
			switch {
			case asciiEqualFold(k, "content-length"):
				n, err := strconv.ParseInt(string(v), 10, 64)
				if err != nil || n < 0 {
					return nil, fmt.Errorf("%w: Content-Length %q", errMalformed, v)
				}
				resp.ContentLength = n
			case asciiEqualFold(k, "transfer-encoding"):
				chunked = !asciiEqualFold(v, "identity")
			case asciiEqualFold(k, "connection"):
				if asciiEqualFold(v, "close") {
					resp.Close = true
				} else if asciiEqualFold(v, "keep-alive") && line[7] == '0' {
					resp.Close = false
				}
			}
		}
		if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
			continue // an interim answer (100 Continue, 103 Early Hints): the real one follows
		}
		b := &connBody{c: c, t: t, keep: !resp.Close}
		switch {
		case head || code == http.StatusNoContent || code == http.StatusNotModified || code < 200:
			resp.ContentLength = 0
			b.r = http.NoBody
		case chunked:
			resp.ContentLength = -1
			b.r, b.chunked = httputil.NewChunkedReader(c.br), true
		case resp.ContentLength >= 0:
			c.lr = io.LimitedReader{R: c.br, N: resp.ContentLength}
			b.r = &c.lr
		default: // the body ends when the server closes the connection
			b.r, b.keep = c.br, false
		}
		resp.Body = b
		return resp, nil
	}
}

// cutShort turns the end of the connection inside an answer into
// io.ErrUnexpectedEOF: only an io.EOF before any byte of an answer means
// the server did not answer (see unanswered).
func cutShort(err error, answered bool) error {
	if answered && err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// readLine reads one line, without its CRLF; the slice is valid until
// the next read. A line the connection's end cut short is
// io.ErrUnexpectedEOF.
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("%w: a line longer than %d bytes", errMalformed, br.Size())
	}
	if err != nil {
		return nil, cutShort(err, len(line) > 0)
	}
	return bytes.TrimRight(line, "\r\n"), nil
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// connBody gives the connection back once the answer was read to its end
// and closed; an answer cut short, or broken, closes the connection.
type connBody struct {
	r       io.Reader
	c       *pconn
	t       *connTransport
	chunked bool
	keep    bool
	eof     bool
	closed  bool
}

func (b *connBody) Read(p []byte) (int, error) {
	if b.closed {
		return 0, errors.New("read on a closed response body")
	}
	if b.eof {
		return 0, io.EOF
	}
	n, err := b.r.Read(p)
	switch {
	case err == io.EOF && b.r == &b.c.lr && b.c.lr.N > 0:
		// The server closed the connection inside the body.
		b.keep = false
		err = io.ErrUnexpectedEOF
	case err == io.EOF:
		b.eof = true
		if b.chunked {
			// The chunked reader stops at the last chunk; the trailer
			// and the empty line after it belong to this answer.
			if terr := skipTrailer(b.c.br); terr != nil {
				b.keep = false
				return n, terr
			}
		}
	case err != nil:
		b.keep = false
	}
	return n, err
}

func skipTrailer(br *bufio.Reader) error {
	for {
		line, err := readLine(br)
		if err != nil {
			return err
		}
		if len(line) == 0 {
			return nil
		}
	}
}

// Close gives the connection back when the answer was read to its end
// (what is left of a short one is read first); otherwise it closes it.
func (b *connBody) Close() error {
	if b.closed {
		return nil
	}
	if !b.eof && b.keep {
		// Read the rest, as net/http's body does, so that the
		// connection is at the next answer's start.
		if _, err := io.Copy(io.Discard, b); err != nil {
			b.keep = false
		}
	}
	b.closed = true
	if b.keep && b.eof {
		b.t.put(b.c)
	} else {
		b.t.discard(b.c)
	}
	return nil
}
