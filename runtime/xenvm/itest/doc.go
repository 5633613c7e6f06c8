// Package itest holds xenbind's integration tests: they issue real
// hypercalls through the runtime (runtime/privcmd) and check Xen's answers,
// so they run only inside dom0 of a Xen booted by runtime/xenvm
// (go run ./cmd/xenvm -arch ARCH), never on the host. Two checks bypass the
// runtime on purpose with a raw privcmd ioctl, to show what it guards
// against: EFAULT from a never-written buffer on ARM, ENOTTY for a 32-bit
// process on a 64-bit kernel. The test files carry the build tag xenvm; the harness builds them
// with
//
//	GOOS=linux GOARCH=$arch CGO_ENABLED=0 go test -c -tags xenvm
//
// and learns nothing from them but their exit status. What the harness set
// up reaches the tests through the environment: XENVM_ARCH (x86_64, arm64,
// arm32), XENVM_XEN_CMDLINE (Xen's whole command line), XENVM_DOM0_MIB
// (dom0_mem) and XENVM_CAPABILITY (the word XENVER_capabilities must hold).
package itest
