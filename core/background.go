package core

import (
	"context"
	"sync"
	"time"
)

// backgroundTimeout bounds one piece of work run after the answer.
const backgroundTimeout = time.Minute

// background runs work after a request's answer is decided, so that the
// answer cannot depend on it: its time, its errors, whether there was any.
// Close waits for what is running.
type background struct {
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

// afterAnswer runs fn in the background with ctx's values (logger, request
// id) but not its cancellation, which ends with the request. What fn
// returns is logged, not lost: it is the only place it can go. Work
// offered once the App is closing is dropped with an error in the log.
func (a *App) afterAnswer(ctx context.Context, what string, fn func(ctx context.Context) error) {
	b := &a.bg
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		LoggerFrom(ctx).Error("the server is shutting down: work after the answer was dropped", "work", what)
		return
	}
	b.wg.Add(1)
	b.mu.Unlock()
	var answered <-chan struct{}
	if ans := answerFrom(ctx); ans != nil {
		answered = ans.wait()
	}
	go func() {
		defer b.wg.Done()
		if answered != nil {
			// Start once the client has the answer, so the work does not
			// compete with sending it.
			select {
			case <-answered:
			case <-time.After(backgroundTimeout):
			}
		}
		bctx, cancel := context.WithTimeout(context.WithoutCancel(outsideTx(ctx)), backgroundTimeout)
		defer cancel()
		if err := fn(bctx); err != nil {
			LoggerFrom(ctx).Error("work after the answer failed", "work", what, "err", err)
		}
	}()
}

// close refuses new work and waits for the running work.
func (b *background) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.wg.Wait()
}

// Answer tells work run after the answer (afterAnswer) when the client has
// it: the API creates one per request and calls Done once the reply is
// written and flushed. Without one, the work starts at once. It costs one
// small allocation per request; the channel is made only when work waits.
type Answer struct {
	mu    sync.Mutex
	done  chan struct{}
	ended bool
}

type answerKey struct{}

// WithAnswer returns ctx carrying a new Answer. Within the HTTP shell,
// whose RequestInfo has room for one, ctx itself is returned and the
// Answer is the request's.
func WithAnswer(ctx context.Context) (context.Context, *Answer) {
	if info := RequestInfoFrom(ctx); info != nil && !info.answerTaken {
		info.answerTaken = true
		return ctx, &info.answer
	}
	ans := &Answer{}
	return context.WithValue(ctx, answerKey{}, ans), ans
}

// answerFrom returns the Answer ctx carries, or nil.
func answerFrom(ctx context.Context) *Answer {
	if ans, _ := ctx.Value(answerKey{}).(*Answer); ans != nil {
		return ans
	}
	if info := RequestInfoFrom(ctx); info != nil && info.answerTaken {
		return &info.answer
	}
	return nil
}

// wait returns a channel closed once the answer is out.
func (a *Answer) wait() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.done == nil {
		a.done = make(chan struct{})
		if a.ended {
			close(a.done)
		}
	}
	return a.done
}

// Pending reports whether work waits for the answer, so the API knows to
// flush the reply before calling Done.
func (a *Answer) Pending() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.done != nil && !a.ended
}

// Done releases the work waiting for the answer; later calls do nothing.
func (a *Answer) Done() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ended {
		return
	}
	a.ended = true
	if a.done != nil {
		close(a.done)
	}
}
