package twilio

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

func TestClassify(t *testing.T) {
	for code, want := range map[int]core.Code{
		21211: core.CodeInvalidValue,
		21614: core.CodeInvalidValue,
		21610: core.CodeInvalidValue,
		21617: core.CodeInvalidValue,
		21611: core.CodeRequestLimitExceeded,
		20003: core.CodeInternalServerError,
		21606: core.CodeInternalServerError,
		21608: core.CodeInternalServerError,
		99999: core.CodeInternalServerError,
	} {
		if err := classify(400, code, errors.New("x")); !core.IsCode(err, want) {
			t.Errorf("%d -> %v, want code %d", code, err, want)
		}
	}
}

func TestRetryAfterHeader(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"2":   2 * time.Second,
		" 0 ": 0,
		now.Add(7 * time.Second).Format(http.TimeFormat): 7 * time.Second,
		now.Add(-time.Minute).Format(http.TimeFormat):    0,
	} {
		if got, ok := retryAfter(v, now); !ok || got != want {
			t.Errorf("retryAfter(%q) = %v, %v; want %v", v, got, ok, want)
		}
	}
	for _, v := range []string{"", "soon", "-3"} {
		if _, ok := retryAfter(v, now); ok {
			t.Errorf("retryAfter(%q) accepted", v)
		}
	}
}
