package doctor

import (
	"context"
	"fmt"
	"strings"

	"github.com/shoplab/shoplab/internal/compose"
	"github.com/shoplab/shoplab/internal/topology"
)

// The notification service's log messages the e-mail checks look for
// (services/notification/sender.go, mail.go; internal/events/consumer.go).
const (
	msgEmailSent   = "e-mail sent"
	msgEmailLogged = "email logged (no SMTP_HOST set)"
)

// notificationStory is what notification's log says it did with the
// probe's order.placed.
type notificationStory struct {
	sent    bool
	channel string
	logged  bool
	failure string
}

func (d *Doctor) notificationStory(p *Probe) notificationStory {
	lines, _ := d.traceLines(topology.Notification, p.TraceID, p.logOffsets[topology.Notification])
	var s notificationStory
	for _, l := range lines {
		switch {
		case l.Msg == msgEmailSent:
			s.sent, s.channel = true, l.Channel
		case l.Msg == msgEmailLogged:
			s.logged = true
		case (l.Level == "WARN" || l.Level == "ERROR") && l.Error != "":
			s.failure = l.Msg + ": " + l.Error
		}
	}
	return s
}

func (d *Doctor) checkMailpit(ctx context.Context, p *Probe) Result {
	msgs, err := d.mailpitSearch(ctx, "to:"+p.Email)
	if err != nil {
		return Result{
			Status:   Fail,
			Expected: "Mailpit's HTTP API at " + d.cfg.MailpitURL,
			Found:    err.Error(),
			Cause:    "Mailpit is down, or not at this URL",
			Fix:      "docker compose -p " + compose.Project + " logs mailpit; SHOPLAB_MAILPIT_URL",
		}
	}
	for _, m := range msgs {
		if !strings.Contains(m.Subject, p.OrderID) {
			continue
		}
		found := fmt.Sprintf("%q to %s", m.Subject, p.Email)
		if h, err := d.mailpitHeaders(ctx, m.ID); err == nil {
			switch got := strings.Join(h["X-Trace-Id"], ","); got {
			case p.TraceID:
				found += "; X-Trace-Id is the probe's trace"
			case "":
				found += "; no X-Trace-Id header"
			default:
				found += "; X-Trace-Id " + got + " is not the probe's trace: the trace broke on the way to notification"
			}
		}
		return Result{Status: Pass, Found: found}
	}
	r := Result{
		Status:   Waiting,
		Expected: fmt.Sprintf("an e-mail to %s whose subject names order %s", p.Email, p.OrderID),
		Found:    fmt.Sprintf("no such e-mail in Mailpit (%d to that address)", len(msgs)),
	}
	if len(msgs) > 0 {
		var subjects []string
		for _, m := range msgs {
			subjects = append(subjects, fmt.Sprintf("%q", m.Subject))
		}
		r.Found += ": " + strings.Join(subjects, ", ")
	}
	story := d.notificationStory(p)
	switch {
	case story.logged:
		r.Cause = "notification runs without SMTP_HOST: it only logs e-mails (" + d.logPath(topology.Notification) + ")"
		r.Fix = "run the services with SMTP_HOST=localhost SMTP_PORT=1025 (shoplab up sets them)"
	case story.sent:
		r.Cause = fmt.Sprintf("notification sent it over %s to %s (%s says so), but Mailpit has no such message: SMTP_HOST and SMTP_PORT point at another server than Mailpit's SMTP port",
			story.channel, d.cfg.SMTPAddr, d.logPath(topology.Notification))
		r.Fix = "the services' SMTP_HOST and SMTP_PORT; docker compose -p " + compose.Project + " logs mailpit"
	case story.failure != "":
		r.Cause = "notification could not send it: " + story.failure
		r.Fix = fmt.Sprintf("grep %s %s; docker compose -p %s logs mailpit", p.TraceID, d.logPath(topology.Notification), compose.Project)
	default:
		r.Cause = "notification has not handled the probe's order.placed yet: the outbox relay publishes it to Kafka, notification consumes it"
		r.Fix = fmt.Sprintf("grep %s %s %s; shoplab_kafka_consumer_lag on %s; docker compose -p %s logs kafka",
			p.TraceID, d.logPath(topology.Orders), d.logPath(topology.Notification), endpoint(d.cfg.Services, topology.Notification).MetricsURL, compose.Project)
	}
	return r
}
