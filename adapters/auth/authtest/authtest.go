// Package authtest is the conformance suite for authData providers
// (core.AuthDataProvider). Every provider under adapters/auth runs it from
// a harness that points the provider at local fakes (see authfake):
//
//	func TestConformance(t *testing.T) {
//		authtest.RunConformance(t, authtest.Harness{Provider: "github", Setup: setup})
//	}
//
// The suite checks the contract of core.AuthDataProvider: valid authData
// gives the id and the data to store, which never holds a one-time code;
// missing fields are 250; a wrong id, an invalid token and every other
// rejection are 251; an unreachable or failing provider is 100, so clients
// can retry; unknown options fail to open; validations may run
// concurrently; the caller's authData is never changed; errors never repeat
// a token or code.
package authtest

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/switchboardhq/switchboard/core"
)

// Harness describes one provider to the suite.
type Harness struct {
	// Provider is the name the provider registers in core.AuthProviders.
	Provider string
	// Setup starts fresh fakes for one subtest and describes them. It is
	// called once per subtest, so state (used codes, outages) never leaks
	// between subtests.
	Setup func(t *testing.T) *Fixture
}

// Fixture is one provider configuration with the authData to try on it.
type Fixture struct {
	// Options is the provider's config section.
	Options map[string]any
	// Valid are the accepted forms of authData by name ("id_token",
	// "access_token", "code"). Each call returns fresh authData, which must
	// validate to id, and every key of which is required.
	Valid map[string]func(t *testing.T) (authData map[string]any, id string)
	// Tokenless marks a provider that checks no credential (anonymous):
	// the wrong-id, outage and cancellation checks do not apply.
	Tokenless bool
	// Invalid are authData the provider must reject with 251, by name
	// ("expired", "forged", "other audience", "revoked").
	Invalid map[string]func(t *testing.T) map[string]any
	// Outages make the provider's remote side fail, by name ("down",
	// "503", "busy"); validation must then fail with 100.
	Outages map[string]func()
	// Rotate, if set, makes the provider sign with a new key; tokens
	// signed with it must validate on a provider already in use.
	Rotate func()
	// OneTimeKeys are authData keys holding one-time secrets ("code")
	// that must never be returned for storage.
	OneTimeKeys []string
}

// RunConformance runs the suite.
func RunConformance(t *testing.T, h Harness) {
	t.Helper()
	if h.Provider == "" || h.Setup == nil {
		t.Fatal("authtest: Harness needs Provider and Setup")
	}
	t.Run("Open", func(t *testing.T) { testOpen(t, h) })
	t.Run("Valid", func(t *testing.T) { testValid(t, h) })
	t.Run("Missing", func(t *testing.T) { testMissing(t, h) })
	t.Run("WrongID", func(t *testing.T) { testWrongID(t, h) })
	t.Run("Invalid", func(t *testing.T) { testInvalid(t, h) })
	t.Run("Outage", func(t *testing.T) { testOutage(t, h) })
	t.Run("Rotate", func(t *testing.T) { testRotate(t, h) })
	t.Run("Canceled", func(t *testing.T) { testCanceled(t, h) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, h) })
}

// Open opens the provider from options, failing the test on error.
func Open(t *testing.T, provider string, options map[string]any) core.AuthDataProvider {
	t.Helper()
	open, err := core.AuthProviders.Lookup(provider)
	if err != nil {
		t.Fatal(err)
	}
	p, err := open(context.Background(), core.ProviderEnv{Options: options})
	if err != nil {
		t.Fatalf("open %s with %v: %v", provider, options, err)
	}
	if p == nil {
		t.Fatalf("open %s returned a nil provider", provider)
	}
	return p
}

// WantCode fails the test unless err is a *core.Error with code.
func WantCode(t *testing.T, err error, code core.Code) {
	t.Helper()
	if !core.IsCode(err, code) {
		t.Fatalf("got error %v, want code %d", err, code)
	}
}

func setup(t *testing.T, h Harness) (*Fixture, core.AuthDataProvider) {
	t.Helper()
	fx := h.Setup(t)
	if len(fx.Valid) == 0 {
		t.Fatal("authtest: Fixture needs at least one Valid form")
	}
	return fx, Open(t, h.Provider, fx.Options)
}

