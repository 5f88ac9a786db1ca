// Command adapterplugin serves one in-process provider out of process, for
// the conformance suites: each kind's suite runs against its providers
// through a real plugin process. SB_PLUGIN_KIND (files, push, sms, mail),
// SB_PLUGIN_PROVIDER (a registered name; "hang", a provider whose every
// call hangs, for the timeout tests; "noop", an sms provider that does
// nothing, for the overhead benchmarks; or "envcheck", for the test of
// what environment a plugin gets) and SB_PLUGIN_OPTIONS (the provider's
// config section as JSON) say what to serve.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	_ "github.com/switchboardhq/switchboard/adapters/files/local"
	_ "github.com/switchboardhq/switchboard/adapters/mail/log"
	_ "github.com/switchboardhq/switchboard/adapters/mail/smtp"
	_ "github.com/switchboardhq/switchboard/adapters/push/jpush"
	_ "github.com/switchboardhq/switchboard/adapters/sms/log"
	_ "github.com/switchboardhq/switchboard/adapters/sms/twilio"
	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/plugins/sdk"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "adapterplugin:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx := context.Background()
	kind, provider := os.Getenv("SB_PLUGIN_KIND"), os.Getenv("SB_PLUGIN_PROVIDER")
	env := core.ProviderEnv{DataDir: os.Getenv("SB_PLUGIN_DIR"), Logger: sdk.Logger()}
	if raw := os.Getenv("SB_PLUGIN_OPTIONS"); raw != "" {
		if err := json.Unmarshal([]byte(raw), &env.Options); err != nil {
			return fmt.Errorf("SB_PLUGIN_OPTIONS: %w", err)
		}
	}
	switch provider {
	case "hang":
		sdk.Serve(sdk.Providers{SMS: hang{}, Mail: hangMailer{}})
		return nil
	case "noop":
		sdk.ServeSMS(Noop{})
		return nil
	case "envcheck":
		sdk.ServeSMS(envCheck{})
		return nil
	}
	switch kind {
	case "files":
		d, err := core.OpenProvider(ctx, core.FileProviders, provider, env)
		if err != nil {
			return err
		}
		sdk.ServeFiles(d)
	case "push":
		s, err := core.OpenProvider(ctx, core.PushProviders, provider, env)
		if err != nil {
			return err
		}
		sdk.ServePush(s)
	case "sms":
		s, err := core.OpenProvider(ctx, core.SMSProviders, provider, env)
		if err != nil {
			return err
		}
		sdk.ServeSMS(s)
	case "mail":
		m, err := core.OpenProvider(ctx, core.MailProviders, provider, env)
		if err != nil {
			return err
		}
		sdk.ServeMail(m)
	default:
		return fmt.Errorf("SB_PLUGIN_KIND %q is not files, push, sms or mail", kind)
	}
	return nil
}

// Noop accepts every message and does nothing: the per-call overhead
// benchmarks measure the plugin round trip alone.
type Noop struct{}

func (Noop) Send(context.Context, core.SMSMessage) error { return nil }

// envCheck refuses a message whose Text names a variable set in the
// plugin's environment, for the test that the server's secrets stay out.
type envCheck struct{}

func (envCheck) Send(_ context.Context, msg core.SMSMessage) error {
	if _, set := os.LookupEnv(msg.Text); set {
		return core.Errorf(core.CodeInvalidValue, "%s is set", msg.Text)
	}
	return nil
}

// hang never answers, whatever the context says: a plugin stuck in a
// deadlock.
type hang struct{}

func (hang) Send(context.Context, core.SMSMessage) error { select {} }

// hangMailer is hang as a mailer.
type hangMailer struct{}

func (hangMailer) Send(context.Context, core.MailMessage) error { select {} }
