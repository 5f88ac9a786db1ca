# The one place the test command lives: README's "make test" and .ci/run use it.
.PHONY: test test-go lint test-sdk test-parse-import test-console test-parse-dashboard bench bench-http bench-analytics fuzz proto test-plugins-node

test: test-go test-sdk test-parse-import test-console test-parse-dashboard

test-go: lint test-plugins-node
	go test -count=1 ./...

# The Node.js example plugin's dependencies, for its Go tests
# (plugins/node_test.go, cmd/switchboard/app/plugins_test.go).
test-plugins-node:
	cd plugins/examples/sms-node && npm ci --no-audit --no-fund

# go vet and staticcheck (pinned, from the Go module proxy).
lint:
	go vet ./...
	go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

test-sdk:
	cd test/sdk && npm ci --no-audit --no-fund && npm test

# The admin console end to end in headless Chromium (Debian's chromium at
# /usr/bin/chromium, driven by playwright-core); screenshots of each step
# land in test/console/screenshots (a CI artifact).
test-console:
	cd test/console && npm ci --no-audit --no-fund && npm test

# Parse Dashboard (the parse-dashboard npm package, ~250 MB installed, about
# 30 s of npm ci) pointed at Switchboard: classes listed, a row opened and edited.
test-parse-dashboard:
	cd test/console && npm ci --no-audit --no-fund
	cd test/parsedashboard && npm ci --no-audit --no-fund && npm test

# switchboard import parse, from a database the real Parse Server 9 makes.
test-parse-import:
	cd test/parseserver && npm ci --no-audit --no-fund
	SB_REQUIRE_PARSE_SERVER=1 go test -count=1 -run '^TestImportParse(Server|Resumes)$$' ./cmd/switchboard/app

# Go benchmarks of the store and the API (no timing assertions anywhere).
bench:
	go test -run XXX -bench . -benchtime 2s ./adapters/store/sqlite ./adapters/store/postgres ./test/integration ./core/api

# Analytics: 10M events through the ingestion path into PostgreSQL, then the
# reports' latency and the raw table's size (README, "Analytics").
bench-analytics:
	go test ./bench/analytics -run '^$$' -bench Ingest -benchtime 1x -args -store=postgres -events=10000000

# HTTP load with wrk, c=32, 15 s per scenario.
bench-http:
	bench/http/run.sh

# Run the fuzzers for a while (CI runs only their seed corpora, via go test).
fuzz:
	go test ./core -run XXX -fuzz FuzzParseWhere -fuzztime 60s
	go test ./core -run XXX -fuzz FuzzIsName -fuzztime 30s
	go test ./internal/jsonenc -run XXX -fuzz FuzzAppendString -fuzztime 30s
	go test ./internal/jsonenc -run XXX -fuzz FuzzAppendFloat -fuzztime 30s
	go test ./cmd/switchboard/app -run XXX -fuzz FuzzAccessLineLikeSlog -fuzztime 30s
	go test ./adapters/store/sqlstore -run XXX -fuzz FuzzAppendCanonical -fuzztime 30s
	SWITCHBOARD_TEST_STORES=sqlite go test ./test/integration -run XXX -fuzz FuzzRequest -fuzztime 60s
	SWITCHBOARD_TEST_STORES=sqlite go test ./test/integration -run XXX -fuzz FuzzAuthData -fuzztime 60s

# Regenerate the plugin contracts' Go code (committed; CI does not run this).
# Needs protoc (apt-get install protobuf-compiler) and the two generators:
#   go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
#   go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2
proto:
	cd plugins/proto && PATH="$$PATH:$$(go env GOPATH)/bin" protoc -I . \
		--go_out=. --go_opt=paths=source_relative \
		--go-grpc_out=. --go-grpc_opt=paths=source_relative \
		switchboard/files/v1/files.proto switchboard/push/v1/push.proto \
		switchboard/sms/v1/sms.proto switchboard/mail/v1/mail.proto