// forms runs fn for each valid form, sorted by name.
func forms(t *testing.T, fx *Fixture, fn func(t *testing.T, valid func(t *testing.T) (map[string]any, string))) {
	for _, name := range slices.Sorted(maps.Keys(fx.Valid)) {
		t.Run(name, func(t *testing.T) { fn(t, fx.Valid[name]) })
	}
}

// validate runs Validate and checks that it left authData alone.
func validate(t *testing.T, p core.AuthDataProvider, ctx context.Context, authData map[string]any) (string, map[string]any, error) {
	t.Helper()
	before := maps.Clone(authData)
	id, stored, err := p.Validate(ctx, authData)
	if !reflect.DeepEqual(before, authData) {
		t.Errorf("Validate changed the caller's authData: %v -> %v", before, authData)
	}
	if err != nil && (id != "" || stored != nil) {
		t.Errorf("Validate returned id %q and stored %v with error %v", id, stored, err)
	}
	if err != nil {
		noSecrets(t, err, authData)
	}
	return id, stored, err
}

// noSecrets fails the test if err, which reaches logs and partly clients,
// repeats a token or code from authData.
func noSecrets(t *testing.T, err error, authData map[string]any) {
	t.Helper()
	for k, v := range authData {
		if s, ok := v.(string); ok && k != "id" && len(s) >= 8 && strings.Contains(err.Error(), s) {
			t.Errorf("error %q repeats authData.%s", err, k)
		}
	}
}

func testOpen(t *testing.T, h Harness) {
	fx, _ := setup(t, h)
	open, _ := core.AuthProviders.Lookup(h.Provider)
	opts := maps.Clone(fx.Options)
	if opts == nil {
		opts = map[string]any{}
	}
	opts["noSuchOption"] = true
	p, err := open(context.Background(), core.ProviderEnv{Options: opts})
	if err == nil {
		t.Fatalf("open with an unknown option succeeded (%T); want an error naming it", p)
	}
	if !strings.Contains(err.Error(), "noSuchOption") {
		t.Errorf("error %q does not name the unknown option", err)
	}
}

func testValid(t *testing.T, h Harness) {
	fx, p := setup(t, h)
	forms(t, fx, func(t *testing.T, valid func(*testing.T) (map[string]any, string)) {
		authData, want := valid(t)
		id, stored, err := validate(t, p, context.Background(), authData)
		if err != nil {
			t.Fatalf("Validate(%v): %v", authData, err)
		}
		if id != want {
			t.Errorf("id = %q, want %q", id, want)
		}
		if stored == nil {
			t.Fatal("stored authData is nil")
		}
		if got := fmt.Sprint(stored["id"]); got != want {
			t.Errorf("stored id = %q, want %q (stored %v)", got, want, stored)
		}
		for _, k := range fx.OneTimeKeys {
			secret, present := authData[k]
			if _, kept := stored[k]; kept {
				t.Errorf("stored authData keeps the one-time %q: %v", k, stored)
			}
			for sk, v := range stored {
				if present && reflect.DeepEqual(v, secret) {
					t.Errorf("stored authData keeps the one-time %q under %q", k, sk)
				}
			}
		}
		stored["injected"] = true // stored must not alias the caller's map
		if _, ok := authData["injected"]; ok {
			t.Error("stored authData is the caller's map")
		}
	})
}

func testMissing(t *testing.T, h Harness) {
	fx, p := setup(t, h)
	for _, authData := range []map[string]any{nil, {}} {
		_, _, err := validate(t, p, context.Background(), authData)
		WantCode(t, err, core.CodeLinkedIDMissing)
	}
	forms(t, fx, func(t *testing.T, valid func(*testing.T) (map[string]any, string)) {
		authData, _ := valid(t)
		for _, key := range slices.Sorted(maps.Keys(authData)) {
			for _, bad := range []struct {
				name  string
				value any
				drop  bool
			}{{"without", nil, true}, {"empty", "", false}, {"list", []any{"x"}, false}} {
				t.Run(bad.name+" "+key, func(t *testing.T) {
					fresh, _ := valid(t)
					if bad.drop {
						delete(fresh, key)
					} else {
						fresh[key] = bad.value
					}
					_, _, err := validate(t, p, context.Background(), fresh)
					WantCode(t, err, core.CodeLinkedIDMissing)
				})
			}
		}
	})
}

