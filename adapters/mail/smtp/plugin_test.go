package smtp_test

import (
	"testing"

	"github.com/switchboardhq/switchboard/adapters/mail/mailtest"
	"github.com/switchboardhq/switchboard/adapters/mail/smtp"
	"github.com/switchboardhq/switchboard/adapters/mail/smtp/smtpfake"
	"github.com/switchboardhq/switchboard/plugins/plugintest"
)

// The mail conformance suite against the same provider served out of
// process by a plugin (plugins/sdk over mail.v1), with the same fake. The
// fake's TLS certificate is trusted only in this process, so the plugin
// talks to it in plain SMTP.
func TestConformanceAsPlugin(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a plugin process per subtest")
	}
	t.Cleanup(plugintest.Cleanup)
	name := plugintest.RegisterAdapter(t, "mail", smtp.Name)
	mailtest.RunConformance(t, mailtest.Harness{Provider: name, Setup: func(t *testing.T) *mailtest.Fixture {
		fake := smtpfake.New(t, smtpfake.None)
		return &mailtest.Fixture{
			Options: fake.Options(),
			Sent:    fake.Sent,
			From:    smtpfake.From,
			Remote:  fake,
			Secrets: []string{fake.Password()},
		}
	}})
}
