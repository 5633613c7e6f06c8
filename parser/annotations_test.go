package parser

import (
	"reflect"
	"strings"
	"testing"
)

func TestParsePrototypes(t *testing.T) {
	lines := strings.Split(strings.TrimPrefix(`
`+"`"+` enum neg_errnoval
`+"`"+` HYPERVISOR_update_va_mapping(unsigned long va, u64 val,
`+"`"+`                              enum uvm_flags flags)
`+"`"+`
`+"`"+` int HYPERVISOR_console_io(unsigned int cmd, unsigned int count, char buffer[]);
`+"`"+` @va: The virtual address
Prose about it.`, "\n"), "\n")
	got := ParsePrototypes("xen.h", 10, lines)
	want := []*Prototype{
		{Name: "HYPERVISOR_update_va_mapping", Result: "enum neg_errnoval", Pos: Pos{"xen.h", 11, 1},
			Params: []Param{{"va", "unsigned long"}, {"val", "u64"}, {"flags", "enum uvm_flags"}}},
		{Name: "HYPERVISOR_console_io", Result: "int", Pos: Pos{"xen.h", 14, 1},
			Params: []Param{{"cmd", "unsigned int"}, {"count", "unsigned int"}, {"buffer", "char []"}}},
	}
	for _, p := range got {
		if p.Doc != "@va: The virtual address\nProse about it." {
			t.Errorf("%s: Doc = %q", p.Name, p.Doc)
		}
		p.Doc = ""
	}
	if !reflect.DeepEqual(got, want) {
		for _, p := range got {
			t.Logf("got %+v", *p)
		}
		t.Errorf("ParsePrototypes did not read the two prototypes")
	}
}

func TestParseParam(t *testing.T) {
	tests := []struct {
		decl    string
		want    Param
		ok, ptr bool
	}{
		{"const struct mmu_update reqs[]", Param{"reqs", "const struct mmu_update []"}, true, true},
		{"unsigned *done_out", Param{"done_out", "unsigned *"}, true, true},
		{"void *  arg", Param{"arg", "void *"}, true, true},
		{" domid_t domid ", Param{"domid", "domid_t"}, true, false},
		{"void", Param{}, false, false},
	}
	for _, tt := range tests {
		got, ok := parseParam(tt.decl)
		if got != tt.want || ok != tt.ok || got.IsPointer() != tt.ptr {
			t.Errorf("parseParam(%q) = %+v, %v (pointer %v); want %+v, %v, %v", tt.decl, got, ok, got.IsPointer(), tt.want, tt.ok, tt.ptr)
		}
	}
}

// TestAnnotationsOfXenH checks what the pinned headers annotate: the
// naming rule of the hypercall list and the prototypes of xen.h and
// grant_table.h.
func TestAnnotationsOfXenH(t *testing.T) {
	u := parse(t, X86_64, Tools, "xen.h", "grant_table.h")
	var list bool
	protos := map[string]*Prototype{}
	for _, a := range u.Annotations {
		list = list || strings.Contains(a.Text(), "enum hypercall_num { // __HYPERVISOR_* => HYPERVISOR_*()")
		for _, p := range a.Prototypes() {
			protos[p.Name] = p
		}
	}
	if !list {
		t.Error("no annotation states the hypercall list's naming rule")
	}
	for name, n := range map[string]int{"HYPERVISOR_mmu_update": 4, "HYPERVISOR_mmuext_op": 4, "HYPERVISOR_console_io": 3,
		"HYPERVISOR_multicall": 2, "HYPERVISOR_grant_table_op": 3, "HYPERVISOR_update_va_mapping_otherdomain": 4, "HYPERVISOR_set_gdt": 2} {
		p := protos[name]
		if p == nil {
			t.Errorf("no prototype of %s", name)
			continue
		}
		if len(p.Params) != n {
			t.Errorf("%s: %d parameters, want %d: %+v", name, len(p.Params), n, p.Params)
		}
	}
	if p := protos["HYPERVISOR_grant_table_op"]; p != nil && (p.Pos.File != "grant_table.h" || !strings.Contains(p.Doc, "@args points to an array")) {
		t.Errorf("grant_table_op at %s with doc %q", p.Pos, p.Doc)
	}
}
