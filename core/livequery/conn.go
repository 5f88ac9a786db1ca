package livequery

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/switchboardhq/switchboard/core"
)

// conn is one client's WebSocket. One goroutine reads and handles the
// client's messages (so they are handled in order). Writes run on a writer
// goroutine that exists only while messages wait: an idle connection costs
// one goroutine, not two, which matters at 10,000 clients. Each connection
// still has its own writer, so a client that does not read holds up only
// itself.
type conn struct {
	s          *Server
	ws         *websocket.Conn
	id         string
	remoteAddr string

	// out is the outbound queue: a slice that grows only while messages
	// wait (a buffered channel of OutboundBuffer slots would cost every
	// idle connection its full capacity), bounded by OutboundBuffer.
	outMu   sync.Mutex
	out     [][]byte
	writing bool // a writer goroutine is draining out
	ctx     context.Context
	cancel  context.CancelFunc

	closeOnce   sync.Once
	closeCode   websocket.StatusCode
	closeReason string
	farewell    []byte        // an error message sent before the close frame
	abrupt      bool          // the peer is gone: no farewell, no close handshake
	finished    chan struct{} // closed once the close frame is sent
	// writeStart is when the write in progress began (UnixNano), 0 when
	// none is: the server's watchdog cuts off a write stuck past
	// WriteTimeout, so that a write needs no timer of its own.
	writeStart atomic.Int64
	// lastMessage is when the client last sent a message (UnixNano).
	lastMessage atomic.Int64

	// Read and written by the reader goroutine only.
	connected      bool
	base           *core.Auth // keys and installation, no user
	token          string     // the connect message's session token
	installationID string
	limiter        tokenBucket

	mu   sync.Mutex // guards subs: the dispatcher and the rechecker drop subscriptions too
	subs map[int64]*subscription
}

func newConn(s *Server, ws *websocket.Conn, r *http.Request) *conn {
	ctx, cancel := context.WithCancel(s.ctx)
	return &conn{
		s: s, ws: ws,
		id:         strconv.FormatUint(s.nextID.Add(1), 10) + "-" + randomID(),
		remoteAddr: r.RemoteAddr,
		ctx:        ctx, cancel: cancel,
		finished: make(chan struct{}),
		limiter:  newTokenBucket(float64(s.opts.MessagesPerSecond), float64(2*s.opts.MessagesPerSecond)),
		subs:     map[int64]*subscription{},
	}
}

// run serves the connection until it closes.
func (c *conn) run() {
	c.lastMessage.Store(time.Now().UnixNano())
	c.ws.SetReadLimit(c.s.opts.MaxMessageBytes)
	connectTimer := time.AfterFunc(c.s.opts.ConnectTimeout, func() {
		c.shutdownWith(websocket.StatusPolicyViolation, "no connect message in time",
			errorMessage("", 0, codeNotConnected, "send connect first: no connect message within "+c.s.opts.ConnectTimeout.String(), false))
	})
	for {
		// Read is not given c.ctx: the library closes the socket at once
		// when a read's context ends, and a closing connection must still
		// send its farewell and close frame. finish's Close ends this read
		// instead.
		typ, data, err := c.ws.Read(context.Background())
		if err != nil {
			c.readFailed(err)
			break
		}
		c.lastMessage.Store(time.Now().UnixNano())
		if typ != websocket.MessageText {
			c.sendError(0, codeBadMessage, "messages must be JSON text", false)
			continue
		}
		if !c.limiter.allow(time.Now()) {
			c.sendError(0, core.CodeRequestLimitExceeded, "too many messages: at most "+strconv.Itoa(c.s.opts.MessagesPerSecond)+" per second", false)
			continue
		}
		c.handle(data)
		if c.connected {
			connectTimer.Stop()
		}
	}
	connectTimer.Stop()
	c.mu.Lock()
	subs := make([]*subscription, 0, len(c.subs))
	for _, sub := range c.subs {
		subs = append(subs, sub)
	}
	c.subs = map[int64]*subscription{}
	c.mu.Unlock()
	for _, sub := range subs {
		c.s.reg.remove(sub)
	}
	c.shutdown(websocket.StatusNormalClosure, "", false)
	<-c.finished
}

