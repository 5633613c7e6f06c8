package hypercall

import (
	"bytes"
	"errors"
	"sync"
	"testing"
)

const testPage = 4096

// fakeMemory hands out Go memory filled with 0xAA (so that untouched bytes
// show) at made-up, distinct addresses, and counts what the pool does.
type fakeMemory struct {
	mu     sync.Mutex
	next   uint64
	maps   int
	unmaps int
	short  bool  // map one page less than asked
	err    error // fail every Map
	live   map[*byte][]byte
}

func newFakeMemory() *fakeMemory {
	return &fakeMemory{next: 0x7f0000000000, live: map[*byte][]byte{}}
}

func (m *fakeMemory) Map(size int) ([]byte, uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return nil, 0, m.err
	}
	if m.short {
		size -= testPage
	}
	mem := bytes.Repeat([]byte{0xAA}, size)
	addr := m.next
	m.next += uint64(size) + testPage // a guard gap between mappings
	m.maps++
	m.live[&mem[0]] = mem
	return mem, addr, nil
}

func (m *fakeMemory) Unmap(mem []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.live[&mem[0]]; !ok {
		return errors.New("unmap of memory that is not mapped")
	}
	delete(m.live, &mem[0])
	m.unmaps++
	return nil
}

func (m *fakeMemory) counts() (maps, unmaps int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.maps, m.unmaps
}

func newTestPool(t *testing.T) (*Pool, *fakeMemory) {
	t.Helper()
	m := newFakeMemory()
	p, err := NewPool(m, testPage)
	if err != nil {
		t.Fatal(err)
	}
	return p, m
}

func mustAlloc(t *testing.T, p *Pool, n int) *Buffer {
	t.Helper()
	b, err := p.Alloc(n)
	if err != nil {
		t.Fatalf("Alloc(%d): %v", n, err)
	}
	return b
}

func TestNewPoolRejects(t *testing.T) {
	tests := []struct {
		name string
		mem  Memory
		page int
	}{
		{"nil memory", nil, testPage},
		{"zero page", newFakeMemory(), 0},
		{"negative page", newFakeMemory(), -4096},
		{"page not a power of two", newFakeMemory(), 3000},
	}
	for _, tt := range tests {
		if _, err := NewPool(tt.mem, tt.page); err == nil {
			t.Errorf("%s: NewPool succeeded", tt.name)
		}
	}
}

func TestAllocSizes(t *testing.T) {
	tests := []struct {
		n       int
		mapping int // bytes mapped for it
	}{
		{0, testPage},
		{1, testPage},
		{testPage, testPage},
		{testPage + 1, 2 * testPage},
		{3 * testPage, 4 * testPage},
		{64 * testPage, 64 * testPage},
		{64*testPage + 1, 65 * testPage}, // too large to pool: mapped exactly
	}
	for _, tt := range tests {
		p, _ := newTestPool(t)
		b := mustAlloc(t, p, tt.n)
		if got := len(b.Bytes()); got != tt.n {
			t.Errorf("Alloc(%d): len(Bytes()) = %d", tt.n, got)
		}
		if got := cap(b.Bytes()); got != tt.n {
			t.Errorf("Alloc(%d): cap(Bytes()) = %d, want no spare capacity", tt.n, got)
		}
		if got := len(b.s.mem); got != tt.mapping {
			t.Errorf("Alloc(%d): mapped %d bytes, want %d", tt.n, got, tt.mapping)
		}
		if tt.n > 0 && !bytes.Equal(b.Bytes(), make([]byte, tt.n)) {
			t.Errorf("Alloc(%d): memory not zeroed", tt.n)
		}
		for off := 0; off < len(b.s.mem); off += testPage {
			if b.s.mem[off] != 0 {
				t.Errorf("Alloc(%d): page at %#x never written", tt.n, off)
			}
		}
		if b.Addr() == 0 {
			t.Errorf("Alloc(%d): zero address", tt.n)
		}
		b.Release()
	}
}

func TestAllocTouchesPagesBeyondRequest(t *testing.T) {
	p, _ := newTestPool(t)
	b := mustAlloc(t, p, 3*testPage) // size class of 4 pages
	if b.s.mem[3*testPage] != 0 {
		t.Error("fourth page of the mapping was never written")
	}
	if b.s.mem[3*testPage+1] != 0xAA {
		t.Error("bytes past the request were cleared, not just touched; test cannot tell touching from clearing")
	}
}

