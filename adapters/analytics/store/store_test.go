package store_test

import (
	"testing"

	"github.com/switchboardhq/switchboard/adapters/analytics/analyticstest"
	"github.com/switchboardhq/switchboard/core"
)

func TestConformance(t *testing.T) {
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			analyticstest.RunConformance(t, analyticstest.Harness{Provider: "store", Env: func(t *testing.T) core.ProviderEnv {
				return core.ProviderEnv{Store: s.open(t)}
			}})
		})
	}
}
