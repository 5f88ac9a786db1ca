// Package analytics takes analytics events in (the Parse /events routes and
// the automatic events of signups, logins and installations), batches them
// into an analytics sink, and answers the reports (new, active, retention,
// sessions, custom events, funnels) from a sink that keeps them
// (Reader).
package analytics

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// Defaults of Options.
const (
	DefaultFlushInterval = 200 * time.Millisecond
	DefaultBatchSize     = 2000
	DefaultBufferSize    = 200000
	DefaultSessionGap    = 30 * time.Minute
	// ClockSkew is how far a client's "at" may be from the server's time
	// and still be used: offline batches are normal, clocks set years off
	// are not.
	ClockSkew = 24 * time.Hour
)

// Device is what the analytics know about an installation.
type Device struct {
	Platform, AppVersion, Channel string
}

// Options configure an Ingestor.
type Options struct {
	// Sink receives the batches (required).
	Sink core.AnalyticsSink
	// Location is the time zone days are counted in (nil: UTC).
	Location *time.Location
	// FlushInterval is the longest an accepted event waits in memory
	// before its batch is written (0: DefaultFlushInterval). It is the
	// durability window: a kill -9 loses at most the events accepted in
	// the last FlushInterval plus the batch being written.
	FlushInterval time.Duration
	// BatchSize is the most events written at once; a full batch is
	// written at once without waiting for the interval (0:
	// DefaultBatchSize).
	BatchSize int
	// BufferSize is how many events may wait (buffered or being written)
	// before Add refuses more with 155 (0: DefaultBufferSize).
	BufferSize int
	// Devices looks up installations the Ingestor has not seen yet, by
	// installationId, to tag events with platform, version and channel
	// (nil: no lookup). It runs on the flushing goroutine, never on a
	// request's.
	Devices func(ctx context.Context, installationIDs []string) (map[string]Device, error)
	// Logger (nil: slog.Default()).
	Logger *slog.Logger
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Ingestor buffers events in memory and writes them to the sink in
// batches from one goroutine, so that taking an event in never waits for
// the sink.
type Ingestor struct {
	opts Options
	log  *slog.Logger

	mu      sync.Mutex
	buf     []core.AnalyticsEvent
	writing int // events handed to the sink and not yet written
	closed  bool
	kick    chan struct{}
	done    chan struct{}
	stop    chan struct{}
	// flushed is signalled (closed and replaced) after every write, for
	// Flush.
	flushed chan struct{}

	devMu   sync.Mutex
	devices map[string]Device
}

// maxDeviceCache bounds the installations remembered for tagging; past it
// the cache starts over (a miss costs one batched lookup, not a request).
const maxDeviceCache = 200000

// New starts an Ingestor; Close stops it.
func New(opts Options) *Ingestor {
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = DefaultFlushInterval
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.BufferSize <= 0 {
		opts.BufferSize = DefaultBufferSize
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	g := &Ingestor{opts: opts, log: opts.Logger, kick: make(chan struct{}, 1), done: make(chan struct{}),
		stop: make(chan struct{}), flushed: make(chan struct{}), devices: map[string]Device{}}
	if g.log == nil {
		g.log = slog.Default()
	}
	go g.run()
	return g
}

// Location is the time zone the Ingestor counts days in.
func (g *Ingestor) Location() *time.Location { return g.opts.Location }

// ErrBufferFull is Add's answer when the sink cannot keep up: the client
// should retry later.
var ErrBufferFull = core.Errorf(core.CodeRequestLimitExceeded,
	"analytics: too many events are waiting to be written; retry in a few seconds")

// Add takes one event in: it dates it (a zero At or one more than a day
// from now becomes now), counts its day, keeps the first
// MaxAnalyticsDimensions dimensions, and buffers it. It never waits for
// the sink; when BufferSize events already wait it returns ErrBufferFull.
func (g *Ingestor) Add(ev core.AnalyticsEvent) error {
	now := g.opts.Now()
	if ev.At.IsZero() || ev.At.Before(now.Add(-ClockSkew)) || ev.At.After(now.Add(ClockSkew)) {
		ev.At = now
	}
	ev.At = ev.At.UTC().Truncate(time.Millisecond)
	ev.Day = core.AnalyticsDay(ev.At, g.opts.Location)
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return core.Errorf(core.CodeCommandUnavailable, "analytics: the server is shutting down")
	}
	if len(g.buf)+g.writing >= g.opts.BufferSize {
		g.mu.Unlock()
		return ErrBufferFull
	}
	g.buf = append(g.buf, ev)
	full := len(g.buf) >= g.opts.BatchSize
	g.mu.Unlock()
	if full {
		select {
		case g.kick <- struct{}{}:
		default:
		}
	}
	return nil
}

// SetDevice records what an installation is, for tagging its later events
// (the installation feed calls it on every committed change).
func (g *Ingestor) SetDevice(installationID string, d Device) {
	if installationID == "" {
		return
	}
	g.devMu.Lock()
	if len(g.devices) >= maxDeviceCache {
		g.devices = map[string]Device{}
	}
	g.devices[installationID] = d
	g.devMu.Unlock()
}

// Flush writes what is buffered now and waits until it is written (or ctx
// ends). Tests and the CLI use it; the server never needs to.
func (g *Ingestor) Flush(ctx context.Context) error {
	for {
		g.mu.Lock()
		pending := len(g.buf) + g.writing
		wait := g.flushed
		g.mu.Unlock()
		if pending == 0 {
			return nil
		}
		select {
		case g.kick <- struct{}{}:
		default:
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Close stops taking events, writes what is buffered (until ctx ends) and
// stops the flushing goroutine.
func (g *Ingestor) Close(ctx context.Context) error {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		<-g.done
		return nil
	}
	g.closed = true
	g.mu.Unlock()
	err := g.Flush(ctx)
	close(g.stop)
	<-g.done
	return err
}

func (g *Ingestor) run() {
	defer close(g.done)
	tick := time.NewTicker(g.opts.FlushInterval)
	defer tick.Stop()
	for {
		select {
		case <-g.stop:
			return
		case <-tick.C:
		case <-g.kick:
		}
		g.flushOnce()
	}
}

// flushOnce writes what is buffered, a batch at a time. A batch the sink
// refuses stays in memory (counting against BufferSize, so that clients
// feel the backpressure) and is tried again on the next tick.
func (g *Ingestor) flushOnce() {
	g.mu.Lock()
	batch := g.buf
	g.buf = nil
	g.writing += len(batch)
	g.mu.Unlock()
	if len(batch) == 0 {
		g.signal()
		return
	}
	g.tag(batch)
	written := 0
	var err error
	for written < len(batch) {
		end := min(written+g.opts.BatchSize, len(batch))
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err = g.opts.Sink.WriteEvents(ctx, batch[written:end])
		cancel()
		if err != nil {
			break
		}
		written = end
	}
	g.mu.Lock()
	g.writing -= len(batch)
	if err != nil {
		g.log.Error("analytics: writing events failed; they stay buffered and are tried again", "events", len(batch)-written, "err", err)
		g.buf = append(batch[written:len(batch):len(batch)], g.buf...)
	}
	g.mu.Unlock()
	g.signal()
}

func (g *Ingestor) signal() {
	g.mu.Lock()
	close(g.flushed)
	g.flushed = make(chan struct{})
	g.mu.Unlock()
}

// tag fills in platform, version and channel of the events whose device
// is known, looking the unknown ones up in one call.
func (g *Ingestor) tag(batch []core.AnalyticsEvent) {
	var missing []string
	seen := map[string]bool{}
	g.devMu.Lock()
	for i := range batch {
		ev := &batch[i]
		if ev.InstallationID == "" || ev.Platform != "" || ev.AppVersion != "" || ev.Channel != "" {
			continue
		}
		if _, ok := g.devices[ev.InstallationID]; !ok && !seen[ev.InstallationID] {
			seen[ev.InstallationID] = true
			missing = append(missing, ev.InstallationID)
		}
	}
	g.devMu.Unlock()
	if len(missing) > 0 && g.opts.Devices != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		found, err := g.opts.Devices(ctx, missing)
		cancel()
		if err != nil && !errors.Is(err, context.Canceled) {
			g.log.Warn("analytics: looking up installations failed; their events go untagged", "err", err)
		}
		g.devMu.Lock()
		for _, id := range missing {
			// Unknown ids are remembered too, so a device that never
			// saved an installation costs one lookup, not one per batch.
			if len(g.devices) >= maxDeviceCache {
				g.devices = map[string]Device{}
			}
			g.devices[id] = found[id]
		}
		g.devMu.Unlock()
	}
	g.devMu.Lock()
	defer g.devMu.Unlock()
	for i := range batch {
		ev := &batch[i]
		if ev.InstallationID == "" || ev.Platform != "" || ev.AppVersion != "" || ev.Channel != "" {
			continue
		}
		d := g.devices[ev.InstallationID]
		ev.Platform, ev.AppVersion, ev.Channel = d.Platform, d.AppVersion, d.Channel
	}
}
