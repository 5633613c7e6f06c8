//go:build !linux

package privcmd

import (
	"errors"
	"testing"
)

func TestOpenOutsideLinux(t *testing.T) {
	d, err := Open()
	if d != nil || !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("Open() = %v, %v; want nil and an error matching errors.ErrUnsupported", d, err)
	}
}
