# xenbind's Makefile only calls the go command and well-known tools; the
# logic lives in Go. See README.md.

GO    ?= go
SUDO  := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian packages the tests need: cross compilers and clang for the layout
# goldens, qemu-user to run the 32- and 64-bit ARM tests, QEMU system
# emulators to boot real Xen, Chromium to render the ABI report, GNU cpio
# to read the initramfs archives runtime/xenvm writes, and the archive
# keyring that checks the trixie (Xen 4.20) packages fetched through private
# sources lists.
DEBS := cpio gcc gcc-i686-linux-gnu gcc-arm-linux-gnueabihf gcc-aarch64-linux-gnu clang \
	qemu-user qemu-system-x86 qemu-system-arm chromium fonts-dejavu-core dpkg-dev \
	debian-archive-keyring

GOARCHES := 386 amd64 arm arm64

.PHONY: generate test deps tidy vet cross-build test-unit test-cross xen-test layout fuzz bench

# The main job: fetch the pinned Xen headers and (re)generate generated/,
# and the runtime's generated device ABI (Linux's Xen device headers) and
# xenstore wire protocol.
generate:
	$(GO) generate ./generated ./runtime/uapi ./runtime/xenstore/xswire

# Every test: unit and golden tests, vet on all four GOARCH, the generated
# packages natively (amd64, 386) and under qemu-user (arm, arm64), and
# real Xen under QEMU (part of go test ./..., see runtime/xenvm).
test: deps tidy vet cross-build test-unit test-cross

deps:
	@dpkg -s $(DEBS) >/dev/null 2>&1 || { $(SUDO) apt-get update -q; \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $(DEBS); }
	$(GO) mod download

# go.mod and go.sum must be what go mod tidy makes of them.
tidy:
	$(GO) mod tidy -diff

vet:
	@for a in $(GOARCHES); do echo "go vet (GOARCH=$$a)"; GOARCH=$$a $(GO) vet ./... || exit 1; done

# Every package compiles on every GOOS Go supports, for each of Xen's
# GOARCHes (internal/cmd/crossbuild says which pairs and why; -all builds
# all 33 instead of a representative 15), and for macOS every test too: a
# program that imports the runtime builds, and its unit tests with
# runtime/xentest run, on a developer's machine; privcmd.Open says why it
# cannot work there.
cross-build:
	@for p in darwin/arm64 darwin/amd64; do echo "go vet (GOOS/GOARCH=$$p)"; \
		GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) vet ./... || exit 1; done
	$(GO) run ./internal/cmd/crossbuild

# cmd/xenbind's tests took 7.8 minutes on 2 cores at load average 20 (they build
# and vet generated packages and xenbind from a module zip): more than go
# test's default 10-minute limit leaves room for.
test-unit:
	$(GO) test -timeout 30m ./...

# The packages whose tests run on every GOARCH (not the QEMU harness).
CROSS = ./generated/... ./runtime/hypercall/... ./runtime/privcmd/... ./runtime/direct/... ./runtime/xentest/... \
	./runtime/uapi/... ./runtime/evtchn/... ./runtime/gntalloc/... ./runtime/gntdev/... ./runtime/granttest/... \
	./runtime/foreignmem/... ./runtime/xenstore/...

test-cross:
	GOARCH=386 $(GO) test $(CROSS)
	GOARCH=arm $(GO) test -exec qemu-arm $(CROSS)
	GOARCH=arm64 $(GO) test -exec qemu-aarch64 $(CROSS)

# Boot the five machines, Xen 4.17 on x86_64, arm64 and arm32 and Xen 4.20
# on x86_64 and arm64, and run the integration tests in each (one binary
# per GOARCH, built once, run on both releases).
xen-test:
	$(GO) run ./cmd/xenvm -compat

layout:
	$(GO) run ./cmd/xenbind layout -target all

# Run each fuzz target for FUZZTIME (one at a time, one worker each). Finds
# land in the package's testdata/fuzz and become regression tests. emit's
# FuzzUnmarshal lives in the generated foreign packages: run
# XENBIND_FOREIGN_MODULE=DIR go test -run TestForeignPackages ./emit, then
# go test -fuzz FuzzUnmarshal ./x86_64 in DIR.
FUZZTIME ?= 10m
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzHeader$$' -parallel 1 -fuzztime $(FUZZTIME) ./layout
	$(GO) test -run '^$$' -fuzz '^FuzzGen$$' -parallel 1 -fuzztime $(FUZZTIME) ./emit
	$(GO) test -run '^$$' -fuzz '^FuzzConfig$$' -parallel 1 -fuzztime $(FUZZTIME) ./emit
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeUnit$$' -parallel 1 -fuzztime $(FUZZTIME) ./parser

# Speed, side by side on this machine: xenbind gen (cold and warm) against
# go tool cgo -godefs on the same headers, and layout -include all; then
# the Go benchmarks of parse, layout and emit. Needs gcc (cgo).
bench:
	$(GO) run ./internal/cmd/genbench
	$(GO) test -run '^$$' -bench . -benchmem ./parser ./layout ./emit
