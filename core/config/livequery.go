package config

import "fmt"

// LiveQuery configures Parse LiveQuery over WebSocket, served on the mount
// path itself (see README, "LiveQuery"). It is on when ClassNames is set or
// AllClasses is true.
type LiveQuery struct {
	// ClassNames are the classes clients may subscribe to (Parse Server's
	// liveQuery.classNames).
	ClassNames StringList `yaml:"classNames"`
	// AllClasses allows subscriptions to every class (internal classes stay
	// master-only).
	AllClasses bool `yaml:"allClasses"`
	// MaxConnections bounds open connections per node (0: 100000).
	MaxConnections int `yaml:"maxConnections"`
	// MaxSubscriptions bounds subscriptions per connection (0: 100).
	MaxSubscriptions int `yaml:"maxSubscriptions"`
	// MaxMessageBytes bounds one client message (0: 65536).
	MaxMessageBytes int64 `yaml:"maxMessageBytes"`
	// MessagesPerSecond bounds the messages of one connection (0: 50).
	MessagesPerSecond int `yaml:"messagesPerSecond"`
	// OutboundBuffer is how many messages may wait for one client before it
	// is disconnected as too slow (0: 1024).
	OutboundBuffer int `yaml:"outboundBuffer"`
	// ConnectTimeout, PingInterval, PongTimeout, WriteTimeout, IdleTimeout
	// and AuthRecheckInterval (0: 10s, 30s, 15s, 10s, 10m, 30s).
	ConnectTimeout      Duration `yaml:"connectTimeout"`
	PingInterval        Duration `yaml:"pingInterval"`
	PongTimeout         Duration `yaml:"pongTimeout"`
	WriteTimeout        Duration `yaml:"writeTimeout"`
	IdleTimeout         Duration `yaml:"idleTimeout"`
	AuthRecheckInterval Duration `yaml:"authRecheckInterval"`
	// EventQueue is how many committed changes may wait for dispatch
	// (0: 10000).
	EventQueue int `yaml:"eventQueue"`
}

// Enabled reports whether LiveQuery is on.
func (s *LiveQuery) Enabled() bool { return s.AllClasses || len(s.ClassNames) > 0 }

// validate checks the section; c is the whole configuration.
func (s *LiveQuery) validate(c *Config) []error {
	var errs []error
	for _, n := range []struct {
		key string
		v   int64
	}{{"maxConnections", int64(s.MaxConnections)}, {"maxSubscriptions", int64(s.MaxSubscriptions)},
		{"maxMessageBytes", s.MaxMessageBytes}, {"messagesPerSecond", int64(s.MessagesPerSecond)},
		{"outboundBuffer", int64(s.OutboundBuffer)}, {"eventQueue", int64(s.EventQueue)}} {
		if n.v < 0 {
			errs = append(errs, fmt.Errorf("liveQuery.%s: must not be negative (0 is the default), got %d", n.key, n.v))
		}
	}
	for _, d := range []struct {
		key string
		v   Duration
	}{{"connectTimeout", s.ConnectTimeout}, {"pingInterval", s.PingInterval}, {"pongTimeout", s.PongTimeout},
		{"writeTimeout", s.WriteTimeout}, {"idleTimeout", s.IdleTimeout}, {"authRecheckInterval", s.AuthRecheckInterval}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("liveQuery.%s: must not be negative (0 is the default), got %s", d.key, d.v))
		}
	}
	return errs
}
