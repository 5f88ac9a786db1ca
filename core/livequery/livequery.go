// Package livequery serves the Parse LiveQuery protocol over WebSocket:
// clients subscribe to queries and receive create, enter, update, leave and
// delete events as committed changes match them.
//
// The source of changes is the App's change bus (core.ChangeBus): the
// pipeline publishes one core.ChangeEvent per committed change, with the
// object before and after. Server.Listen is the bus listener. Each event is
// matched in memory (core.CompileMatcher) against every distinct query once,
// and then checked for every subscriber of a matching query against the
// same rules as a read: the object's ACL, the class-level permissions
// (find/get, requiresAuthentication, pointer fields), protected fields and
// an optional policy stage. Subscribers only ever see what a find would
// have shown them.
//
// One goroutine dispatches events in commit order, so that a client sees
// the changes of one object in the order they happened. It never waits for
// a client: each connection has a bounded outbound queue, and a client that
// lets it fill up is disconnected with reconnect: true.
//
// Across nodes, see cluster.go: events committed on one node reach the
// subscribers of every other node through the store's Notifier.
package livequery

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/switchboardhq/switchboard/core"
)

// Options configure a Server. Zero values mean the defaults listed.
type Options struct {
	// ClassNames are the classes clients may subscribe to (Parse Server's
	// liveQuery.classNames). A subscription to another class is refused.
	ClassNames []string
	// AllClasses allows subscriptions to every class (ClassNames is then
	// ignored). Internal classes stay master-only, as in a find.
	AllClasses bool

	// MaxConnections bounds open connections on this node (default 100000);
	// past it an upgrade is answered 503.
	MaxConnections int
	// MaxSubscriptions bounds subscriptions per connection (default 100).
	MaxSubscriptions int
	// MaxMessageBytes bounds one client message (default 64 KiB); a larger
	// one closes the connection with 1009 (message too big).
	MaxMessageBytes int64
	// MessagesPerSecond bounds the client messages of one connection, with
	// a burst of twice as many (default 50); past it a message is refused.
	MessagesPerSecond int
	// OutboundBuffer is how many messages may wait for one client (default
	// 1024). A client that lets it fill up is disconnected with an error
	// that says reconnect: true, so that a slow client never holds up the
	// others.
	OutboundBuffer int
	// ConnectTimeout is how long a new socket may take to send connect
	// (default 10s).
	ConnectTimeout time.Duration
	// PingInterval is how often the server pings each client (default 30s);
	// a client that does not answer within PongTimeout (default 15s) is
	// disconnected.
	PingInterval time.Duration
	PongTimeout  time.Duration
	// IdleTimeout closes a connection that has had no subscription and sent
	// no message for this long (default 10m): a socket that subscribes to
	// nothing only holds resources.
	IdleTimeout time.Duration
	// WriteTimeout bounds one write to a client (default 10s).
	WriteTimeout time.Duration
	// AuthRecheckInterval is how often session tokens of open subscriptions
	// are checked again (default 30s), so that a session revoked or a role
	// changed on another node takes effect. Local revocations that the
	// change bus reports take effect at once.
	AuthRecheckInterval time.Duration
	// EventQueue is how many committed changes may wait for dispatch
	// (default 10000). If it overflows, events are lost; every client is
	// then disconnected with reconnect: true, so that it resubscribes and
	// reloads rather than miss changes silently.
	EventQueue int

	// Authorize is the policy stage (nil: none). It is asked once per
	// subscription, and again when the subscriber's auth or the class's
	// schema changes, as for a find: it returns nil to allow, an error to
	// refuse (the subscription is then dropped with that error), or a
	// filter the objects must also match, which is matched in memory on
	// every event (a filter that cannot be matched in memory refuses).
	Authorize func(ctx context.Context, in *AuthorizeInput) (core.Expr, error)
	// BeforeConnect runs when a client connects (cloud code's
	// beforeConnect); an error refuses the connection with that error.
	BeforeConnect func(ctx context.Context, in *ConnectInfo) error
	// BeforeSubscribe runs before a subscription is made (beforeSubscribe);
	// it may change in.Query; an error refuses the subscription.
	BeforeSubscribe func(ctx context.Context, in *SubscribeInfo) error
	// AfterEvent runs for each event and subscriber after the permission
	// checks (afterLiveQueryEvent); it may change in.Object and
	// in.Original, or set in.Send to false to drop the event. An error
	// drops the event for that subscriber and is logged.
	AfterEvent func(ctx context.Context, in *EventInfo) error

	// Logger receives connection and dispatch logs (default slog.Default()).
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.MaxConnections, 100_000)
	def(&o.MaxSubscriptions, 100)
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = 64 << 10
	}
	def(&o.MessagesPerSecond, 50)
	def(&o.OutboundBuffer, 1024)
	def(&o.EventQueue, 10_000)
	defDur(&o.ConnectTimeout, 10*time.Second)
	defDur(&o.PingInterval, 30*time.Second)
	defDur(&o.PongTimeout, 15*time.Second)
	defDur(&o.WriteTimeout, 10*time.Second)
	defDur(&o.IdleTimeout, 10*time.Minute)
	defDur(&o.AuthRecheckInterval, 30*time.Second)
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// AuthorizeInput is what the policy stage is asked about a subscription.
type AuthorizeInput struct {
	// Action is "find", or "get" for a subscription to one objectId.
	Action string
	Class  string
	Auth   *core.Auth
	// Query is the subscription's where document.
	Query map[string]any
}