// readFailed closes after the read side ended: the client closed, the
// message was too large (the library has sent 1009), or we are shutting
// down.
func (c *conn) readFailed(err error) {
	switch {
	case websocket.CloseStatus(err) != -1:
		c.shutdown(websocket.StatusNormalClosure, "", false)
	case c.ctx.Err() != nil:
	default:
		c.shutdown(websocket.StatusProtocolError, "read failed", false)
	}
}

// writeOut drains the outbound queue, then exits; send starts it again
// when a message arrives.
func (c *conn) writeOut() {
	for {
		c.outMu.Lock()
		batch := c.out
		c.out = nil
		if len(batch) == 0 || c.ctx.Err() != nil {
			c.writing = false
			c.outMu.Unlock()
			return
		}
		c.outMu.Unlock()
		for _, msg := range batch {
			if c.ctx.Err() != nil {
				break // closing: what is still queued is not sent
			}
			if err := c.write(msg); err != nil {
				c.kill()
				break
			}
		}
	}
}

func (c *conn) write(msg []byte) error {
	c.writeStart.Store(time.Now().UnixNano())
	defer c.writeStart.Store(0)
	return c.ws.Write(context.Background(), websocket.MessageText, msg)
}

// idle reports whether the connection has had no subscription and no
// message from the client for longer than timeout.
func (c *conn) idle(now time.Time, timeout time.Duration) bool {
	if now.UnixNano()-c.lastMessage.Load() <= int64(timeout) {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.subs) == 0
}

// stuck reports whether a write has been in progress longer than timeout.
func (c *conn) stuck(now time.Time, timeout time.Duration) bool {
	start := c.writeStart.Load()
	return start != 0 && now.UnixNano()-start > int64(timeout)
}

// finish sends the farewell message and the close frame, after a write
// in progress (the library serializes writes). Close waits for the
// client's close frame up to the library's few seconds.
func (c *conn) finish() {
	defer close(c.finished)
	if c.abrupt {
		_ = c.ws.CloseNow()
		return
	}
	if c.farewell != nil {
		_ = c.write(c.farewell)
	}
	_ = c.ws.Close(c.closeCode, c.closeReason)
}

// ping checks that the client still answers; one that does not is closed.
func (c *conn) ping() {
	ctx, cancel := context.WithTimeout(context.Background(), c.s.opts.PongTimeout)
	defer cancel()
	if err := c.ws.Ping(ctx); err != nil && c.ctx.Err() == nil {
		c.s.log.Info("livequery: client does not answer pings, closing", "client", c.id)
		c.kill()
	}
}

// kill drops a connection whose peer no longer answers or accepts writes.
func (c *conn) kill() {
	c.closeOnce.Do(func() {
		c.abrupt = true
		c.cancel()
		go c.finish()
	})
}

// shutdown closes the connection once with code and reason; with
// reconnect it first sends an error that tells the SDK to reconnect.
func (c *conn) shutdown(code websocket.StatusCode, reason string, reconnect bool) {
	var farewell []byte
	if reconnect {
		farewell = errorMessage(c.id, 0, codeBadMessage, reason, true)
	}
	c.shutdownWith(code, reason, farewell)
}

func (c *conn) shutdownWith(code websocket.StatusCode, reason string, farewell []byte) {
	c.closeOnce.Do(func() {
		c.closeCode, c.closeReason, c.farewell = code, reason, farewell
		c.cancel()
		go c.finish()
	})
}

