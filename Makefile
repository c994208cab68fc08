# feedmill — the README's two commands are `make run` and `make test`.

GO       ?= go
BIN      := bin/feedmill
CONFIG   ?= config.yaml
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X github.com/feedmill/feedmill.Version=$(VERSION)
BENCHTIME ?= 1s
BENCH_DURATION ?= 5s

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
UNITDIR    ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= /etc
DESTDIR    ?=

.PHONY: all build run demo deps test vet fmt bench bench-http fuzz clean install soak

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/feedmill

## run: the daemon with the shipped config.yaml and its SQLite database.
run: build
	$(BIN) --config $(CONFIG) serve

## demo: the daemon on demo/config.yaml, whose feeds are files in demo/feeds.
demo: build
	$(BIN) --config demo/config.yaml serve

## deps: the Debian packages the tests run (python3-feedparser, newsboat, chromium),
## installed only when missing.
deps:
	@scripts/deps.sh

## test: vet, formatting, and every test with the race detector.
test: deps
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) test -race -shuffle=on -timeout 13m ./...

vet:
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

## bench: the Go benchmarks (ingest path, matching, rendering).
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./...

## bench-http: feedmill beside nginx serving the same Atom bytes, measured
## with wrk (installs nginx and wrk when missing); prints both rates and the ratio.
bench-http:
	scripts/bench-http.sh $(BENCH_DURATION)

## soak: the daemon polls 500 local feeds every 5s for SOAK_DURATION (default 10m)
## while clients request the outputs; fails if memory, goroutines, descriptors or
## the database grow without bound.
soak: build
	$(GO) run ./scripts/soak -bin $(BIN)

## fuzz: a short run of every fuzz target.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime 20s $$pkg || exit 1; \
	  done; \
	done

## install: the binary, the systemd unit and an example config (kept if one
## exists); PREFIX, BINDIR, UNITDIR, SYSCONFDIR and DESTDIR are honoured.
install: build
	install -D -m 755 $(BIN) $(DESTDIR)$(BINDIR)/feedmill
	install -d $(DESTDIR)$(UNITDIR)
	sed -e 's|/usr/local/bin/feedmill|$(BINDIR)/feedmill|g' -e 's|/etc/feedmill/|$(SYSCONFDIR)/feedmill/|g' \
	  contrib/feedmill.service > $(DESTDIR)$(UNITDIR)/feedmill.service
	chmod 644 $(DESTDIR)$(UNITDIR)/feedmill.service
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/feedmill/config.yaml ]; then \
	  echo "keeping existing $(DESTDIR)$(SYSCONFDIR)/feedmill/config.yaml"; \
	else \
	  install -D -m 644 contrib/config.example.yaml $(DESTDIR)$(SYSCONFDIR)/feedmill/config.yaml; \
	fi

clean:
	rm -rf bin demo/demo.db*
