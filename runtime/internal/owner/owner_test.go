package owner

import (
	"errors"
	"slices"
	"sync"
	"testing"
)

type res struct{ id int }

func TestLifecycle(t *testing.T) {
	var s Set[*res]
	a, b, c := &res{1}, &res{2}, &res{3}
	if !s.Lock() {
		t.Fatal("a zero Set is closed")
	}
	if s.Open(a) {
		t.Error("Open before Add")
	}
	s.Add(a)
	s.Add(b)
	s.Add(c)
	if !s.Open(b) {
		t.Error("b not open after Add")
	}
	if !s.Remove(b) {
		t.Error("first Remove(b) = false")
	}
	if s.Remove(b) {
		t.Error("second Remove(b) = true: b would be released twice")
	}
	ids := []int{}
	errBoom := errors.New("boom")
	ok, err := s.Close(func(r *res) error {
		ids = append(ids, r.id)
		if r.id == 3 {
			return errBoom
		}
		return nil
	})
	if !ok {
		t.Fatal("first Close = false")
	}
	if !errors.Is(err, errBoom) {
		t.Errorf("Close error %v, want the release error joined", err)
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []int{1, 3}) {
		t.Errorf("Close released %v, want [1 3]", ids)
	}
	if s.Open(a) || s.Remove(a) {
		t.Error("a still open after the device closed")
	}
	released := 0
	if ok, err := s.Close(func(*res) error { released++; return nil }); ok || err != nil || released != 0 {
		t.Errorf("second Close = %v, %v and released %d; want false, nil, 0", ok, err, released)
	}
	s.Unlock()
	if s.Lock() {
		t.Error("Lock reports open after Close")
	}
	s.Unlock()
}

// TestConcurrent releases every resource exactly once when resources and
// the device are closed at the same time (run with -race).
func TestConcurrent(t *testing.T) {
	var s Set[*res]
	const n = 200
	rs := make([]*res, n)
	s.Lock()
	for i := range rs {
		rs[i] = &res{i}
		s.Add(rs[i])
	}
	s.Unlock()
	released := make([]int, n)
	var mu sync.Mutex
	release := func(r *res) {
		mu.Lock()
		released[r.id]++
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for _, r := range rs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.Lock()
			defer s.Unlock()
			if s.Remove(r) {
				release(r)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.Lock()
		defer s.Unlock()
		s.Close(func(r *res) error { release(r); return nil })
	}()
	wg.Wait()
	for i, k := range released {
		if k != 1 {
			t.Fatalf("resource %d released %d times, want 1", i, k)
		}
	}
}
