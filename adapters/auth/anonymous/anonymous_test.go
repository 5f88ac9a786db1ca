package anonymous_test

import (
	"crypto/rand"
	"testing"

	"github.com/switchboardhq/switchboard/adapters/auth/anonymous"
	"github.com/switchboardhq/switchboard/adapters/auth/authtest"
)

func TestConformance(t *testing.T) {
	authtest.RunConformance(t, authtest.Harness{
		Provider: anonymous.Name,
		Setup: func(t *testing.T) *authtest.Fixture {
			return &authtest.Fixture{
				Tokenless: true,
				Valid: map[string]func(*testing.T) (map[string]any, string){
					"uuid": func(*testing.T) (map[string]any, string) {
						id := rand.Text()
						return map[string]any{"id": id}, id
					},
				},
			}
		},
	})
}