func TestAllocRejects(t *testing.T) {
	p, m := newTestPool(t)
	for _, n := range []int{-1, maxAlloc + 1} {
		if _, err := p.Alloc(n); !errors.Is(err, EINVAL) {
			t.Errorf("Alloc(%d) = %v, want EINVAL", n, err)
		}
	}
	m.err = ENOMEM
	if _, err := p.Alloc(10); !errors.Is(err, ENOMEM) {
		t.Errorf("Alloc with failing Memory = %v, want wrapped ENOMEM", err)
	}
	m.err = nil
	m.short = true
	if _, err := p.Alloc(2 * testPage); err == nil {
		t.Error("Alloc accepted a mapping shorter than asked")
	}
	if maps, unmaps := m.counts(); maps != unmaps {
		t.Errorf("short mapping leaked: %d maps, %d unmaps", maps, unmaps)
	}
}

func TestReleaseRecycles(t *testing.T) {
	p, m := newTestPool(t)
	b := mustAlloc(t, p, 100)
	addr := b.Addr()
	copy(b.Bytes(), "dirty")
	b.Release()
	b2 := mustAlloc(t, p, 50)
	if b2.Addr() != addr {
		t.Errorf("second Alloc of the same class got a new buffer (%#x, first was %#x)", b2.Addr(), addr)
	}
	if !bytes.Equal(b2.Bytes(), make([]byte, 50)) {
		t.Error("recycled buffer not zeroed")
	}
	if maps, _ := m.counts(); maps != 1 {
		t.Errorf("%d maps for a recycled buffer, want 1", maps)
	}
	b2.Release()
	b2.Release() // twice: harmless
	var nilBuf *Buffer
	nilBuf.Release()
	(&Buffer{}).Release()
}

func TestReleaseKeepsAtMostMaxIdle(t *testing.T) {
	p, m := newTestPool(t)
	var bufs []*Buffer
	for range maxIdle + 2 {
		bufs = append(bufs, mustAlloc(t, p, 1))
	}
	for _, b := range bufs {
		b.Release()
	}
	if _, unmaps := m.counts(); unmaps != 2 {
		t.Errorf("%d unmaps after releasing %d buffers, want 2 (keep %d idle)", unmaps, maxIdle+2, maxIdle)
	}
	big := mustAlloc(t, p, 100*testPage)
	big.Release()
	if _, unmaps := m.counts(); unmaps != 3 {
		t.Errorf("an oversized buffer was kept after Release")
	}
}

