package integration

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// BenchmarkHole9AccountEnumeration measures what hole 9 is about: the time
// of POST /verificationEmailRequest and POST /requestMobilePhoneVerify for
// addresses and numbers with an account against ones without. The answers
// are the same (TestHole9NoAccountEnumeration); the times should be close,
// since the work only an account gets runs after the answer. Each request
// is timed alone: the clock stops until its message (if any) was sent.
//
//	go test ./test/integration -run XXX -bench Hole9 -benchtime 2000x
func BenchmarkHole9AccountEnumeration(b *testing.B) {
	const accounts = 4000
	mail, sms := &mailbox{}, &smsBox{}
	h := newHarness(b, func(o *core.Options) {
		o.Mailer, o.SMS, o.Users.VerifyUserEmails = mail, sms, true
		o.Users.SMS.Interval, o.Users.SMS.DailyLimit, o.Users.SMS.IPHourly = time.Nanosecond, 1<<30, 1<<30
	})
	h.signup("first", "pw", map[string]any{"email": "first@example.com"})
	users := h.app.Class("_User")
	now := core.Now()
	for i := range accounts {
		err := h.app.Store().Insert(context.Background(), users, core.Object{
			core.FieldObjectID: core.NewObjectID(), core.FieldCreatedAt: now, core.FieldUpdatedAt: now,
			"username": fmt.Sprintf("user%d", i), "email": fmt.Sprintf("user%d@example.com", i), "emailVerified": false,
			"mobilePhoneNumber": fmt.Sprintf("+1415%07d", i),
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	tick := createAllB(b, h, "Tick", map[string]any{"n": 0})
	// messages counts what was sent, so that each request is timed alone,
	// not while the previous one's mail or SMS is still being sent.
	messages := func() int { return mail.count() + sms.count() }
	run := func(route, field string, value func(known bool, i int) string) {
		for _, known := range []bool{false, true} {
			name := route + "/unknown"
			if known {
				name = route + "/known"
			}
			b.Run(name, func(b *testing.B) {
				for i := 0; b.Loop(); i++ {
					want := messages()
					if known {
						want++
					}
					// Each address is used at most 5 times an hour (the
					// limit) before the benchmark runs out of them.
					if res := h.do("POST", route, "", map[string]any{field: value(known, i%accounts)}); res.status != 200 {
						b.Fatalf("request %d: %s: %d %s", i, route, res.status, res.raw)
					}
					b.StopTimer()
					deadline := time.Now().Add(10 * time.Second)
					for messages() < want {
						if time.Now().After(deadline) {
							b.Fatalf("request %d: the message after the answer never came", i)
						}
						time.Sleep(50 * time.Microsecond)
					}
					// Other traffic writes: without it, only the requests
					// that write (the known ones) would find SQLite's page
					// cache cold after their own write.
					wantStatus(b, h.do("PUT", "/classes/Tick/"+tick, "master", map[string]any{"n": i}), 200)
					b.StartTimer()
				}
			})
		}
	}
	run("/verificationEmailRequest", "email", func(known bool, i int) string {
		if known {
			return fmt.Sprintf("user%d@example.com", i)
		}
		return fmt.Sprintf("nobody%d@example.com", i)
	})
	run("/requestMobilePhoneVerify", "mobilePhoneNumber", func(known bool, i int) string {
		if known {
			return fmt.Sprintf("+1415%07d", i)
		}
		return fmt.Sprintf("+1416%07d", i)
	})
}

func createAllB(b *testing.B, h *harness, class string, body map[string]any) string {
	res := h.do("POST", "/classes/"+class, "master", body)
	if res.status != 201 {
		b.Fatalf("create %s: %d %s", class, res.status, res.raw)
	}
	return res.body["objectId"].(string)
}
