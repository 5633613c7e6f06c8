package emit

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"unicode/utf8"
)

// Config adjusts what gen emits. It is read from a small text file, one
// directive a line, '#' starting a comment:
//
//	rename struct xen_memory_reservation Reservation
//	rename XENMEM_exchange MemExchange
//	skip typedef xen_callback_t
//	skip XENVER_*                      (a trailing * matches a prefix)
//	consttype GNTST_ GNTST int16 GNTTABOP_error_msgs
//	consttype GTF_ GTF uint16 when=GTF_transfer_:GTF_accept_transfer
//
// C names of types are written as in the headers ("struct X", "union X",
// "enum X", "typedef X"); macros by their name alone. consttype gives the
// macros whose name starts with a prefix a named Go type; a fourth word
// names a macro holding the header's table of messages for the values,
// which then become the type's String and Error text. Without one, String
// names the constant of a value, or, for flags (each value one bit or
// inside a *_mask field), every bit and field set; a when= rule names a bit
// that two constants share by the constants with PREFIX when the field
// holding MACRO has MACRO's value.
type Config struct {
	Renames map[string]string
	// Expected are the suffixed Go names of clashes the Xen headers are
	// known to have (C name -> Go name): gen settles them as usual but
	// notes them only with -v. Renames apply always; these only where
	// the clash happens.
	Expected   map[string]string
	Skips      []string
	ConstTypes []ConstType
	// Bytes are the C char array members that hold bytes rather than
	// NUL-terminated text ("struct xenstore_domain_interface.req"; a
	// trailing * matches a prefix): every other char array member gets a
	// <Member>String accessor, and a typedef of a char array a String
	// method.
	Bytes []string

	// file and lines place each rename and skip for error messages:
	// "rename <C name>" or "skip <C name>" -> line in file.
	file  string
	lines map[string]int
}

// ConstType groups macros by prefix under one Go type.
type ConstType struct {
	Prefix   string
	Name     string
	Under    string // a Go integer type
	Messages string // macro with a { "msg", ... } table, optional
	// Enum names the C enum the headers say the values belong to
	// ("grant_status"): a member annotated "=> enum grant_status" then
	// has the group's type instead of its integer type, at the same size.
	Enum string
	// When settles flags that share a bit (GTF_readonly and
	// GTF_transfer_committed): String names a bit by the constants
	// starting with Prefix when the field holding constant Value has that
	// value, by the others otherwise.
	When []FlagWhen
}

// FlagWhen is one rule of ConstType.When.
type FlagWhen struct{ Prefix, Value string }

// DefaultConfig is what gen uses with no -config: the groupings the Xen
// headers make themselves.
func DefaultConfig() *Config {
	return &Config{
		Renames: map[string]string{},
		Expected: map[string]string{
			// x86_32 has struct xen_callback, which holds the Go name
			// Callback; elsewhere the typedef gets it.
			"typedef xen_callback_t": "CallbackT",
		},
		ConstTypes: []ConstType{
			{Prefix: "GNTST_", Name: "GNTST", Under: "int16", Messages: "GNTTABOP_error_msgs", Enum: "grant_status"},
			// The header: "Subflags for GTF_accept_transfer" share bits
			// with those "for GTF_permit_access and GTF_transitive".
			{Prefix: "GTF_", Name: "GTF", Under: "uint16", When: []FlagWhen{{Prefix: "GTF_transfer_", Value: "GTF_accept_transfer"}}},
			{Prefix: "GNTMAP_", Name: "GNTMAP", Under: "uint32"},
		},
		Bytes: []string{
			// hvm/save.h's type markers: their char arrays carry sizes
			// in their lengths, not text.
			"struct __HVM_SAVE_TYPE_*",
			// ring buffers and saved FPU state.
			"struct xenstore_domain_interface.req",
			"struct xenstore_domain_interface.rsp",
			"struct vcpu_guest_context.fpu_ctxt.x",
			"struct hvm_hw_cpu_xsave.save_area.fpu_sse.x",
		},
	}
}

// LoadConfig reads a config file on top of DefaultConfig. Errors name the
// file and line.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return ParseConfig(path, b)
}

var goIntTypes = map[string]bool{
	"int8": true, "int16": true, "int32": true, "int64": true,
	"uint8": true, "uint16": true, "uint32": true, "uint64": true,
}