// ConnectInfo describes a client that connects.
type ConnectInfo struct {
	Auth           *core.Auth
	InstallationID string
	// Clients and Subscriptions are this node's counts before this client.
	Clients, Subscriptions int
}

// SubscribeInfo describes a subscription about to be made. Query may be
// changed by BeforeSubscribe.
type SubscribeInfo struct {
	Auth      *core.Auth
	RequestID int64
	Query     *Query
}

// Query is a subscription's query.
type Query struct {
	ClassName string
	Where     map[string]any
	// Keys limits the fields sent (nil: all).
	Keys []string
	// Watch limits which field changes fire update (nil: any).
	Watch []string
}

// EventInfo is one event about to be sent to one subscriber.
type EventInfo struct {
	// Event is create, enter, update, leave or delete.
	Event    string
	Class    string
	Auth     *core.Auth
	Object   map[string]any
	Original map[string]any // nil for create and delete
	// Send is true; set it to false to drop the event.
	Send bool
}

// Server is the LiveQuery endpoint of one App. It is an http.Handler that
// accepts WebSocket upgrades.
type Server struct {
	app     *core.App
	opts    Options
	log     *slog.Logger
	classes map[string]bool
	masters []netip.Prefix

	reg *registry

	events   chan *core.ChangeEvent
	overflow atomic.Bool

	connsMu sync.Mutex
	conns   map[*conn]struct{}
	nConns  atomic.Int64
	nextID  atomic.Uint64

	recheck chan struct{}
	relay   *relay // nil on one node

	stats serverStats

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed atomic.Bool
}

var _ http.Handler = (*Server)(nil)

// New returns a Server for app and starts its dispatcher. It does not
// subscribe to the change bus: call Listen for that (or let the binary
// do it with app's bus).
func New(app *core.App, opts Options) *Server {
	opts = opts.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		app: app, opts: opts, log: opts.Logger,
		classes: map[string]bool{},
		reg:     newRegistry(),
		events:  make(chan *core.ChangeEvent, opts.EventQueue),
		conns:   map[*conn]struct{}{},
		recheck: make(chan struct{}, 1),
		ctx:     ctx, cancel: cancel,
	}
	for _, c := range opts.ClassNames {
		s.classes[c] = true
	}
	s.masters = parsePrefixes(app.Options().MasterKeyIPs)
	s.startRelay()
	s.wg.Add(3)
	go s.dispatchLoop()
	go s.recheckLoop()
	go s.keepalive()
	return s
}

// Listen is the core.ChangeListener to subscribe to the App's change bus:
// bus.Subscribe(server.Listen). It only queues the event (and hands it to
// the other nodes, see cluster.go), so the committing request does not
// wait for any client.
func (s *Server) Listen(ctx context.Context, ev *core.ChangeEvent) {
	if s.closed.Load() {
		return
	}
	watched := s.watches(ev.ClassName)
	if watched && s.relay != nil {
		s.relay.publish(ev)
	}
	if watched || ev.ClassName == sessionClass || ev.ClassName == roleClass {
		s.enqueue(ev)
	}
}

// watches reports whether events of class go to subscribers at all.
func (s *Server) watches(className string) bool {
	return s.opts.AllClasses || s.classes[className]
}

// enqueue hands an event to the dispatcher without ever blocking.
func (s *Server) enqueue(ev *core.ChangeEvent) {
	select {
	case s.events <- ev:
	default:
		s.stats.dropped.Add(1)
		if s.overflow.CompareAndSwap(false, true) {
			s.log.Error("livequery: the event queue is full; events are lost, so every client is disconnected to resubscribe",
				"queue", cap(s.events))
			go s.disconnectAll(websocket.StatusTryAgainLater, "events were lost: the server is overloaded; reconnect and reload")
		}
	}
}

