# scratchnet — the one place that says how to build and test the project.
#
# make test     all package suites on this machine's kernel (root, or via sudo)
# make example  the runnable example suite, step by step
# make vet      go vet and a gofmt check

GO ?= go
PKGS := ./...

# As root the test binaries run directly; otherwise go test runs each binary
# through sudo, so that privileged specs run instead of skipping. Without sudo
# (or with SUDO= on the command line) they run as the calling user and the
# privileged specs skip with "needs root".
SUDO ?= $(shell command -v sudo 2>/dev/null)
ifeq ($(shell id -u),0)
TEST_EXEC :=
else ifneq ($(SUDO),)
TEST_EXEC := -exec $(SUDO)
else
TEST_EXEC :=
endif

.PHONY: test vet example

test: vet
	$(GO) test -race -count=1 $(TEST_EXEC) $(PKGS)

vet:
	$(GO) vet $(PKGS)
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

example:
	$(GO) test -count=1 $(TEST_EXEC) ./example/ -ginkgo.v
