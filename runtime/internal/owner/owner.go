// Package owner keeps the resources a device has handed out (mappings,
// shares), so that closing the device releases every one still open, and
// closing a resource twice, or after its device, is reported rather than
// releasing something again.
//
// A Set has one mutex for the device and all of its resources: the
// device's calls and the resources' Close hold it, so a Close never runs
// under a call in flight. A resource is open exactly while it is in its
// Set; there is no separate closed flag to keep in step.
package owner

import (
	"errors"
	"sync"
)

// Set is the open resources of one device. The zero Set is an open, empty
// set.
type Set[R comparable] struct {
	mu     sync.Mutex
	open   map[R]struct{}
	closed bool
}

// Lock locks the set and reports whether the device is still open. The
// caller must call Unlock either way.
func (s *Set[R]) Lock() bool {
	s.mu.Lock()
	return !s.closed
}

// Unlock unlocks the set.
func (s *Set[R]) Unlock() { s.mu.Unlock() }

// Add records r as open. The set must be locked and open.
func (s *Set[R]) Add(r R) {
	if s.open == nil {
		s.open = map[R]struct{}{}
	}
	s.open[r] = struct{}{}
}

// Open reports whether r is open: added, and neither removed nor closed
// with the device. The set must be locked.
func (s *Set[R]) Open(r R) bool {
	_, ok := s.open[r]
	return ok
}

// Remove forgets r and reports whether it was open, that is whether the
// caller should release it. The set must be locked.
func (s *Set[R]) Remove(r R) bool {
	if _, ok := s.open[r]; !ok {
		return false
	}
	delete(s.open, r)
	return true
}

// Close marks the device closed and releases every resource still open
// with release, in no particular order, joining their errors. It reports
// false (and releases nothing) if the device was closed already. The set
// must be locked.
func (s *Set[R]) Close(release func(R) error) (bool, error) {
	if s.closed {
		return false, nil
	}
	s.closed = true
	var errs []error
	for r := range s.open {
		errs = append(errs, release(r))
	}
	s.open = nil
	return true, errors.Join(errs...)
}
