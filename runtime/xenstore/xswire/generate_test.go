package xswire

import (
	"testing"

	"github.com/xenbind/xenbind/internal/staletest"
)

// TestNotStale regenerates this package from generate.go's go:generate
// line and fails for every file that differs from the committed one.
func TestNotStale(t *testing.T) {
	staletest.NotStale(t, "../../../cmd/xenbind", "./runtime/xenstore/xswire")
}