// ServeHTTP upgrades a request to a LiveQuery connection.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.closed.Load() {
		http.Error(w, "LiveQuery is shutting down", http.StatusServiceUnavailable)
		return
	}
	if s.nConns.Add(1) > int64(s.opts.MaxConnections) {
		s.nConns.Add(-1)
		s.stats.refused.Add(1)
		http.Error(w, "too many LiveQuery connections on this server; try another node or later", http.StatusServiceUnavailable)
		return
	}
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		// Any origin may connect: nothing here rides on cookies or other
		// ambient credentials, the keys and session come in the connect
		// message, as on Parse Server.
		InsecureSkipVerify: true,
	})
	if err != nil {
		s.nConns.Add(-1)
		return // Accept has answered the request
	}
	c := newConn(s, ws, r)
	s.connsMu.Lock()
	s.conns[c] = struct{}{}
	s.connsMu.Unlock()
	// The socket is hijacked: the HTTP server's goroutine, whose stack grew
	// deep parsing the request, can go; a fresh one serves the socket. With
	// 10,000 clients that halves the memory in stacks.
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		c.run()
		s.connsMu.Lock()
		delete(s.conns, c)
		s.connsMu.Unlock()
		s.nConns.Add(-1)
	}()
}

// IsUpgrade reports whether r asks for a WebSocket upgrade, so that the
// HTTP shell can route LiveQuery and REST requests on the same path.
func IsUpgrade(r *http.Request) bool {
	return headerHasToken(r.Header, "Connection", "upgrade") && headerHasToken(r.Header, "Upgrade", "websocket")
}

// Close stops the server: new upgrades are refused, every client is sent a
// close frame with 1001 (going away; the SDKs reconnect, to another node
// behind a load balancer), and the dispatcher stops. It waits until ctx is
// done for connections to finish their close handshake.
func (s *Server) Close(ctx context.Context) error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	s.disconnectAll(websocket.StatusGoingAway, "server shutting down")
	s.cancel()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return errors.New("livequery: connections still closing when the shutdown deadline passed")
	}
}

// keepalive pings every client each PingInterval (a client that does not
// answer within PongTimeout is closed), and closes the sockets whose write
// has been stuck for longer than WriteTimeout: a client that stopped
// reading with its TCP window full. One goroutine serves every connection.
func (s *Server) keepalive() {
	defer s.wg.Done()
	tick := time.NewTicker(min(time.Second, s.opts.WriteTimeout/2, s.opts.PingInterval))
	defer tick.Stop()
	lastPing := time.Now()
	for {
		select {
		case <-s.ctx.Done():
			return
		case now := <-tick.C:
			ping := now.Sub(lastPing) >= s.opts.PingInterval
			if ping {
				lastPing = now
			}
			s.connsMu.Lock()
			var stuck, live, idle []*conn
			for c := range s.conns {
				switch {
				case c.stuck(now, s.opts.WriteTimeout):
					stuck = append(stuck, c)
				case c.idle(now, s.opts.IdleTimeout):
					idle = append(idle, c)
				case ping && c.ctx.Err() == nil:
					live = append(live, c)
				}
			}
			s.connsMu.Unlock()
			for _, c := range idle {
				c.shutdown(websocket.StatusNormalClosure, "idle: no subscription for "+s.opts.IdleTimeout.String(), false)
			}
			for _, c := range stuck {
				s.log.Info("livequery: a write to a client is stuck, closing", "client", c.id)
				c.kill()
				_ = c.ws.CloseNow() // unblocks the write
			}
			for _, c := range live {
				go c.ping()
			}
		}
	}
}

// disconnectAll closes every connection with code and reason.
func (s *Server) disconnectAll(code websocket.StatusCode, reason string) {
	s.connsMu.Lock()
	all := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		all = append(all, c)
	}
	s.connsMu.Unlock()
	for _, c := range all {
		c.shutdown(code, reason, code == websocket.StatusTryAgainLater)
	}
	s.overflow.Store(false)
}

// Stats are counters for monitoring.
type Stats struct {
	Connections   int64
	Subscriptions int64
	Queries       int64 // distinct queries
	Events        int64 // events dispatched
	Sent          int64 // event messages queued to clients
	Dropped       int64 // events lost to a full queue
	SlowClients   int64 // clients disconnected for a full outbound queue
	Refused       int64 // upgrades refused (MaxConnections)
	// Across nodes (zero on one node): events sent to and received from
	// the other nodes, and events lost on the way (reported in the log).
	Relayed, RelayReceived, RelayLost int64
	// RelayListening is true once this node receives the other nodes'
	// events (false on one node).
	RelayListening bool
}

type serverStats struct {
	events, sent, dropped, slow, refused atomic.Int64
}

// Stats returns the current counters.
func (s *Server) Stats() Stats {
	subs, queries := s.reg.counts()
	st := Stats{
		Connections: s.nConns.Load(), Subscriptions: int64(subs), Queries: int64(queries),
		Events: s.stats.events.Load(), Sent: s.stats.sent.Load(), Dropped: s.stats.dropped.Load(),
		SlowClients: s.stats.slow.Load(), Refused: s.stats.refused.Load(),
	}
	if r := s.relay; r != nil {
		st.Relayed, st.RelayReceived, st.RelayLost = r.sent.Load(), r.received.Load(), r.lost.Load()
		st.RelayListening = r.listening.Load()
	}
	return st
}
