package notification

import (
	"context"
	"net/textproto"

	"github.com/shoplab/shoplab/internal/incident"
)

// mailServerTrouble is what the lab's mail-server incidents make of a send
// before it reaches the server: a slow server's delay (smtp-slow), or a
// transient refusal (smtp-reject), which the sender retries with backoff
// as it would a real 451. It returns ctx's error if ctx ends first.
func (s *Service) mailServerTrouble(ctx context.Context) error {
	if err := incident.Wait(ctx, s.incidents.SMTPDelay()); err != nil {
		return err
	}
	if s.incidents.SMTPReject() {
		return &smtpError{stageMail, &textproto.Error{Code: 451, Msg: "4.3.0 Temporary local problem, please try again later"}}
	}
	return nil
}
