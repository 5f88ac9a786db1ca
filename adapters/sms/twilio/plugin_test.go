package twilio_test

import (
	"testing"

	"github.com/switchboardhq/switchboard/adapters/sms/smstest"
	"github.com/switchboardhq/switchboard/adapters/sms/twilio"
	"github.com/switchboardhq/switchboard/plugins/plugintest"
)

// The sms conformance suite against the same provider served out of
// process by a plugin (plugins/sdk over sms.v1), with the same fake.
func TestConformanceAsPlugin(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a plugin process per subtest")
	}
	t.Cleanup(plugintest.Cleanup)
	smstest.RunConformance(t, smstest.Harness{Provider: plugintest.RegisterAdapter(t, "sms", twilio.Name), Setup: setup})
}
