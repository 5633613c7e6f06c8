//go:build !(linux && (386 || amd64 || arm || arm64))

package hypercall

// Is matches nothing but Errno values themselves (which errors.Is compares
// directly): outside Linux on Xen's architectures the host's error numbers
// need not be Xen's.
func (e Errno) Is(target error) bool {
	return false
}

// hostErrnoText has nothing to add where host error numbers are not Xen's.
func hostErrnoText(Errno) string {
	return ""
}
