package notification

import (
	"context"
	"errors"
	"fmt"
	"net/textproto"
	"os"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	reply := func(code int) error { return &textproto.Error{Code: code, Msg: "x"} }
	tests := []struct {
		name string
		err  error
		want failure
	}{
		{"unknown recipient", &smtpError{stageRcpt, reply(550)}, failure{permanent: true, reasonClass: reasonRecipientRejected}},
		{"wrapped", fmt.Errorf("send: %w", &smtpError{stageRcpt, reply(553)}), failure{permanent: true, reasonClass: reasonRecipientRejected}},
		{"message refused", &smtpError{stageData, reply(554)}, failure{permanent: true, reasonClass: reasonMessageRejected}},
		{"greylisted", &smtpError{stageRcpt, reply(451)}, failure{}},
		{"mailbox busy at DATA", &smtpError{stageData, reply(450)}, failure{}},
		{"sender refused", &smtpError{stageMail, reply(553)}, failure{serverRefuses: true}},
		{"login refused", &smtpError{stageAuth, reply(535)}, failure{serverRefuses: true}},
		{"server refuses us", &smtpError{stageGreeting, reply(554)}, failure{serverRefuses: true}},
		{"connection refused", &smtpError{stageDial, errors.New("connect: connection refused")}, failure{}},
		{"timeout", &smtpError{stageRcpt, os.ErrDeadlineExceeded}, failure{}},
		{"context deadline", context.DeadlineExceeded, failure{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classify(tt.err); got != tt.want {
				t.Errorf("classify(%v) = %+v, want %+v", tt.err, got, tt.want)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	s := &Service{retryBackoff: time.Second, maxRetryBackoff: 10 * time.Second}
	for attempts, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 5: 10 * time.Second, 1000: 10 * time.Second} {
		if got := s.backoff(attempts); got != want {
			t.Errorf("backoff(%d) = %v, want %v", attempts, got, want)
		}
	}
}