func testWrongID(t *testing.T, h Harness) {
	fx, p := setup(t, h)
	if fx.Tokenless {
		t.Skip("provider checks no credential")
	}
	forms(t, fx, func(t *testing.T, valid func(*testing.T) (map[string]any, string)) {
		authData, id := valid(t)
		authData["id"] = id + "1"
		_, _, err := validate(t, p, context.Background(), authData)
		WantCode(t, err, core.CodeInvalidLinkedSession)
	})
}

func testInvalid(t *testing.T, h Harness) {
	fx, p := setup(t, h)
	if len(fx.Invalid) == 0 && !fx.Tokenless {
		t.Fatal("authtest: a provider with credentials needs Invalid cases")
	}
	for _, name := range slices.Sorted(maps.Keys(fx.Invalid)) {
		t.Run(name, func(t *testing.T) {
			_, _, err := validate(t, p, context.Background(), fx.Invalid[name](t))
			WantCode(t, err, core.CodeInvalidLinkedSession)
		})
	}
}

func testOutage(t *testing.T, h Harness) {
	first := h.Setup(t)
	if first.Tokenless {
		t.Skip("provider calls no one")
	}
	if len(first.Outages) == 0 {
		t.Fatal("authtest: a provider with credentials needs Outages")
	}
	for _, name := range slices.Sorted(maps.Keys(first.Outages)) {
		t.Run(name, func(t *testing.T) {
			fx, p := setup(t, h) // a fresh provider: no cached keys
			fx.Outages[name]()
			forms(t, fx, func(t *testing.T, valid func(*testing.T) (map[string]any, string)) {
				authData, _ := valid(t)
				_, _, err := validate(t, p, context.Background(), authData)
				WantCode(t, err, core.CodeConnectionFailed)
			})
		})
	}
}

func testRotate(t *testing.T, h Harness) {
	fx, p := setup(t, h)
	if fx.Rotate == nil {
		t.Skip("provider signs no tokens")
	}
	forms(t, fx, func(t *testing.T, valid func(*testing.T) (map[string]any, string)) {
		authData, _ := valid(t)
		if _, _, err := validate(t, p, context.Background(), authData); err != nil {
			t.Fatalf("before rotation: %v", err)
		}
	})
	fx.Rotate()
	forms(t, fx, func(t *testing.T, valid func(*testing.T) (map[string]any, string)) {
		authData, _ := valid(t)
		if _, _, err := validate(t, p, context.Background(), authData); err != nil {
			t.Fatalf("after rotation: %v", err)
		}
	})
}

func testCanceled(t *testing.T, h Harness) {
	fx, p := setup(t, h)
	if fx.Tokenless {
		t.Skip("provider calls no one")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	forms(t, fx, func(t *testing.T, valid func(*testing.T) (map[string]any, string)) {
		authData, _ := valid(t)
		_, _, err := validate(t, p, ctx, authData)
		if err == nil || core.IsCode(err, core.CodeInvalidLinkedSession) {
			t.Fatalf("with a canceled context got %v; want an error that is not 251", err)
		}
	})
}

func testConcurrent(t *testing.T, h Harness) {
	fx, p := setup(t, h)
	const workers = 8
	type job struct {
		authData map[string]any
		id       string
	}
	var jobs []job
	for _, name := range slices.Sorted(maps.Keys(fx.Valid)) {
		for range workers {
			a, id := fx.Valid[name](t)
			jobs = append(jobs, job{a, id})
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(jobs))
	for _, j := range jobs {
		wg.Go(func() {
			id, _, err := p.Validate(context.Background(), j.authData)
			if err == nil && id != j.id {
				err = fmt.Errorf("id %q, want %q", id, j.id)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}