// send queues msg for the client without waiting. A full queue means the
// client reads slower than events arrive: it is disconnected with
// reconnect: true rather than allowed to hold up anyone else.
func (c *conn) send(msg []byte) bool {
	if c.ctx.Err() != nil {
		return false
	}
	c.outMu.Lock()
	queued := len(c.out)
	start := false
	if queued < c.s.opts.OutboundBuffer {
		c.out = append(c.out, msg)
		start = !c.writing
		c.writing = true
	}
	c.outMu.Unlock()
	if start {
		go c.writeOut()
	}
	if queued >= c.s.opts.OutboundBuffer {
		c.s.stats.slow.Add(1)
		c.s.log.Warn("livequery: client too slow, disconnecting", "client", c.id, "queued", queued)
		c.shutdown(websocket.StatusTryAgainLater, "too slow: "+strconv.Itoa(queued)+" messages waiting; reconnect", true)
		return false
	}
	return true
}

func (c *conn) sendError(requestID int64, code core.Code, msg string, reconnect bool) {
	c.send(errorMessage(c.id, requestID, code, msg, reconnect))
}

func (c *conn) sendErr(requestID int64, err error) {
	code, msg := errorOf(err)
	if code == core.CodeInternalServerError {
		c.s.log.Error("livequery: request failed", "client", c.id, "err", err)
	}
	c.sendError(requestID, code, msg, false)
}

// handle runs one client message.
func (c *conn) handle(data []byte) {
	var msg clientMessage
	if err := json.Unmarshal(data, &msg); err != nil {
		c.sendError(0, codeBadMessage, "invalid JSON: "+err.Error(), false)
		return
	}
	if msg.Op == "connect" {
		c.handleConnect(&msg)
		return
	}
	switch msg.Op {
	case "subscribe", "update", "unsubscribe", "query":
	default:
		c.sendError(0, codeUnknownOp, "unknown op "+strconv.Quote(msg.Op)+": use connect, subscribe, update, unsubscribe or query", false)
		return
	}
	requestID, err := parseRequestID(msg.RequestID)
	if err != nil {
		c.sendError(0, codeBadMessage, err.Error(), false)
		return
	}
	if !c.connected {
		c.sendError(requestID, codeNotConnected, "send connect before "+msg.Op, false)
		return
	}
	ctx, cancel := context.WithTimeout(c.ctx, 15*time.Second)
	defer cancel()
	switch msg.Op {
	case "subscribe", "update":
		c.handleSubscribe(ctx, requestID, &msg)
	case "unsubscribe":
		c.handleUnsubscribe(requestID)
	case "query":
		c.handleQuery(ctx, requestID)
	}
}

func parseRequestID(n *json.Number) (int64, error) {
	if n == nil {
		return 0, errors.New("requestId is required: a positive integer")
	}
	id, err := n.Int64()
	if err != nil || id <= 0 {
		return 0, errors.New("requestId must be a positive integer")
	}
	return id, nil
}

func (c *conn) handleConnect(msg *clientMessage) {
	if c.connected {
		c.sendError(0, codeBadMessage, "already connected", false)
		return
	}
	base, err := c.s.authenticate(msg, c.remoteAddr)
	if err != nil {
		code, text := errorOf(err)
		c.sendError(0, code, text, false)
		return
	}
	ctx, cancel := context.WithTimeout(c.ctx, 15*time.Second)
	defer cancel()
	auth := base
	if msg.SessionToken != "" {
		if auth, err = c.s.resolve(ctx, base, msg.SessionToken); err != nil {
			c.sendErr(0, err)
			return
		}
	}
	if hook := c.s.opts.BeforeConnect; hook != nil {
		subs, _ := c.s.reg.counts()
		if err := hook(ctx, &ConnectInfo{Auth: auth, InstallationID: msg.InstallationID, Clients: int(c.s.nConns.Load()) - 1, Subscriptions: subs}); err != nil {
			c.sendErr(0, hookError(err))
			return
		}
	}
	c.connected, c.base, c.token, c.installationID = true, base, msg.SessionToken, msg.InstallationID
	c.send(replyMessage("connected", c.id, 0, c.installationID))
}

