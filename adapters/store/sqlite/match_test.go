package sqlite_test

import (
	"testing"

	"github.com/switchboardhq/switchboard/adapters/store/storetest"
)

// TestMatchCases: the in-memory matcher of LiveQuery and this store select
// the same objects for every case of the shared table.
func TestMatchCases(t *testing.T) { storetest.RunMatchCases(t, openTemp) }
