package emit

import (
	_ "embed"
	"fmt"
	"strconv"
	"strings"

	"github.com/xenbind/xenbind/parser"
)

// hypercallsSpec is what the wrappers need beyond the headers; its format
// is documented at its top.
//
//go:embed hypercalls.spec
var hypercallsSpec []byte

// specName is how errors name the spec file.
const specName = "emit/hypercalls.spec"

// callSpec is the parsed spec.
type callSpec struct {
	protos   []specProto
	families []*family
	ignores  []string
	subops   []*subopGroup
	cmds     map[string]*cmdSpec // by C name
	variants []*cmdSpec          // sub-command lines, in order
	errcodes []*errcodeSpec
	envs     []*envelopeSpec
	nowrap   map[string]string // command -> why it has no wrapper
	packed   []*packedSpec
	entries  []*entrySpec
}

// envelopeSpec is an envelope line: every command of a family travels in
// one struct (struct xen_domctl) that carries the command, an interface
// version and maybe a domain, with the command's own argument a member of
// a union in it.
type envelopeSpec struct {
	file   string
	line   int
	prefix string // the family, "XEN_DOMCTL_"
	record string // "xen_domctl"
	cmd    string // the member taking the command
	// version and versionMacro: the member taking the interface version
	// and the macro giving it.
	version, versionMacro string
	// domain and domainLimit: the member taking the domain, "" if none,
	// and the macro of the first id that names no domain.
	domain, domainLimit string
	payload             string // the union of the arguments, "u"
}

// specProto is a hypercall line.
type specProto struct {
	file    string
	line    int
	goarchs []string // nil: every target
	proto   *parser.Prototype
}

// family is a family line: the commands PREFIX* of one hypercall.
type family struct {
	file      string
	line      int
	prefix    string
	hypercall string // "HYPERVISOR_memory_op"
	// cmdParam, argParam and countParam name the hypercall's parameters
	// that take the command, the argument's address and the number of
	// argument structs ("" when it has none).
	cmdParam, argParam, countParam string
	// status is the member of an argument struct holding a status, and
	// statusPrefix the prefix of its typed constant group ("GNTST_").
	status, statusPrefix string
}

// subopGroup is a subops line.
type subopGroup struct {
	file     string
	line     int
	parent   string // the command, "XENMEM_sharing_op"
	prefix   string // its sub-commands, "XENMEM_sharing_op_"
	selector string // the member selecting one, "op"
}

// cmdSpec is a cmd or subop line: what one wrapper needs.
type cmdSpec struct {
	file    string
	line    int
	name    string // C name of the command or sub-command
	isSubop bool
	variant string // Go name suffix of a variant (name=)

	arg    string // "" (from the headers), "none", or a C struct/typedef name
	dir    string // "", "in", "out"
	ins    []fieldSpec
	outs   []fieldSpec
	result string
	// resultType is the Go type of the result (result=NAME:TYPE): a
	// packed type, or "" for uint64.
	resultType string
	handles    []handleSpec
	flex       *flexSpec
	single     bool // count=1
	zeros      []string
	equals     [][2]string
	disjoint   [][2]string
	shifteqs   [][4]string
	pagefits   []pagefitSpec
	flags      []flagSpec
	only       string
	enosys     string // enosys= : the Xen versions that do not implement it

	member    string   // member= : the envelope's union member
	nonempty  []string // handles that may not be empty
	domids    []string // members naming a domain or DOMID_SELF
	domainUse string   // domain= : "" or "out"
	spares    []string // spare= : handles passed with one element more
}

// fieldSpec is one member of in= or out=.
type fieldSpec struct {
	path  string
	name  string // the Go parameter or result, in C spelling; "" for the member's name
	ctype string // C type of the parameter, "" for the member's
}

// handleSpec is a handle= key.
type handleSpec struct {
	path  string
	count string // member path, number or MEMBER*MEMBER
	dir   string // in, out, inout
	size  int64  // element size for a handle of void, else 0
	// elem is the entry type of a handle of void (an entry line), given
	// instead of its size; spare: the wrapper passes one element more
	// than the slice has (spare= key), for a hypervisor that needs room
	// for one more than it writes.
	elem  string
	spare bool
}

