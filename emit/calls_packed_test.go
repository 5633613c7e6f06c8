package emit

import (
	"strings"
	"testing"
)

func TestParsePacked(t *testing.T) {
	p, err := parsePacked("s", 1, strings.Fields("XenVersion uint32 major=31:16 minor=15:0 string=major.minor"))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.fields) != 2 || p.fields[0] != (packedField{"major", 31, 16}) || p.fields[1].goType() != "uint16" {
		t.Errorf("fields = %+v", p.fields)
	}
	if got := strings.Join(p.format, "|"); got != "major|.|minor" {
		t.Errorf("format = %q", got)
	}
	for _, bad := range []string{
		"V uint32 major=31:16",            // no string=
		"V uint32 string=major",           // no field
		"V int32 a=3:0 string=a",          // signed
		"V uint8 a=8:0 string=a",          // beyond the type
		"V uint32 a=3:4 string=a",         // HI < LO
		"V uint32 a=7:0 b=4:4 string=a.b", // overlap
		"V uint32 a=7:0 string=a.b",       // b is no field
		"v uint32 a=7:0 string=a",         // not an exported Go name
		"V uint32 a=7 string=a",           // no LO
	} {
		if _, err := parsePacked("s", 1, strings.Fields(bad)); err == nil {
			t.Errorf("packed %s: accepted", bad)
		}
	}
}

func TestResultTypeSpec(t *testing.T) {
	for _, c := range []struct {
		line string
		ok   bool
	}{
		{"cmd X result=version:XenVersion", true},
		{"cmd X result=version", true},
		{"cmd X result=:XenVersion", false},
		{"cmd X result=a:b:c", false},
	} {
		_, err := parseCallSpec("s", []byte(c.line+"\n"))
		if (err == nil) != c.ok {
			t.Errorf("%s: err = %v", c.line, err)
		}
	}
}
