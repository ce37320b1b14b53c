package notification

import (
	"errors"
	"net/textproto"
)

// SMTP conversation steps, as smtpSend names them in its errors.
const (
	stageDial     = "dial"
	stageGreeting = "greeting"
	stageStartTLS = "STARTTLS"
	stageAuth     = "AUTH"
	stageMail     = "MAIL FROM"
	stageRcpt     = "RCPT TO"
	stageData     = "DATA"
)

// Reason classes of dead letters: the shoplab_notification_dead_letters_total
// label, a fixed set.
const (
	reasonRecipientRejected = "recipient_rejected"
	reasonMessageRejected   = "message_rejected"
)

var reasonClasses = []string{reasonRecipientRejected, reasonMessageRejected}

// smtpError is a failure at one step of the SMTP conversation.
type smtpError struct {
	stage string
	err   error
}

func (e *smtpError) Error() string { return "smtp " + e.stage + ": " + e.err.Error() }
func (e *smtpError) Unwrap() error { return e.err }

// failure says what a failed send means for the e-mail.
type failure struct {
	// permanent failures are dead-lettered: sending again would get the
	// same answer.
	permanent bool
	// reasonClass is one of reasonClasses when permanent.
	reasonClass string
	// serverRefuses marks a 5xx that is not about this e-mail (the server
	// refuses our greeting, login or sender). Every e-mail would get it,
	// so dead-lettering would throw all of them away: it is retried like
	// a transient failure, but logged as an error, as it needs a person.
	serverRefuses bool
}

// classify reads a send error. Only a 5xx reply to the recipient or to the
// message itself condemns the e-mail; 4xx replies, timeouts and network
// errors are transient.
func classify(err error) failure {
	var reply *textproto.Error
	if !errors.As(err, &reply) || reply.Code < 500 || reply.Code > 599 {
		return failure{}
	}
	var se *smtpError
	if errors.As(err, &se) {
		switch se.stage {
		case stageRcpt:
			return failure{permanent: true, reasonClass: reasonRecipientRejected}
		case stageData:
			return failure{permanent: true, reasonClass: reasonMessageRejected}
		}
	}
	return failure{serverRefuses: true}
}
