// Package itest holds xenbind's integration tests: they issue real
// hypercalls and check Xen's answers, so they run only inside dom0 of a Xen
// booted by runtime/xenvm (go run ./cmd/xenvm -arch ARCH), never on the
// host. The test files carry the build tag xenvm; the harness builds them
// with
//
//	GOOS=linux GOARCH=$arch CGO_ENABLED=0 go test -c -tags xenvm
//
// and learns nothing from them but their exit status. What the harness set
// up reaches the tests through the environment: XENVM_ARCH (x86_64, arm64,
// arm32), XENVM_XEN_CMDLINE (Xen's whole command line), XENVM_DOM0_MIB
// (dom0_mem) and XENVM_CAPABILITY (the word XENVER_capabilities must hold).
package itest