// ParseConfig parses config text; name is used in error messages.
func ParseConfig(name string, text []byte) (*Config, error) {
	c := DefaultConfig()
	c.file, c.lines = name, map[string]int{}
	renamedAt := map[string]int{} // C name -> line
	goNameAt := map[string]int{}  // Go name -> line
	goNameOf := map[string]string{}
	skipAt := map[string]int{}
	err := scanDirectives(name, text, func(d directive, bad func(string, ...any)) {
		f := d.words
		cname, rest := cName(f[1:])
		switch f[0] {
		case "rename":
			if cname == "" || len(rest) != 1 {
				bad("want: rename <C name> <GoName>")
				return
			}
			if err := CheckGoName(rest[0]); err != nil {
				bad("rename %s %s: %v", cname, rest[0], err)
				return
			}
			if at, ok := renamedAt[cname]; ok {
				bad("%s is renamed twice (first on line %d)", cname, at)
				return
			}
			if at, ok := goNameAt[rest[0]]; ok {
				bad("%s and %s are both renamed %s (line %d)", goNameOf[rest[0]], cname, rest[0], at)
				return
			}
			if at, ok := skipAt[cname]; ok {
				bad("%s is renamed and skipped (line %d)", cname, at)
				return
			}
			renamedAt[cname], goNameAt[rest[0]], goNameOf[rest[0]] = d.n, d.n, cname
			c.lines["rename "+cname] = d.n
			c.Renames[cname] = rest[0]
		case "skip":
			if cname == "" || len(rest) != 0 {
				bad("want: skip <C name>")
				return
			}
			if at, ok := skipAt[cname]; ok {
				bad("%s is skipped twice (first on line %d)", cname, at)
				return
			}
			if at, ok := renamedAt[cname]; ok {
				bad("%s is renamed (line %d) and skipped", cname, at)
				return
			}
			skipAt[cname] = d.n
			c.lines["skip "+cname] = d.n
			c.Skips = append(c.Skips, cname)
		case "consttype":
			const usage = "want: consttype <PREFIX> <GoName> <int type> [<messages macro>] [when=<PREFIX>:<MACRO>]..."
			if len(f) < 4 || CheckGoName(f[2]) != nil || !goIntTypes[f[3]] {
				bad(usage)
				return
			}
			ct := ConstType{Prefix: f[1], Name: f[2], Under: f[3]}
			for i, w := range f[4:] {
				rule, isWhen := strings.CutPrefix(w, "when=")
				prefix, value, ok := strings.Cut(rule, ":")
				switch {
				case isWhen && ok && prefix != "" && value != "":
					ct.When = append(ct.When, FlagWhen{Prefix: prefix, Value: value})
				case !isWhen && i == 0:
					ct.Messages = w
				default:
					bad(usage)
					return
				}
			}
			c.ConstTypes = append(c.ConstTypes, ct)
		default:
			bad("unknown directive %q (want rename, skip or consttype)", f[0])
		}
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// directive is one line of a directive file.
type directive struct {
	n     int    // line number
	line  string // the text, comment removed
	words []string
}

// scanDirectives calls fn with each line of a directive file ('#' starts a
// comment, blank lines are skipped); bad reports a problem of that line.
// All problems are returned together, each "name:line: msg".
func scanDirectives(name string, text []byte, fn func(d directive, bad func(format string, args ...any))) error {
	var errs []string
	// Every line is read, however long: a scanner's line limit would end
	// the file early without a word.
	lines := bytes.Split(text, []byte("\n"))
	if len(lines) > 0 && len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	for i, raw := range lines {
		n := i + 1
		line := strings.TrimSuffix(string(raw), "\r")
		if !utf8.ValidString(line) {
			errs = append(errs, fmt.Sprintf("%s:%d: not UTF-8 text", name, n))
			continue
		}
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		fn(directive{n: n, line: line, words: f}, func(format string, args ...any) {
			errs = append(errs, fmt.Sprintf("%s:%d: %s", name, n, fmt.Sprintf(format, args...)))
		})
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return nil
}

// cName reads a C name ("struct X" takes two words) off the front of f.
func cName(f []string) (string, []string) {
	if len(f) == 0 {
		return "", nil
	}
	switch f[0] {
	case "struct", "union", "enum", "typedef":
		if len(f) < 2 {
			return "", nil
		}
		return f[0] + " " + f[1], f[2:]
	}
	return f[0], f[1:]
}

func isGoIdent(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}

// skipped reports whether a C name is skipped by the config.
func (c *Config) skipped(name string) bool {
	for _, s := range c.Skips {
		if s == name || strings.HasSuffix(s, "*") && strings.HasPrefix(name, strings.TrimSuffix(s, "*")) {
			return true
		}
	}
	return false
}

// bytes tells whether char array member (record.member) holds bytes,
// not text.
func (c *Config) bytes(member string) bool {
	for _, s := range c.Bytes {
		if s == member || strings.HasSuffix(s, "*") && strings.HasPrefix(member, strings.TrimSuffix(s, "*")) {
			return true
		}
	}
	return false
}

// where places a rename or skip rule for a message: "file:line: " or "".
func (c *Config) where(rule string) string {
	if n, ok := c.lines[rule]; ok {
		return fmt.Sprintf("%s:%d: ", c.file, n)
	}
	if c.file != "" {
		return c.file + ": "
	}
	return "config: "
}

// check reports the rules that cannot mean what they say for these
// headers: a rename or skip naming no declaration, a rename onto a Go name
// another declaration has or that xenbind reserves. known holds every C
// name the headers declare (as Config spells them), wants every
// declaration's preferred Go name, and reserved the names xenbind defines.
func (c *Config) check(known map[string]bool, wants map[string]string, reserved map[string]bool) []string {
	var errs []string
	for _, cname := range slices.Sorted(maps.Keys(c.Renames)) {
		goName := c.Renames[cname]
		rule := "rename " + cname
		if !known[cname] {
			errs = append(errs, fmt.Sprintf("%s%s: the headers declare no %s", c.where(rule), rule, cname))
			continue
		}
		if reserved[goName] {
			errs = append(errs, fmt.Sprintf("%s%s: %s is a name xenbind defines", c.where(rule), rule, goName))
			continue
		}
		for _, other := range slices.Sorted(maps.Keys(wants)) {
			if other == cname || wants[other] != goName {
				continue
			}
			if _, away := c.Renames[other]; away || c.skipped(other) {
				continue // the name is free: its owner is renamed or skipped
			}
			errs = append(errs, fmt.Sprintf("%s%s: Go name %s is taken by %s", c.where(rule), rule, goName, other))
			break
		}
	}
	for _, pat := range c.Skips {
		rule := "skip " + pat
		prefix, wild := strings.CutSuffix(pat, "*")
		found := known[pat]
		for k := range known {
			if found {
				break
			}
			found = wild && strings.HasPrefix(k, prefix)
		}
		if !found {
			errs = append(errs, fmt.Sprintf("%s%s: the headers declare nothing by that name", c.where(rule), rule))
		}
	}
	return errs
}
