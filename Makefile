# Okno — two commands for a newcomer: `make run` and `make test`.
GO      ?= go
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
UI_SRC  := $(shell find web/src web/next.config.ts web/package-lock.json -type f 2>/dev/null)
export NEXT_TELEMETRY_DISABLED := 1

.PHONY: run build ui test test-go test-ui test-external e2e bench fuzz clean medplum-deps

## run: build Okno with its UI and start every service with demo data at http://127.0.0.1:8080
run: build
	./bin/okno run --demo

## build: bin/okno with the web UI embedded
build: internal/webui/dist/index.html
	$(GO) build -tags ui -ldflags "$(LDFLAGS)" -o bin/okno ./cmd/okno

ui: internal/webui/dist/index.html

web/node_modules/.installed: web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

internal/webui/dist/index.html: web/node_modules/.installed $(UI_SRC)
	cd web && npm run build
	rm -rf internal/webui/dist && cp -r web/out internal/webui/dist

## test: Go tests with -race (SQLite, embedded NATS, and PostgreSQL when reachable) and the UI unit tests
test: test-go test-ui

## medplum-deps: the real FHIR server (@medplum/fhir-router) the MIS adapter's contract suite also runs against
medplum-deps: internal/mis/fhirtest/medplum/node_modules/.installed

internal/mis/fhirtest/medplum/node_modules/.installed: internal/mis/fhirtest/medplum/package-lock.json
	cd internal/mis/fhirtest/medplum && npm ci --no-audit --no-fund
	touch $@

test-go: medplum-deps
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

test-ui: web/node_modules/.installed
	cd web && npm run typecheck && npm test

## test-external: storage, bus and system suites against the local PostgreSQL and NATS (127.0.0.1:5432, :4222)
test-external:
	OKNO_TEST_NATS=$${OKNO_TEST_NATS:-nats://127.0.0.1:4222} OKNO_TEST_REQUIRE_PG=1 \
		$(GO) test -count=1 -p 1 -run 'TestBus|TestStore|TestSystem' ./...

## e2e: browser test (playwright-core driving Debian's chromium) against a running okno
e2e: build
	cd web && node e2e/run.mjs

## fuzz: each parser of outside input under the fuzzer for FUZZTIME (CI runs it briefly)
FUZZTIME ?= 10s
FUZZ_TARGETS := FuzzParseWebForm:./internal/contactcenter FuzzOpen:./internal/vault \
	FuzzParseLogin:./internal/gateway FuzzCredential:./internal/gateway \
	FuzzDecodeAnswer:./internal/mis/renovatio FuzzGenericEvent:./internal/telephony FuzzMango:./internal/telephony \
	FuzzZadarma:./internal/telephony FuzzAMIMessage:./internal/telephony
fuzz:
	@for t in $(FUZZ_TARGETS); do \
		name=$${t%%:*}; pkg=$${t#*:}; \
		echo "fuzz $$name ($$pkg, $(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	done

## bench: intake throughput and inbox latency on SQLite and PostgreSQL
bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 30m ./internal/bench

clean:
	rm -rf bin internal/webui/dist web/out web/.next
