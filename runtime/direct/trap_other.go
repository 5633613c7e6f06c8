//go:build !(386 || amd64 || arm || arm64)

package direct

import (
	"fmt"
	"runtime"
)

// newTrap fails: Xen runs guests only on x86 and ARM.
func newTrap(uintptr) (trapFunc, error) {
	return nil, fmt.Errorf("direct: no hypercall stub for GOARCH=%s", runtime.GOARCH)
}
