package notification

import (
	"net"
	"strconv"

	"github.com/shoplab/shoplab/internal/config"
	"github.com/shoplab/shoplab/internal/testkit"
)

// smtpConfig is the SMTP configuration that sends to s.
func smtpConfig(s *testkit.SMTPServer) config.SMTP {
	host, port, _ := net.SplitHostPort(s.Addr())
	p, _ := strconv.Atoi(port)
	return config.SMTP{Host: host, Port: p, From: "ShopEase <orders@shopease.test>"}
}
