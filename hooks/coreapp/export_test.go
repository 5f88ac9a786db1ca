package coreapp

import (
	"context"

	"github.com/switchboardhq/switchboard/core"
)

// TickSchedules runs one tick of the job schedules now, as the queue's
// periodic job does once a minute.
func (c *Cloud) TickSchedules(ctx context.Context) error { return c.scheduleTick(ctx, core.Job{}) }

// BoundChains reports how many handlers cloud code has bound, per chain.
func (c *Cloud) BoundChains() map[string]int {
	c.triggers.mu.Lock()
	defer c.triggers.mu.Unlock()
	out := map[string]int{}
	for b := range c.triggers.bound {
		out[b.chain+" "+b.class]++
	}
	return out
}
