package livequery_test

import (
	"os"
	"testing"

	"github.com/switchboardhq/switchboard/adapters/store/postgres/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
