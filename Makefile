# scratchnet — the one place that says how to build and test the project.
#
# make test     all package suites on this machine's kernel (root or not),
#               then the notwork compatibility suite (compat/, a module of
#               its own) and the CNI plugin suite (test/cni/, a module of its
#               own, which builds containernetworking/plugins' bridge and
#               host-local once into the user's cache directory), then the
#               recipes (docs/recipes/, a module of its own too, which runs
#               those plugins, dnsmasq and busybox's udhcpc)
# make example  the runnable example suite, step by step
# make test-vm  all package suites inside Debian kernels under qemu (bullseye's
#               5.10, bookworm's 6.1, bookworm-backports' 6.12, sid's 7.2, with
#               netdevsim built for each from Debian's source): the kinds that the host
#               kernel lacks (dummy, vlan, ipvlan, bond, vrf ...) really run,
#               each suite twice: as root with the sandbox off, then as user
#               nobody in its rootless sandbox, which must run at least 80% of
#               the specs root ran (VMFLAGS=-passes=root runs the first only).
#               As root it installs qemu, busybox-static, kmod, cpio and xz when
#               missing; kernels are fetched once into .cache/vm/. Runner flags
#               and Ginkgo flags go in VMFLAGS, for example
#                 make test-vm VMFLAGS='-kernel=bookworm -ginkgo.v'
#                 make test-vm VMFLAGS='-ginkgo.label-filter="dummy" -timeout=30m'
#               (go run ./test/vm -h lists them all)
# make bench    the benchmark suite (gmeasure): helpers against raw kernel
#               operations, printed as a table of medians and ratios
# make demo-failure
#               a spec that fails on purpose, to show what failure reports
#               carry: the lab's diagram, each namespace's state and the
#               decoded last packets of its captures, whose files (and the
#               lab's Mermaid diagram) are kept in .cache/demo-captures/
#               (exits non-zero by design)
# make vet      go vet, a gofmt check, the project's own analyzer
#               (cmd/scratchnetvet) and staticcheck (staticcheck.conf says
#               which checks; its version is pinned below and fetched
#               through the Go module proxy, outside this module's go.mod),
#               and embedmd -d (pinned below too), which fails when a Go
#               snippet in README.md or docs/*.md differs from the compiled,
#               tested code it is embedded from ([embedmd]:# markers;
#               go run github.com/campoy/embedmd@v1.0.0 -w FILE.md
#               refills them)

GO ?= go
PKGS := ./...
# staticcheck 2026.1: its go.mod asks for go 1.25.0, as ours does, and it
# knows Go 1.26.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.7.0
# embedmd 1.0.0: the documents' Go snippets are copied from test and example
# code by it, and -d exits non-zero when a copy has drifted.
EMBEDMD := github.com/campoy/embedmd@v1.0.0

# No sudo needed: every suite runs itself in a sandbox (package sandbox), in a
# user namespace of its own when started by an unprivileged user, and in a
# network namespace of its own as root. Where neither is possible, the
# privileged specs skip with "needs root".

VMFLAGS ?=

.PHONY: test vet example test-vm bench demo-failure

test: vet
	$(GO) test -race -count=1 $(PKGS)
	cd compat && $(GO) vet -composites=false ./... && \
		$(GO) run github.com/scratchnet/scratchnet/cmd/scratchnetvet ./... && \
		$(GO) test -race -count=1 ./...
	cd test/cni && $(GO) vet ./... && \
		$(GO) run github.com/scratchnet/scratchnet/cmd/scratchnetvet ./... && \
		$(GO) test -race -count=1 ./...
	cd docs/recipes && $(GO) vet ./... && \
		$(GO) run github.com/scratchnet/scratchnet/cmd/scratchnetvet ./... && \
		$(GO) test -race -count=1 ./...

vet:
	$(GO) vet $(PKGS)
	$(GO) run ./cmd/scratchnetvet $(PKGS)
	$(GO) run $(STATICCHECK) $(PKGS)
	$(GO) run $(EMBEDMD) -d README.md docs/*.md docs/recipes/README.md
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

example:
	$(GO) test -count=1 -v ./example/ -ginkgo.v

bench:
	@mkdir -p .cache
	SCRATCHNET_BENCH_OUT=$(CURDIR)/.cache/bench.txt $(GO) test -tags bench -count=1 ./bench/
	@cat .cache/bench.txt

demo-failure:
	SCRATCHNET_CAPTURE_DIR=$(CURDIR)/.cache/demo-captures $(GO) test -count=1 -v ./lab/ -ginkgo.label-filter=deliberate-failure

# Built rather than go run, so that the runner's closing "N passed, N failed"
# line stays the last line of its output. -buildvcs=false: in CI containers
# the checkout may belong to another user, and git then refuses to describe it.
# Specs labelled "big" (labs of hundreds of hosts) run in make test but not
# under the VM's emulated CPU: they exercise no kernel feature a small lab
# does not, cost minutes there, and the kernel's teardown of their hundreds
# of namespaces holds the RTNL lock long enough to stall the specs after
# them. A filter given replaces each suite's default one, so this one also
# leaves out what those defaults leave out: the deliberate failures (lab,
# fault, guard) and the specs that only re-executed test binaries run
# (sandbox's probe, veth's report-child). A -ginkgo.label-filter in VMFLAGS
# comes later and wins.
VMLABELS := -ginkgo.label-filter='!big && !deliberate-failure && !probe && !report-child'

test-vm:
	$(GO) build -buildvcs=false -o .cache/vm/test-vm ./test/vm
	GO=$(GO) ./.cache/vm/test-vm $(VMLABELS) $(VMFLAGS)
