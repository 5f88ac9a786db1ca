package jpush_test

import (
	"testing"

	"github.com/switchboardhq/switchboard/adapters/push/jpush"
	"github.com/switchboardhq/switchboard/adapters/push/pushtest"
	"github.com/switchboardhq/switchboard/plugins/plugintest"
)

// The push conformance suite against the same provider served out of
// process by a plugin (plugins/sdk over push.v1), with the same fake.
func TestConformanceAsPlugin(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a plugin process per subtest")
	}
	t.Cleanup(plugintest.Cleanup)
	pushtest.RunConformance(t, pushtest.Harness{Provider: plugintest.RegisterAdapter(t, "push", jpush.Name), Setup: setup})
}