// hookError gives a trigger's error the Parse code of cloud code (141)
// unless it carries its own.
func hookError(err error) error {
	var e *core.Error
	if errors.As(err, &e) {
		return e
	}
	return core.Errorf(core.CodeScriptFailed, "%s", err.Error())
}

func (c *conn) handleSubscribe(ctx context.Context, requestID int64, msg *clientMessage) {
	if msg.Query == nil {
		c.sendError(requestID, codeBadMessage, "subscribe needs a query: {className, where, keys, watch}", false)
		return
	}
	c.mu.Lock()
	old := c.subs[requestID]
	n := len(c.subs)
	c.mu.Unlock()
	if old == nil && n >= c.s.opts.MaxSubscriptions {
		c.sendError(requestID, core.CodeRequestLimitExceeded, "too many subscriptions on one connection: the limit is "+strconv.Itoa(c.s.opts.MaxSubscriptions), false)
		return
	}
	token := msg.SessionToken
	if token == "" {
		token = c.token
	}
	sub, err := c.s.newSubscription(ctx, c, requestID, token, Query{
		ClassName: msg.Query.ClassName, Where: msg.Query.Where, Keys: msg.Query.Keys, Watch: msg.Query.Watch,
	})
	if err != nil {
		c.sendErr(requestID, err)
		return
	}
	if old != nil {
		c.s.reg.remove(old)
	}
	c.mu.Lock()
	c.subs[requestID] = sub
	c.mu.Unlock()
	c.s.reg.add(sub)
	c.send(replyMessage("subscribed", c.id, requestID, c.installationID))
}

func (c *conn) handleUnsubscribe(requestID int64) {
	c.mu.Lock()
	sub := c.subs[requestID]
	delete(c.subs, requestID)
	c.mu.Unlock()
	if sub == nil {
		c.sendError(requestID, codeNotConnected, "no subscription with requestId "+strconv.FormatInt(requestID, 10), false)
		return
	}
	c.s.reg.remove(sub)
	c.send(replyMessage("unsubscribed", c.id, requestID, c.installationID))
}

// handleQuery answers the SDK's subscription.find(): the subscription's
// query run as a find, with the subscriber's rights.
func (c *conn) handleQuery(ctx context.Context, requestID int64) {
	c.mu.Lock()
	sub := c.subs[requestID]
	c.mu.Unlock()
	if sub == nil {
		c.sendError(requestID, codeNotConnected, "no subscription with requestId "+strconv.FormatInt(requestID, 10), false)
		return
	}
	res, err := c.s.app.Find(ctx, sub.auth.Load(), sub.query.ClassName, core.FindOptions{Where: sub.query.Where, Keys: sub.query.Keys})
	if err != nil {
		c.sendErr(requestID, err)
		return
	}
	for _, r := range res.Results {
		r["className"] = sub.query.ClassName
	}
	b, err := json.Marshal(map[string]any{"op": "result", "clientId": c.id, "requestId": requestID, "results": res.Results})
	if err != nil {
		c.sendErr(requestID, core.Internal(err))
		return
	}
	c.send(b)
}

// drop ends a subscription from the server side (revoked session, lost
// permission) and tells the client why.
func (c *conn) drop(sub *subscription, err error) {
	c.mu.Lock()
	current := c.subs[sub.requestID] == sub
	if current {
		delete(c.subs, sub.requestID)
	}
	c.mu.Unlock()
	c.s.reg.remove(sub)
	if current {
		c.sendErr(sub.requestID, err)
	}
}

// tokenBucket limits a connection's message rate. Hand-written: it is a
// dozen lines, used from one goroutine, and golang.org/x/time/rate is not
// otherwise a dependency.
type tokenBucket struct {
	tokens, rate, burst float64
	last                time.Time
}

func newTokenBucket(rate, burst float64) tokenBucket {
	return tokenBucket{tokens: burst, rate: rate, burst: burst}
}

func (b *tokenBucket) allow(now time.Time) bool {
	if !b.last.IsZero() {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
