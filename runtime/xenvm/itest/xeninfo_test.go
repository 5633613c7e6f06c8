//go:build xenvm

package itest

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/xenbind/xenbind/generated/xen"
	"github.com/xenbind/xenbind/runtime/hypercall"
)

// xeninfoReport is cmd/xeninfo's -json output.
type xeninfoReport struct {
	Version        string   `json:"version"`
	ExtraVersion   string   `json:"extra_version"`
	Capabilities   []string `json:"capabilities"`
	PageSize       uint64   `json:"page_size"`
	CurrentPages   uint64   `json:"current_reservation_pages"`
	MaxPages       uint64   `json:"maximum_reservation_pages"`
	MaxRAMPage     uint64   `json:"maximum_ram_page"`
	GrantFrames    uint32   `json:"grant_table_frames"`
	MaxGrantFrames uint32   `json:"grant_table_max_frames"`
	GrantVersion   uint32   `json:"grant_table_version"`
}

// TestXeninfo runs cmd/xeninfo, built by the harness for this GOARCH, and
// checks that its -json report says what the wrappers say, fact by fact,
// and that its text report runs too.
func TestXeninfo(t *testing.T) {
	c := caller(t)
	var want xeninfoReport
	v, err := xen.XenverVersion(c)
	must(t, "XenverVersion(c)", "XENVER_version", err)
	want.Version = v.String()
	ev, err := xen.XenverExtraversion(c)
	must(t, "XenverExtraversion(c)", "XENVER_extraversion", err)
	want.ExtraVersion = hypercall.CString(ev[:])
	caps, err := xen.XenverCapabilities(c)
	must(t, "XenverCapabilities(c)", "XENVER_capabilities", err)
	want.Capabilities = strings.Fields(hypercall.CString(caps[:]))
	want.PageSize, err = xen.XenverPagesize(c)
	must(t, "XenverPagesize(c)", "XENVER_pagesize", err)
	want.CurrentPages, err = xen.XenmemCurrentReservation(c, xen.DOMID_SELF)
	must(t, "XenmemCurrentReservation(c, DOMID_SELF)", "XENMEM_current_reservation", err)
	want.MaxPages, err = xen.XenmemMaximumReservation(c, xen.DOMID_SELF)
	must(t, "XenmemMaximumReservation(c, DOMID_SELF)", "XENMEM_maximum_reservation", err)
	want.MaxRAMPage, err = xen.XenmemMaximumRAMPage(c)
	must(t, "XenmemMaximumRAMPage(c)", "XENMEM_maximum_ram_page", err)
	want.GrantFrames, want.MaxGrantFrames, err = xen.GnttabopQuerySize(c, xen.DOMID_SELF)
	must(t, "GnttabopQuerySize(c, DOMID_SELF)", "GNTTABOP_query_size", err)
	want.GrantVersion, err = xen.GnttabopGetVersion(c, xen.DOMID_SELF)
	must(t, "GnttabopGetVersion(c, DOMID_SELF)", "GNTTABOP_get_version", err)

	bin := filepath.Join(vm.tools, "xeninfo-"+runtime.GOARCH)
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "-json")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s -json: %v\n%s", bin, err, stderr.Bytes())
	}
	t.Logf("%s -json:\n%s", bin, stdout.Bytes())
	var got xeninfoReport
	dec := json.NewDecoder(&stdout)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("%s -json: %v", bin, err)
	}
	gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
	for i := 0; i < gv.NumField(); i++ {
		f := gv.Type().Field(i)
		if g, w := gv.Field(i).Interface(), wv.Field(i).Interface(); !reflect.DeepEqual(g, w) {
			t.Errorf("xeninfo -json %s = %v, want %v, what the wrappers say", f.Tag.Get("json"), g, w)
		}
	}

	text, err := exec.Command(bin).CombinedOutput()
	t.Logf("%s:\n%s", bin, text)
	version := want.Version + want.ExtraVersion
	if err != nil || !strings.HasPrefix(string(text), "Xen version:") || !strings.Contains(string(text), " "+version+"\n") {
		t.Errorf("%s = %v, %q; want a report starting \"Xen version: %s\"", bin, err, text, version)
	}
}
