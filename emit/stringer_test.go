package emit

import (
	"fmt"
	"strings"
	"testing"
)

func TestFlagTerms(t *testing.T) {
	group := func(pairs ...string) ([]constDecl, []string) {
		var cons []constDecl
		var cnames []string
		for i := 0; i < len(pairs); i += 2 {
			cons = append(cons, constDecl{name: pairs[i], value: pairs[i+1]})
			cnames = append(cnames, pairs[i])
		}
		return cons, cnames
	}
	show := func(terms []flagTerm) string {
		var s []string
		for _, t := range terms {
			w := ""
			if t.whenMask != 0 {
				w = fmt.Sprintf(" if&%#x==%#x/%v", t.whenMask, t.whenValue, !t.whenNot)
			}
			s = append(s, fmt.Sprintf("%s %#x=%#x%s raw=%v", t.name, t.mask, t.value, w, t.raw))
		}
		return strings.Join(s, "; ")
	}
	for _, c := range []struct {
		name  string
		pairs []string
		under string
		when  []FlagWhen
		want  string // "" means not flags
	}{
		{"bits", []string{"F_a", "1", "F_b", "2", "F_c", "0x8"}, "uint32", nil,
			"F_a 0x1=0x1 raw=false; F_b 0x2=0x2 raw=false; F_c 0x8=0x8 raw=false"},
		{"field and bits", []string{"T_x", "0", "T_y", "1", "T_type_mask", "3", "T_ro", "4"}, "uint16", nil,
			"T_x 0x3=0x0 raw=false; T_y 0x3=0x1 raw=false; T_ro 0x4=0x4 raw=false"},
		{"field without names", []string{"M_a", "1", "M_avail_mask", "0xff00"}, "uint32", nil,
			"M_a 0x1=0x1 raw=false; M_avail_mask 0xff00=0x0 raw=true"},
		{"shared bit, no rule", []string{"T_p", "1", "T_q", "2", "T_type_mask", "3", "T_ro", "4", "T_done", "4"}, "uint16", nil,
			"T_p 0x3=0x1 raw=false; T_q 0x3=0x2 raw=false; T_ro/T_done 0x4=0x4 raw=false"},
		{"shared bit, rule", []string{"T_p", "1", "T_q", "2", "T_type_mask", "3", "T_ro", "4", "T_x_done", "4"}, "uint16",
			[]FlagWhen{{Prefix: "T_x_", Value: "T_q"}},
			"T_p 0x3=0x1 raw=false; T_q 0x3=0x2 raw=false; T_ro 0x4=0x4 if&0x3==0x2/false raw=false; T_x_done 0x4=0x4 if&0x3==0x2/true raw=false"},
		{"an enum", []string{"E_a", "0", "E_b", "1", "E_c", "2", "E_d", "3"}, "uint32", nil, ""},
		{"signed", []string{"S_a", "1", "S_b", "2"}, "int16", nil, ""},
	} {
		cons, cnames := group(c.pairs...)
		terms, ok := flagTerms(cons, cnames, c.under, c.when)
		got := ""
		if ok {
			got = show(terms)
		}
		if got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}

func TestConsttypeWhen(t *testing.T) {
	cfg, err := ParseConfig("c.conf", []byte("consttype F_ F uint16 when=F_t_:F_x\nconsttype G_ G int16 G_msgs\n"))
	if err != nil {
		t.Fatal(err)
	}
	n := len(cfg.ConstTypes)
	if got := cfg.ConstTypes[n-2]; len(got.When) != 1 || got.When[0] != (FlagWhen{"F_t_", "F_x"}) || got.Messages != "" {
		t.Errorf("consttype with when=: %+v", got)
	}
	if got := cfg.ConstTypes[n-1]; got.Messages != "G_msgs" || got.When != nil {
		t.Errorf("consttype with messages: %+v", got)
	}
	for _, bad := range []string{"consttype F_ F uint16 when=F_t_\n", "consttype F_ F uint16 M when=:x\n", "consttype F_ F uint16 M N\n"} {
		if _, err := ParseConfig("c.conf", []byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
