package testkit

import (
	"errors"
	"net"
	"net/smtp"
	"net/textproto"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// testMail has the shop's event headers and a line that starts with a
// dot, which net/smtp stuffs and the server must unstuff.
const testMail = "X-Event-Id: evt-1\r\nMessage-Id: <m1@shop.test>\r\nSubject: hi\r\n\r\nbody\r\n.dot line\r\n"

// sendCode sends testMail with net/smtp and returns the reply code of
// the refusal, or 0 when the server took it.
func sendCode(t *testing.T, s *SMTPServer, to ...string) int {
	t.Helper()
	err := smtp.SendMail(s.Addr(), nil, "shop@shop.test", to, []byte(testMail))
	if err == nil {
		return 0
	}
	var tpErr *textproto.Error
	if !errors.As(err, &tpErr) {
		t.Fatalf("send to %v: %v, want an SMTP reply", to, err)
	}
	return tpErr.Code
}

func TestSMTPServerBehaviour(t *testing.T) {
	const ada, bob = "ada@example.com", "bob@example.com"
	tests := []struct {
		name      string
		b         SMTPBehaviour
		to        [][]string // one send per entry
		wantCodes []int      // each send's refusal code, 0 for taken
		wantTo    [][]string // To of each accepted message
		wantRcpts int        // RCPT TO ada seen
	}{
		{
			name:      "accepts every message",
			to:        [][]string{{ada, bob}, {ada}},
			wantCodes: []int{0, 0},
			wantTo:    [][]string{{ada, bob}, {ada}},
			wantRcpts: 2,
		},
		{
			name:      "refuses the first MAIL commands",
			b:         SMTPBehaviour{RefuseMail: 2},
			to:        [][]string{{ada}, {ada}, {ada}},
			wantCodes: []int{451, 451, 0},
			wantTo:    [][]string{{ada}},
			wantRcpts: 1,
		},
		{
			name:      "rejects an address",
			b:         SMTPBehaviour{Reject: map[string]string{ada: "550 5.1.1 no such user"}},
			to:        [][]string{{ada}, {bob}, {ada}},
			wantCodes: []int{550, 0, 550},
			wantTo:    [][]string{{bob}},
			wantRcpts: 2,
		},
		{
			name:      "defers an address a number of times",
			b:         SMTPBehaviour{DeferRcpt: map[string]int{ada: 2}},
			to:        [][]string{{ada}, {bob}, {ada}, {ada}},
			wantCodes: []int{451, 0, 451, 0},
			wantTo:    [][]string{{bob}, {ada}},
			wantRcpts: 3,
		},
		{
			name:      "defers an address always",
			b:         SMTPBehaviour{DeferRcpt: map[string]int{ada: -1}},
			to:        [][]string{{ada}, {ada}, {ada}},
			wantCodes: []int{451, 451, 451},
			wantRcpts: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := StartSMTP(t, tt.b)
			var codes []int
			for _, to := range tt.to {
				codes = append(codes, sendCode(t, s, to...))
			}
			if !slices.Equal(codes, tt.wantCodes) {
				t.Errorf("reply codes %v, want %v", codes, tt.wantCodes)
			}
			msgs := s.Messages()
			if len(msgs) != len(tt.wantTo) {
				t.Fatalf("%d messages, want %d", len(msgs), len(tt.wantTo))
			}
			for i, m := range msgs {
				if m.From != "shop@shop.test" || !slices.Equal(m.To, tt.wantTo[i]) || m.Run != 0 {
					t.Errorf("message %d: from %q to %q run %d, want from shop@shop.test to %q run 0", i, m.From, m.To, m.Run, tt.wantTo[i])
				}
			}
			if n := len(s.RcptTimes(ada)); n != tt.wantRcpts {
				t.Errorf("%d RCPT TO %s, want %d", n, ada, tt.wantRcpts)
			}
		})
	}
}

func TestSMTPMessage(t *testing.T) {
	s := StartSMTP(t, SMTPBehaviour{})
	if code := sendCode(t, s, "ada@example.com"); code != 0 {
		t.Fatalf("refused with %d", code)
	}
	if code := sendCode(t, s, "bob@example.com"); code != 0 {
		t.Fatalf("refused with %d", code)
	}
	got := s.MessagesTo("ada@example.com")
	if len(got) != 1 {
		t.Fatalf("%d messages to ada, want 1", len(got))
	}
	if want := "X-Event-Id: evt-1\nMessage-Id: <m1@shop.test>\nSubject: hi\n\nbody\n.dot line\n"; string(got[0].Data) != want {
		t.Errorf("data %q, want %q", got[0].Data, want)
	}
	h := got[0].Header()
	if h.Get("X-Event-Id") != "evt-1" || h.Get("Message-Id") != "<m1@shop.test>" {
		t.Errorf("header %v, want the event and message IDs", h)
	}
	if h := (SMTPMessage{Data: []byte("no header")}).Header(); h.Get("X-Event-Id") != "" {
		t.Errorf("header of an unparsable message %v, want none", h)
	}
}

