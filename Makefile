# The one place the test command lives: README's "make test" and .ci/run use it.
.PHONY: test test-go test-sdk bench bench-http fuzz

test: test-go test-sdk

test-go:
	go vet ./...
	go test -count=1 ./...

test-sdk:
	cd test/sdk && npm ci --no-audit --no-fund && npm test

# Go benchmarks of the store and the API (no timing assertions anywhere).
bench:
	go test -run XXX -bench . -benchtime 2s ./adapters/store/sqlite ./adapters/store/postgres ./test/integration

# HTTP load with wrk, c=32, 15 s per scenario.
bench-http:
	bench/http/run.sh

# Run the fuzzers for a while (CI runs only their seed corpora, via go test).
fuzz:
	go test ./core -run XXX -fuzz FuzzParseWhere -fuzztime 60s
	go test ./core/api -run XXX -fuzz FuzzDecodeRequest -fuzztime 60s