func TestResolve(t *testing.T) {
	p, _ := newTestPool(t)
	b := mustAlloc(t, p, 100)
	copy(b.Bytes(), "0123456789")
	other := mustAlloc(t, p, 10)

	tests := []struct {
		name    string
		addr    uint64
		n       int
		want    string // prefix of the returned bytes
		wantLen int
		fault   bool
	}{
		{"start", b.Addr(), 4, "0123", 100, false},
		{"inside", b.Addr() + 5, 5, "56789", 95, false},
		{"whole", b.Addr(), 100, "0123", 100, false},
		{"last byte", b.Addr() + 99, 1, "\x00", 1, false},
		{"zero length inside", b.Addr() + 10, 0, "", 90, false},
		{"past the end", b.Addr() + 100, 1, "", 0, true},
		{"running over", b.Addr() + 90, 11, "", 0, true},
		{"before", b.Addr() - 1, 1, "", 0, true},
		{"null", 0, 1, "", 0, true},
		{"negative length", b.Addr(), -1, "", 0, true},
		{"other buffer", other.Addr(), 10, "\x00", 10, false},
	}
	for _, tt := range tests {
		got, err := p.Resolve(tt.addr, tt.n)
		if tt.fault {
			if !errors.Is(err, EFAULT) {
				t.Errorf("%s: Resolve = %q, %v; want EFAULT", tt.name, got, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: Resolve: %v", tt.name, err)
			continue
		}
		if len(got) != tt.wantLen || !bytes.HasPrefix(got, []byte(tt.want)) {
			t.Errorf("%s: Resolve = %d bytes %q..., want %d bytes %q...", tt.name, len(got), got[:min(len(got), 8)], tt.wantLen, tt.want)
		}
	}
	b.Release()
	if _, err := p.Resolve(b.Addr(), 1); !errors.Is(err, EFAULT) {
		t.Errorf("Resolve of a released buffer = %v, want EFAULT", err)
	}
}

func TestClose(t *testing.T) {
	p, m := newTestPool(t)
	idle := mustAlloc(t, p, 1)
	busy := mustAlloc(t, p, 1)
	idle.Release()
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, unmaps := m.counts(); unmaps != 1 {
		t.Errorf("Close unmapped %d buffers, want the 1 idle one", unmaps)
	}
	if _, err := p.Alloc(1); !errors.Is(err, ErrClosed) {
		t.Errorf("Alloc after Close = %v, want ErrClosed", err)
	}
	busy.Release()
	if maps, unmaps := m.counts(); maps != unmaps {
		t.Errorf("after Close and Release: %d maps, %d unmaps", maps, unmaps)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestPoolConcurrent(t *testing.T) {
	p, m := newTestPool(t)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				n := (g*37 + i*101) % (3 * testPage)
				b, err := p.Alloc(n)
				if err != nil {
					t.Error(err)
					return
				}
				for j := range b.Bytes() {
					if b.Bytes()[j] != 0 {
						t.Errorf("buffer not zeroed at %d", j)
						return
					}
				}
				if n > 0 {
					b.Bytes()[n-1] = byte(g)
					if _, err := p.Resolve(b.Addr()+uint64(n-1), 1); err != nil {
						t.Error(err)
					}
				}
				b.Release()
			}
		})
	}
	wg.Wait()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if maps, unmaps := m.counts(); maps != unmaps {
		t.Errorf("%d maps, %d unmaps after Close", maps, unmaps)
	}
}

func TestAllocReleaseDoesNotAllocate(t *testing.T) {
	p, _ := newTestPool(t)
	mustAlloc(t, p, 200).Release() // warm the size class
	n := testing.AllocsPerRun(100, func() {
		b, err := p.Alloc(200)
		if err != nil {
			t.Fatal(err)
		}
		b.Release()
	})
	if n != 0 {
		t.Errorf("Alloc+Release allocates %v times in steady state", n)
	}
}

func BenchmarkAllocRelease(b *testing.B) {
	m := newFakeMemory()
	p, err := NewPool(m, testPage)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		buf, err := p.Alloc(64)
		if err != nil {
			b.Fatal(err)
		}
		buf.Release()
	}
}

// TestStaleBufferCannotRelease: a Buffer released twice, the second time
// after a later Alloc got its memory, leaves that memory with its new owner.
func TestStaleBufferCannotRelease(t *testing.T) {
	p, _ := newTestPool(t)
	old := mustAlloc(t, p, 100)
	old.Release()
	cur := mustAlloc(t, p, 100)
	if cur == old {
		t.Fatal("Alloc handed out a *Buffer it had handed out before")
	}
	old.Release() // stale: must not free cur's memory
	if old.Bytes() != nil || old.Addr() != 0 {
		t.Error("a released Buffer still shows memory")
	}
	other := mustAlloc(t, p, 100)
	if other.Addr() == cur.Addr() {
		t.Fatal("two live buffers share one address after a stale Release")
	}
	if _, err := p.Resolve(cur.Addr(), 100); err != nil {
		t.Errorf("the current owner's buffer is no longer live: %v", err)
	}
	cur.Release()
	cur.Release()
	other.Release()
}

// TestReuseZeroesAll: memory handed out again is zeroed in full, not only
// over the bytes asked for.
func TestReuseZeroesAll(t *testing.T) {
	p, _ := newTestPool(t)
	b := mustAlloc(t, p, testPage)
	for i := range b.Bytes() {
		b.Bytes()[i] = 0x55
	}
	s := b.s
	b.Release()
	b = mustAlloc(t, p, 16)
	if b.s != s {
		t.Fatal("the pool did not reuse the mapping; the test proves nothing")
	}
	if !bytes.Equal(s.mem, make([]byte, len(s.mem))) {
		t.Errorf("%d of %d bytes left from the previous use", len(s.mem)-bytes.Count(s.mem, []byte{0}), len(s.mem))
	}
	b.Release()
}
