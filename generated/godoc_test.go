package generated

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestGoDocShowsOneFamily runs go doc on constants of the generated
// packages: it prints the const block that holds the constant, which must
// hold that constant's family only (a block per family, not one per
// header), and not run to hundreds of lines.
func TestGoDocShowsOneFamily(t *testing.T) {
	decl := regexp.MustCompile(`(?m)^\t(\w+)(?: \w+)? += `)
	for _, c := range []struct {
		pkg, name string
		family    []string // every constant shown starts with one of these
	}{
		{"./xen", "DOMID_SELF", []string{"DOMID_"}},
		{"./xen", "GNTMAP_host_map", []string{"GNTMAP_", "_GNTMAP_"}},
		{"./xen", "XENMEM_populate_physmap", []string{"XENMEM_"}},
		{"./xen", "XEN_DOMCTL_createdomain", []string{"XEN_DOMCTL_"}},
		{"./xen", "VIRQ_TIMER", []string{"VIRQ_"}},
		{"./xenguest", "DOMID_SELF", []string{"DOMID_"}},
	} {
		out, err := exec.Command("go", "doc", c.pkg, c.name).CombinedOutput()
		if err != nil {
			t.Errorf("go doc %s %s: %v\n%s", c.pkg, c.name, err, out)
			continue
		}
		names := decl.FindAllStringSubmatch(string(out), -1)
		found := false
		for _, m := range names {
			found = found || m[1] == c.name
			ok := false
			for _, f := range c.family {
				ok = ok || strings.HasPrefix(m[1], f)
			}
			if !ok {
				t.Errorf("go doc %s %s shows %s, not of the family %v", c.pkg, c.name, m[1], c.family)
			}
		}
		if lines := strings.Count(string(out), "\n"); !found || lines > 250 {
			t.Errorf("go doc %s %s: %d lines, %d constants, the constant itself shown: %v", c.pkg, c.name, lines, len(names), found)
		}
	}
}
