//go:build arm || arm64

package direct

import "testing"

func TestNewRejectsPageOnARM(t *testing.T) {
	if _, err := New(Config{Page: 0x1000}); err == nil {
		t.Error("New accepted a hypercall page on ARM")
	}
	if _, err := New(Config{}); err != nil {
		t.Errorf("New: %v", err)
	}
}
