//go:build !linux

// Package devfile opens Linux device files for the Xen device packages; it
// is empty on other systems.
package devfile
