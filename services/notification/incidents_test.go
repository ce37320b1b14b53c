package notification

import (
	"fmt"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/config"
	"github.com/shoplab/shoplab/internal/events"
	"github.com/shoplab/shoplab/internal/incident"
	"github.com/shoplab/shoplab/internal/testkit"
	"github.com/shoplab/shoplab/internal/topology"
)

// TestMailServerIncidentsPileUpEmails: with the mail server slow or
// refusing, e-mails wait in the inbox and the pending gauge rises; once
// the incident is cleared they all go out and it falls back to zero.
func TestMailServerIncidentsPileUpEmails(t *testing.T) {
	tests := []struct {
		name     string
		incident string
		params   incident.Params
		smtp     bool
	}{
		{"slow, logged", incident.SMTPSlow, incident.Params{incident.ParamDelay: "3s"}, false},
		{"slow, over SMTP", incident.SMTPSlow, incident.Params{incident.ParamDelay: "3s"}, true},
		{"reject, logged", incident.SMTPReject, nil, false},
		{"reject, over SMTP", incident.SMTPReject, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := startBroker(t)
			set := incident.NewSet(topology.Notification)
			var smtp config.SMTP
			var mailbox *testkit.SMTPServer
			if tt.smtp {
				mailbox = testkit.StartSMTP(t, testkit.SMTPBehaviour{})
				smtp = smtpConfig(mailbox)
			}
			tel, rec := newRecordedTelemetry(t)
			s := startServiceWith(t, Options{
				Telemetry: tel, Brokers: b.Addrs(), SMTP: smtp, Incidents: set, Senders: 1,
				RetryBackoff: 50 * time.Millisecond, MaxRetryBackoff: 200 * time.Millisecond,
			})
			p := newProducer(t, b.Addrs())
			if err := set.On(tt.incident, tt.params); err != nil {
				t.Fatal(err)
			}
			const n = 3
			for i := range n {
				p.publish(t, events.TopicOrderPlaced, "user-1", orderEvent(t, fmt.Sprintf("evt-%d", i), fmt.Sprintf("order-%d", i)))
			}
			pending := func() float64 {
				return testkit.MetricValue(t, s.tel.Registry, "shoplab_notification_pending_emails", nil)
			}
			testkit.WaitMetric(t, s.tel.Registry, "shoplab_notification_pending_emails", nil, n-1, 20*time.Second)
			if tt.smtp && tt.incident == incident.SMTPReject && len(mailbox.Messages()) != 0 {
				t.Errorf("the mail server got %d e-mails while refusing", len(mailbox.Messages()))
			}

			set.Clear()
			testkit.WaitFor(t, 30*time.Second, "the pending e-mails to go out", func() error {
				if got := pending(); got != 0 {
					return fmt.Errorf("pending %v", got)
				}
				return nil
			})
			channel := channelLog
			if tt.smtp {
				channel = channelSMTP
			}
			ok := testkit.MetricValue(t, s.tel.Registry, "shoplab_notifications_sent_total", map[string]string{"channel": channel, "outcome": outcomeOK})
			if ok != n {
				t.Errorf("sent ok = %v, want %d", ok, n)
			}
			if tt.incident == incident.SMTPSlow && tt.smtp {
				slow := 0
				for _, sp := range rec.Ended() {
					if sp.Name() == "smtp send" && sp.EndTime().Sub(sp.StartTime()) >= 3*time.Second {
						slow++
					}
				}
				if slow == 0 {
					t.Error("no smtp send span shows the slow server")
				}
			}
		})
	}
}
