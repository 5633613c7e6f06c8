//go:build !linux

package gctune

// hugePages does nothing: transparent huge pages are Linux's.
func hugePages() {}
