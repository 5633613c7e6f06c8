//go:build arm || arm64

package direct

import "errors"

// newTrap traps with HVC: ARM has no hypercall page.
func newTrap(page uintptr) (trapFunc, error) {
	if page != 0 {
		return nil, errors.New("direct: Config.Page is for x86: ARM hypercalls trap with HVC")
	}
	return func(op uintptr, a [5]uintptr) uintptr {
		return hvc(op, a[0], a[1], a[2], a[3], a[4])
	}, nil
}