// flexSpec is a flex= key.
type flexSpec struct {
	member, count string
}

// pagefitSpec is a pagefit= key.
type pagefitSpec struct {
	offset, length string
	size           int64
}

// flagSpec is a flag= key.
type flagSpec struct {
	path, macro string
}

// errcodeSpec is an errcode line.
type errcodeSpec struct {
	file  string
	line  int
	macro string
	cmds  []string
	text  string
}

// parseCallSpec parses spec text. Errors name the file and line, all of
// them at once.
func parseCallSpec(name string, text []byte) (*callSpec, error) {
	s := &callSpec{cmds: map[string]*cmdSpec{}, nowrap: map[string]string{}}
	err := scanDirectives(name, text, func(d directive, bad func(string, ...any)) {
		f, n, line := d.words, d.n, d.line
		switch f[0] {
		case "hypercall":
			p := specProto{file: name, line: n}
			rest := strings.TrimSpace(strings.TrimPrefix(line, "hypercall"))
			if a, b, ok := strings.Cut(rest, ":"); ok && !strings.Contains(a, "(") {
				p.goarchs = strings.Split(strings.TrimSpace(a), ",")
				rest = strings.TrimSpace(b)
			}
			ps := parser.ParsePrototypes(name, n, []string{"` " + rest})
			if len(ps) != 1 || !strings.HasSuffix(rest, ")") {
				bad("want: hypercall [GOARCH,...:] <result> HYPERVISOR_<name>(<parameters>)")
				return
			}
			p.proto = ps[0]
			p.proto.Pos = parser.Pos{File: name, Line: n, Col: 1}
			s.protos = append(s.protos, p)
		case "family":
			fam := &family{file: name, line: n}
			var pos []string
			for _, w := range f[1:] {
				if v, ok := strings.CutPrefix(w, "status="); ok {
					m, p, ok := strings.Cut(v, ":")
					if !ok || m == "" || p == "" {
						bad("want status=MEMBER:CONSTPREFIX")
					}
					fam.status, fam.statusPrefix = m, p
				} else {
					pos = append(pos, w)
				}
			}
			if len(pos) < 4 || len(pos) > 5 || !strings.HasSuffix(pos[0], "_") {
				bad("want: family PREFIX_ HYPERVISOR_<name> CMD ARG [COUNT] [status=MEMBER:CONSTPREFIX]")
				return
			}
			fam.prefix, fam.hypercall, fam.cmdParam, fam.argParam = pos[0], pos[1], pos[2], pos[3]
			if fam.cmdParam == "-" {
				fam.cmdParam = "" // the command travels in an envelope
			}
			if len(pos) == 5 {
				fam.countParam = pos[4]
			}
			s.families = append(s.families, fam)
		case "envelope":
			e := &envelopeSpec{file: name, line: n}
			if len(f) < 3 {
				bad("want: envelope PREFIX STRUCT cmd=MEMBER version=MEMBER:MACRO [domain=MEMBER:MACRO] payload=MEMBER")
				return
			}
			e.prefix, e.record = f[1], f[2]
			for _, kv := range f[3:] {
				k, v, _ := strings.Cut(kv, "=")
				a, b, two := strings.Cut(v, ":")
				switch {
				case k == "cmd" && v != "" && !two:
					e.cmd = v
				case k == "payload" && v != "" && !two:
					e.payload = v
				case k == "version" && a != "" && b != "":
					e.version, e.versionMacro = a, b
				case k == "domain" && a != "" && b != "":
					e.domain, e.domainLimit = a, b
				default:
					bad("%s: want cmd=MEMBER, version=MEMBER:MACRO, domain=MEMBER:MACRO or payload=MEMBER", kv)
				}
			}
			if e.cmd == "" || e.version == "" || e.payload == "" {
				bad("envelope %s: cmd=, version= and payload= are required", e.prefix)
				return
			}
			s.envs = append(s.envs, e)
		case "nowrap":
			if len(f) < 3 {
				bad("want: nowrap COMMAND,... REASON...")
				return
			}
			for _, c := range strings.Split(f[1], ",") {
				s.nowrap[c] = strings.Join(f[2:], " ")
			}
		case "ignore":
			if len(f) < 2 {
				bad("want: ignore PATTERN...")
				return
			}
			s.ignores = append(s.ignores, f[1:]...)
		case "subops":
			if len(f) != 4 {
				bad("want: subops COMMAND PREFIX MEMBER")
				return
			}
			s.subops = append(s.subops, &subopGroup{file: name, line: n, parent: f[1], prefix: f[2], selector: f[3]})
		case "cmd", "subop":
			if len(f) < 2 {
				bad("want: %s NAME KEY=VALUE...", f[0])
				return
			}
			c := &cmdSpec{file: name, line: n, name: f[1], isSubop: f[0] == "subop"}
			for _, kv := range f[2:] {
				if err := c.set(kv); err != nil {
					bad("%s: %v", kv, err)
				}
			}
			if c.isSubop {
				s.variants = append(s.variants, c)
				return
			}
			if s.cmds[c.name] != nil {
				bad("%s: a second cmd line", c.name)
				return
			}
			s.cmds[c.name] = c
		case "entry":
			e, err := parseEntry(name, n, f[1:])
			if err != nil {
				bad("%v", err)
				return
			}
			s.entries = append(s.entries, e)
		case "packed":
			p, err := parsePacked(name, n, f[1:])
			if err != nil {
				bad("%v", err)
				return
			}
			s.packed = append(s.packed, p)
		case "errcode":
			if len(f) < 4 {
				bad("want: errcode MACRO COMMAND,... TEXT")
				return
			}
			s.errcodes = append(s.errcodes, &errcodeSpec{file: name, line: n, macro: f[1], cmds: strings.Split(f[2], ","), text: strings.Join(f[3:], " ")})
		default:
			bad("unknown directive %q", f[0])
		}
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// set applies one KEY=VALUE of a cmd or subop line.
func (c *cmdSpec) set(kv string) error {
	k, v, ok := strings.Cut(kv, "=")
	if !ok || v == "" {
		return fmt.Errorf("want KEY=VALUE")
	}
	list := strings.Split(v, ",")
	switch k {
	case "arg":
		c.arg = v
	case "dir":
		if v != "in" && v != "out" {
			return fmt.Errorf("dir is in or out")
		}
		c.dir = v
	case "in", "out":
		for _, e := range list {
			parts := strings.Split(e, ":")
			if len(parts) > 3 || k == "out" && len(parts) > 2 || parts[0] == "" {
				return fmt.Errorf("want PATH[:NAME[:CTYPE]]")
			}
			fs := fieldSpec{path: parts[0]}
			if len(parts) > 1 {
				fs.name = parts[1]
			}
			if len(parts) > 2 {
				fs.ctype = parts[2]
			}
			if k == "in" {
				c.ins = append(c.ins, fs)
			} else {
				c.outs = append(c.outs, fs)
			}
		}
	case "result":
		c.result, c.resultType, _ = strings.Cut(v, ":")
		if c.result == "" || strings.Contains(c.resultType, ":") {
			return fmt.Errorf("want result=NAME[:GOTYPE]")
		}
	case "handle":
		if len(list) < 3 || len(list) > 4 {
			return fmt.Errorf("want PATH,COUNT,DIR[,SIZE]")
		}
		h := handleSpec{path: list[0], count: list[1], dir: list[2]}
		if h.dir != "in" && h.dir != "out" && h.dir != "inout" {
			return fmt.Errorf("direction %q is not in, out or inout", h.dir)
		}
		if len(list) == 4 {
			n, err := strconv.ParseInt(list[3], 10, 64)
			switch {
			case err == nil && n > 0:
				h.size = n
			case err != nil && CheckGoName(list[3]) == nil:
				h.elem = list[3]
			default:
				return fmt.Errorf("bad element size or entry type %q", list[3])
			}
		}
		c.handles = append(c.handles, h)
	case "spare":
		c.spares = append(c.spares, list...)
	case "flex":
		if len(list) != 2 {
			return fmt.Errorf("want MEMBER,COUNT")
		}
		c.flex = &flexSpec{member: list[0], count: list[1]}
	case "count":
		if v != "1" {
			return fmt.Errorf("only count=1 is known")
		}
		c.single = true
	case "zero":
		c.zeros = append(c.zeros, v)
	case "equal", "disjoint":
		if len(list) != 2 {
			return fmt.Errorf("want two members")
		}
		if k == "equal" {
			c.equals = append(c.equals, [2]string{list[0], list[1]})
		} else {
			c.disjoint = append(c.disjoint, [2]string{list[0], list[1]})
		}
	case "shifteq":
		if len(list) != 4 {
			return fmt.Errorf("want N1,O1,N2,O2")
		}
		c.shifteqs = append(c.shifteqs, [4]string{list[0], list[1], list[2], list[3]})
	case "pagefit":
		if len(list) != 3 {
			return fmt.Errorf("want OFFSET,LEN,SIZE")
		}
		n, err := strconv.ParseInt(list[2], 10, 64)
		if err != nil || n <= 0 {
			return fmt.Errorf("bad size %q", list[2])
		}
		c.pagefits = append(c.pagefits, pagefitSpec{offset: list[0], length: list[1], size: n})
	case "flag":
		p, m, ok := strings.Cut(v, ":")
		if !ok {
			return fmt.Errorf("want PATH:MACRO")
		}
		c.flags = append(c.flags, flagSpec{path: p, macro: m})
	case "name":
		if !isGoIdent(v) {
			return fmt.Errorf("%q is not a Go name", v)
		}
		c.variant = v
	case "only":
		c.only = v
	case "enosys":
		c.enosys = strings.Join(list, ", ")
	case "member":
		c.member = v
	case "nonempty":
		c.nonempty = append(c.nonempty, list...)
	case "domid":
		c.domids = append(c.domids, list...)
	case "domain":
		if v != "out" {
			return fmt.Errorf("domain is out (or left out)")
		}
		c.domainUse = v
	default:
		return fmt.Errorf("unknown key %q", k)
	}
	return nil
}

// envelope returns the envelope line of a family, or nil.
func (s *callSpec) envelope(prefix string) *envelopeSpec {
	for _, e := range s.envs {
		if e.prefix == prefix {
			return e
		}
	}
	return nil
}

// merge lays spec o (a user's) over s (the built-in one): o's hypercall
// prototypes, families, envelopes, sub-command groups, command lines and
// nowrap lines replace s's of the same name; its ignore, subop and
// errcode lines are added.
func (s *callSpec) merge(o *callSpec) {
	for _, p := range o.protos {
		kept := s.protos[:0]
		for _, q := range s.protos {
			if q.proto.Name != p.proto.Name || !sameTargets(q.goarchs, p.goarchs) {
				kept = append(kept, q)
			}
		}
		s.protos = append(kept, p)
	}
	for _, f := range o.families {
		kept := s.families[:0]
		for _, g := range s.families {
			if g.prefix != f.prefix {
				kept = append(kept, g)
			}
		}
		s.families = append(kept, f)
	}
	for _, e := range o.envs {
		kept := s.envs[:0]
		for _, g := range s.envs {
			if g.prefix != e.prefix {
				kept = append(kept, g)
			}
		}
		s.envs = append(kept, e)
	}
	for _, g := range o.subops {
		kept := s.subops[:0]
		for _, h := range s.subops {
			if h.parent != g.parent {
				kept = append(kept, h)
			}
		}
		s.subops = append(kept, g)
	}
	for name, c := range o.cmds {
		s.cmds[name] = c
	}
	for name, why := range o.nowrap {
		s.nowrap[name] = why
	}
	s.ignores = append(s.ignores, o.ignores...)
	s.variants = append(s.variants, o.variants...)
	s.errcodes = append(s.errcodes, o.errcodes...)
}

// sameTargets reports whether two hypercall lines name the same targets.
func sameTargets(a, b []string) bool {
	return strings.Join(a, ",") == strings.Join(b, ",")
}

// ignored reports whether a macro is listed by an ignore line.
func (s *callSpec) ignored(name string) bool {
	for _, p := range s.ignores {
		if p == name || strings.HasSuffix(p, "*") && strings.HasPrefix(name, strings.TrimSuffix(p, "*")) {
			return true
		}
	}
	return false
}

// subopGroupOf returns the subops line whose prefix a macro has.
func (s *callSpec) subopGroupOf(name string) *subopGroup {
	for _, g := range s.subops {
		if strings.HasPrefix(name, g.prefix) {
			return g
		}
	}
	return nil
}