// TestSMTPServerStalls checks that a stalled reply never comes: the
// client's call ends only when the test that started the server ends and
// the server hangs up, with an error that is no SMTP reply.
func TestSMTPServerStalls(t *testing.T) {
	tests := []struct {
		name string
		b    SMTPBehaviour
		// prepare runs the session up to the command that stalls.
		prepare func(t *testing.T, c *smtp.Client)
		stalled func(c *smtp.Client) error
		// read reports whether the server has read the stalled command.
		read func(s *SMTPServer) bool
	}{
		{
			name: "RCPT TO a stalled address",
			b:    SMTPBehaviour{Stall: map[string]bool{"slow@example.com": true}},
			prepare: func(t *testing.T, c *smtp.Client) {
				if err := c.Rcpt("ada@example.com"); err != nil {
					t.Fatalf("RCPT TO a fine address: %v", err)
				}
			},
			stalled: func(c *smtp.Client) error { return c.Rcpt("slow@example.com") },
			read:    func(s *SMTPServer) bool { return len(s.RcptTimes("slow@example.com")) == 1 },
		},
		{
			name: "QUIT",
			b:    SMTPBehaviour{StallQuit: true},
			prepare: func(t *testing.T, c *smtp.Client) {
				if err := c.Rcpt("ada@example.com"); err != nil {
					t.Fatalf("RCPT: %v", err)
				}
				w, err := c.Data()
				if err != nil {
					t.Fatalf("DATA: %v", err)
				}
				w.Write([]byte(testMail))
				if err := w.Close(); err != nil {
					t.Fatalf("end of DATA: %v", err)
				}
			},
			stalled: func(c *smtp.Client) error { return c.Quit() },
			// The server shows no sign of having read QUIT; the message
			// taken before it is the last there is.
			read: func(s *SMTPServer) bool { return len(s.Messages()) == 1 },
		},
	}
	for _, tt := range tests {
		errc := make(chan error, 1)
		t.Run(tt.name, func(t *testing.T) {
			s := StartSMTP(t, tt.b)
			c, err := smtp.Dial(s.Addr())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			if err := c.Mail("shop@shop.test"); err != nil {
				t.Fatalf("MAIL: %v", err)
			}
			tt.prepare(t, c)
			go func() { errc <- tt.stalled(c) }()
			WaitFor(t, time.Minute, "the server to read the stalled command", func() bool { return tt.read(s) })
			// A wrong server's answer gets a moment to arrive; a right
			// one never answers, so the wait cannot fail the test.
			select {
			case err := <-errc:
				errc <- err
			case <-time.After(200 * time.Millisecond):
			}
		})
		if t.Failed() {
			return
		}
		// The subtest's cleanup has stopped the server.
		select {
		case err := <-errc:
			var tpErr *textproto.Error
			if err == nil || errors.As(err, &tpErr) {
				t.Errorf("%s: the stalled command was answered (%v), want a hang-up", tt.name, err)
			}
		case <-time.After(time.Minute):
			t.Fatalf("%s: the stalled command still waits after the server stopped", tt.name)
		}
	}
}

func TestSMTPServerDelay(t *testing.T) {
	const d = 300 * time.Millisecond
	s := StartSMTP(t, SMTPBehaviour{})
	s.SetDelay(d)
	start := time.Now()
	c, err := smtp.Dial(s.Addr()) // reads the greeting
	if err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < d {
		t.Errorf("greeting after %s, want at least %s", waited, d)
	}
	c.Close()
	s.SetDelay(0)
	if code := sendCode(t, s, "ada@example.com"); code != 0 {
		t.Fatalf("refused with %d", code)
	}
	// A session still waiting for its greeting ends with the test, not
	// after its delay: the subtest would otherwise take an hour.
	t.Run("stop while waiting", func(t *testing.T) {
		s := StartSMTP(t, SMTPBehaviour{})
		s.SetDelay(time.Hour)
		c, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		WaitFor(t, time.Minute, "the session to open", func() bool {
			s.mu.Lock()
			defer s.mu.Unlock()
			return s.open[0] == 1
		})
	})
}

func TestSMTPServerRuns(t *testing.T) {
	s := StartSMTP(t, SMTPBehaviour{})
	if code := sendCode(t, s, "first@example.com"); code != 0 {
		t.Fatalf("refused with %d", code)
	}
	// A session of run 0 stays open while NextRun waits.
	old, err := smtp.Dial(s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if err := old.Hello("localhost"); err != nil {
		t.Fatal(err)
	}
	var closing atomic.Bool // set before old ends; read once NextRun returns
	next := make(chan bool)
	go func() {
		s.NextRun(t)
		next <- closing.Load()
	}()
	if err := old.Mail("shop@shop.test"); err != nil {
		t.Fatal(err)
	}
	if err := old.Rcpt("old@example.com"); err != nil {
		t.Fatal(err)
	}
	w, err := old.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(testMail))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	closing.Store(true)
	if err := old.Quit(); err != nil {
		t.Fatal(err)
	}
	if !<-next {
		t.Fatal("NextRun returned while a session of the run was open")
	}
	if code := sendCode(t, s, "second@example.com"); code != 0 {
		t.Fatalf("refused with %d", code)
	}
	var runs []int
	for _, m := range s.Messages() {
		runs = append(runs, m.Run)
	}
	if want := []int{0, 0, 1}; !slices.Equal(runs, want) {
		t.Errorf("runs %v, want %v", runs, want)
	}
}
