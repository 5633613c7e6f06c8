package foreignmem_test

import (
	"errors"
	"syscall"
	"testing"

	"github.com/xenbind/xenbind/runtime/foreignmem"
	"github.com/xenbind/xenbind/runtime/foreignmem/foreignmemtest"
)

func TestMapBatchPerPageErrors(t *testing.T) {
	ds := foreignmemtest.New()
	ds.Frame(5, 10)[0] = 0x11
	ds.Frame(5, 11)[0] = 0x22
	ds.PageOut(5, 12)
	d := ds.Open(0)
	defer d.Close()
	m, err := d.MapBatch(5, []uint64{10, 11, 12, 99}, false)
	var be *foreignmem.BatchError
	if !errors.As(err, &be) || be.Failed != 2 {
		t.Fatalf("MapBatch: %v, want a *BatchError with 2 failed pages", err)
	}
	if be.Errs[0] != nil || be.Errs[1] != nil || be.Errs[2] != syscall.ENOENT || be.Errs[3] != syscall.EFAULT {
		t.Errorf("per-page errors %v, want nil nil ENOENT EFAULT", be.Errs)
	}
	if !errors.Is(err, syscall.ENOENT) {
		t.Error("errors.Is(ENOENT) does not see the paged-out page")
	}
	if m == nil || m.Mem[0] != 0x11 || m.Mem[foreignmem.PageSize] != 0x22 {
		t.Fatalf("the mapped pages are not the frames")
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestMapBatchErrors(t *testing.T) {
	ds := foreignmemtest.New()
	d := ds.Open(0)
	defer d.Close()
	var e *foreignmem.Error
	if _, err := d.MapBatch(7, []uint64{1}, false); !errors.As(err, &e) || !errors.Is(err, syscall.ESRCH) {
		t.Errorf("unknown domain: %v", err)
	}
	if _, err := d.MapBatch(7, nil, false); !errors.As(err, &e) {
		t.Errorf("no frames: %v", err)
	}
}

func TestResourceAndRestrict(t *testing.T) {
	ds := foreignmemtest.New()
	frames := ds.SetResource(3, foreignmem.ResourceGrantTable, foreignmem.GrantTableShared, 2)
	ds.Frame(4, 1)
	frames[1][8] = 0x5a
	d := ds.Open(0)
	defer d.Close()
	n, err := d.ResourceSize(3, foreignmem.ResourceGrantTable, foreignmem.GrantTableShared)
	if err != nil || n != 2 {
		t.Fatalf("ResourceSize = %d, %v; want 2", n, err)
	}
	m, err := d.MapResource(3, foreignmem.ResourceGrantTable, foreignmem.GrantTableShared, 1, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	if m.Mem[8] != 0x5a {
		t.Error("MapResource did not map frame 1")
	}
	if err := d.Restrict(3); err != nil {
		t.Fatal(err)
	}
	if _, err := d.MapBatch(4, []uint64{1}, false); !errors.Is(err, syscall.EPERM) {
		t.Errorf("after Restrict(3), domain 4: %v, want EPERM", err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); !errors.Is(err, foreignmem.ErrClosed) {
		t.Errorf("Mapping.Close after Device.Close: %v (Device.Close must unmap it)", err)
	}
}
