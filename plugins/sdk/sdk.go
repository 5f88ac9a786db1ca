// Package sdk serves Switchboard providers as out-of-process plugins.
//
// A plugin implements the same Go interface as an in-process adapter
// (core.FileDriver, core.PushSender, core.SMSSender or core.Mailer) and
// calls one function from main:
//
//	func main() {
//		sdk.ServeFiles(&myStore{dir: os.Args[1]})
//	}
//
// The server starts the binary (a "plugins" entry of its config names it,
// with its SHA-256), talks to it over go-plugin's gRPC protocol with
// AutoMTLS, and uses it wherever the config says provider: plugin:NAME.
// A plugin's settings come from its args and env in that entry. Its logs
// (Logger, or anything on stderr) land in the server's log.
package sdk

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/plugins"
	filesv1 "github.com/switchboardhq/switchboard/plugins/proto/switchboard/files/v1"
	mailv1 "github.com/switchboardhq/switchboard/plugins/proto/switchboard/mail/v1"
	pushv1 "github.com/switchboardhq/switchboard/plugins/proto/switchboard/push/v1"
	smsv1 "github.com/switchboardhq/switchboard/plugins/proto/switchboard/sms/v1"
)

// Providers are the kinds one plugin serves; nil kinds are not served.
type Providers struct {
	Files core.FileDriver
	Push  core.PushSender
	SMS   core.SMSSender
	Mail  core.Mailer
}

// ServeFiles serves a files provider; it returns when the server stops
// the plugin.
func ServeFiles(d core.FileDriver) { Serve(Providers{Files: d}) }

// ServePush serves a push provider.
func ServePush(s core.PushSender) { Serve(Providers{Push: s}) }

// ServeSMS serves an sms provider.
func ServeSMS(s core.SMSSender) { Serve(Providers{SMS: s}) }

// ServeMail serves a mail provider.
func ServeMail(m core.Mailer) { Serve(Providers{Mail: m}) }

// Serve serves every kind set in p, then closes the providers that hold
// resources (io.Closer) once the server stops the plugin.
func Serve(p Providers) {
	set := plugin.PluginSet{}
	if p.Files != nil {
		set[plugins.KindFiles] = &plugins.GRPCPlugin{Register: func(s *grpc.Server) { filesv1.RegisterFilesServer(s, &filesServer{d: p.Files}) }}
	}
	if p.Push != nil {
		set[plugins.KindPush] = &plugins.GRPCPlugin{Register: func(s *grpc.Server) { pushv1.RegisterPushServer(s, &pushServer{s: p.Push}) }}
	}
	if p.SMS != nil {
		set[plugins.KindSMS] = &plugins.GRPCPlugin{Register: func(s *grpc.Server) { smsv1.RegisterSMSServer(s, &smsServer{s: p.SMS}) }}
	}
	if p.Mail != nil {
		set[plugins.KindMail] = &plugins.GRPCPlugin{Register: func(s *grpc.Server) { mailv1.RegisterMailServer(s, &mailServer{m: p.Mail}) }}
	}
	go exitWithServer()
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: plugins.Handshake,
		Plugins:         set,
		GRPCServer:      plugin.DefaultGRPCServer,
		Logger:          hclog.New(&hclog.LoggerOptions{Output: os.Stderr, JSONFormat: true, Level: hclog.Debug}),
	})
	for _, provider := range []any{p.Files, p.Push, p.SMS, p.Mail} {
		if provider != nil {
			_ = core.CloseProvider(provider)
		}
	}
}

// exitWithServer ends the plugin when the server that started it is gone
// (killed before it could stop its plugins): the plugin is then adopted
// by another process, and nobody will ever call it again.
func exitWithServer() {
	parent := os.Getppid()
	for range time.Tick(500 * time.Millisecond) {
		if os.Getppid() != parent {
			fmt.Fprintln(os.Stderr, "the server that started this plugin is gone; exiting")
			os.Exit(0)
		}
	}
}

// Logger returns a logger whose records reach the server's log with their
// level, message and attributes: go-plugin reads JSON lines with "@level"
// and "@message" from the plugin's stderr (other lines are logged at
// debug level).
func Logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) > 0 {
				return a
			}
			switch a.Key {
			case slog.LevelKey:
				return slog.String("@level", levelName(a.Value.Any()))
			case slog.MessageKey:
				return slog.Attr{Key: "@message", Value: a.Value}
			case slog.TimeKey:
				// The server stamps the line itself (go-plugin accepts
				// only its own timestamp layout).
				return slog.Attr{}
			}
			return a
		},
	}))
}

func levelName(v any) string {
	l, _ := v.(slog.Level)
	switch {
	case l >= slog.LevelError:
		return "error"
	case l >= slog.LevelWarn:
		return "warn"
	case l >= slog.LevelInfo:
		return "info"
	}
	return "debug"
}

// check runs a provider's Validate, when it has one, for the Check calls.
func check(ctx context.Context, provider any) error {
	if v, ok := provider.(core.Validator); ok {
		return plugins.ToStatus(ctx, v.Validate(ctx))
	}
	return nil
}
