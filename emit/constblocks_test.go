package emit

import (
	"fmt"
	"strings"
	"testing"
)

func TestConstFamily(t *testing.T) {
	for _, c := range []struct {
		name  string
		words int
		want  string
	}{
		{"DOMID_SELF", 1, "DOMID"},
		{"GTF_permit_access", 1, "GTF"},
		{"_GTF_PAT", 1, "GTF"},
		{"GTF_PAT", 1, "GTF"},
		{"XEN_DOMCTL_CDF_hvm", 1, "XEN_DOMCTL"},
		{"XEN_DOMCTL_CDF_hvm", 2, "XEN_DOMCTL_CDF"},
		{"XEN_DOMCTL_createdomain", 2, "XEN_DOMCTL"},
		{"__HYPERVISOR_set_trap_table", 1, "HYPERVISOR"},
		{"HVM_PARAM_STORE_PFN", 1, "HVM"},
		{"HVM_PARAM_STORE_PFN", 2, "HVM_PARAM"},
		{"HVM_PARAM_STORE_PFN", 4, "HVM_PARAM_STORE"}, // never the last word
		{"PAGE", 1, "PAGE"},
		{"lower_case", 1, "lower"},
	} {
		if got := constFamily(c.name, c.words); got != c.want {
			t.Errorf("constFamily(%s, %d) = %s, want %s", c.name, c.words, got, c.want)
		}
	}
}

// TestConstBlocks: a family is one block; a family larger than
// maxConstBlock is split by the next word of the names.
func TestConstBlocks(t *testing.T) {
	var run []constDecl
	add := func(names ...string) {
		for _, n := range names {
			run = append(run, constDecl{name: n})
		}
	}
	add("DOMID_SELF", "DOMID_IO", "_GTF_PAT", "GTF_PAT", "GTF_permit_access", "DOMID_COW")
	for i := range maxConstBlock {
		add(fmt.Sprintf("TRC_SCHED_%d", i))
	}
	add("TRC_HVM_x", "TRC_HVM_y")
	var got []string
	for _, b := range constBlocks(run) {
		var names []string
		for _, c := range b {
			names = append(names, c.name)
		}
		got = append(got, fmt.Sprintf("%s..%s (%d)", names[0], names[len(names)-1], len(names)))
	}
	want := []string{
		"DOMID_SELF..DOMID_IO (2)",
		"_GTF_PAT..GTF_permit_access (3)",
		"DOMID_COW..DOMID_COW (1)",
		"TRC_SCHED_0..TRC_SCHED_39 (40)",
		"TRC_HVM_x..TRC_HVM_y (2)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("blocks:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
