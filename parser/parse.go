package parser

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"modernc.org/cc/v4"
)

// Parse preprocesses, parses and type checks the headers cfg names for one
// target and mode, and returns their C model. Errors in the headers come
// back as an ErrorList: every error of the pass, each "file:line:col: msg".
func Parse(cfg Config) (*Unit, error) {
	// A tree or configuration that cannot be parsed at all is reported
	// here, before any child runs.
	if _, _, err := ccConfig(cfg, nil); err != nil {
		return nil, err
	}
	model, err := parseInChild(cfg)
	switch {
	case err == errNoChild:
		return parseHere(cfg, cfg.limits().timeout(0))
	case err != nil:
		return nil, err
	case model != nil:
		// The child parsed it all: its model is this parse's result.
		if u, err := decodeUnit(model, &cfg); err == nil {
			u.encoded = model
			return u, nil
		}
	}
	// The child's translation finished but it sent no model (the model
	// has errors, which the parse here reports): so will this parse.
	return parseHere(cfg, -1)
}

// parseHere is Parse in this process, with a time limit (none if
// negative). The child runs it to send its parent the model.
func parseHere(cfg Config, timeout time.Duration) (*Unit, error) {
	var pragmas []pragma
	ccfg, sources, err := ccConfig(cfg, &pragmas)
	if err != nil {
		return nil, err
	}
	includes := cfg.includes()
	ast, err := translate(ccfg, sources, timeout, cfg.display(includes[len(includes)-1]))
	if g := ccfg.FS.(vfs).guard; g.err != nil {
		g.err.display = cfg.display(g.err.Pos.File)
		return nil, ErrorList{g.err}
	}
	if err != nil {
		if _, limit := err.(*LimitError); !limit {
			err = settleConflicts(ccfg, sources, err)
		}
		return nil, cfg.ccErrors(err)
	}
	b := newBuilder(&cfg, ast, pragmas)
	b.build()
	if err := b.errs.Err(); err != nil {
		return nil, err
	}
	return finishUnit(cfg, ccfg, sources, b), nil
}

// buildUnit builds the model of a translated unit; ok is false when the
// model has errors. probed are the initializers of a probe translated
// with the unit (translateGuessed), nil for none.
func buildUnit(cfg Config, ccfg *cc.Config, sources []cc.Source, ast *cc.AST, pragmas []pragma, probed map[string]*cc.Initializer) (*Unit, bool) {
	b := newBuilder(&cfg, ast, pragmas)
	b.probed = probed
	b.build()
	if b.errs.Err() != nil {
		return nil, false
	}
	return finishUnit(cfg, ccfg, sources, b), true
}

// finishUnit gives the macros the probe's values and the unit its
// target, mode, headers and dialect.
func finishUnit(cfg Config, ccfg *cc.Config, sources []cc.Source, b *builder) *Unit {
	probeMacroValues(cfg, ccfg, sources, b)
	b.unit.Target = cfg.Target
	b.unit.Mode = cfg.Mode
	b.unit.Includes = cfg.includes()
	b.unit.Dialect = cfg.Dialect
	if b.unit.Dialect == "" {
		b.unit.Dialect = XenDialect
	}
	return b.unit
}

// ccConfig configures cc/v4 for cfg's target and mode. Pack pragmas are
// appended to pragmas when it is not nil.
func ccConfig(cfg Config, pragmas *[]pragma) (*cc.Config, []cc.Source, error) {
	a, err := archOf(cfg.Target)
	if err != nil {
		return nil, nil, err
	}
	if _, err := ParseMode(string(cfg.Mode)); err != nil {
		return nil, nil, err
	}
	d, err := dialectOf(cfg.Dialect)
	if err != nil {
		return nil, nil, err
	}
	if err := CheckDialect(cfg.Tree, cfg.TreeName, d.name); err != nil {
		return nil, nil, err
	}
	predefined, err := predefinedText(cfg)
	if err != nil {
		return nil, nil, err
	}
	guard := &syntaxGuard{}
	abi, err := cc.NewABI("linux", a.goarch)
	if err != nil {
		return nil, nil, err
	}
	includes := cfg.includes()
	root := d.root(cfg.Tree)
	for _, h := range includes {
		if _, err := fs.Stat(cfg.Tree, d.path(root, h)); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", cfg.display(d.path(root, h)), fs.ErrNotExist)
		}
	}
	quote, sys := d.searchPaths(cfg.Target)
	ccfg := &cc.Config{
		ABI:             abi,
		FS:              vfs{tree: cfg.Tree, guard: guard, sysDir: root},
		FSOnly:          true,
		IncludePaths:    quote,
		SysIncludePaths: sys,
		EvalAllMacros:   true,
		Header:          true,
		UnsignedEnums:   true,
		// Xen's headers are trusted input, but a fuzzer's are not.
		ExpansionLimit: 50_000_000,
		PragmaHandler: func(toks []cc.Token) error {
			if ok, err := guard.includePragma(toks); ok {
				return err
			}
			p, err := parsePragma(toks)
			if err != nil {
				return err
			}
			if p != nil && pragmas != nil {
				*pragmas = append(*pragmas, *p)
			}
			return nil
		},
	}
	sources := []cc.Source{
		{Name: "<predefined>", Value: predefined},
		{Name: "<builtin>", Value: cc.Builtin},
		{Name: "<prelude>", Value: d.prelude},
	}
	for _, h := range includes {
		sources = append(sources, cc.Source{Name: treeRoot + "/" + d.path(root, h)})
	}
	return ccfg, sources, nil
}

// predefinedText is the source of the macros cfg's target and mode
// define before any header.
func predefinedText(cfg Config) (string, error) {
	a, err := archOf(cfg.Target)
	if err != nil {
		return "", err
	}
	d, err := dialectOf(cfg.Dialect)
	if err != nil {
		return "", err
	}
	predefined := a.predefined + d.predefined(cfg.Target)
	switch cfg.Mode {
	case Guest:
		if !d.versioned {
			break
		}
		v, err := LatestInterfaceVersion(cfg.Tree)
		if err != nil {
			return "", err
		}
		predefined += "#define __XEN_INTERFACE_VERSION__ " + v + "\n"
	case Tools:
		predefined += "#define __XEN_TOOLS__ 1\n"
	}
	return predefined, nil
}

// display names a tree file for a message.
func (c *Config) display(rel string) string {
	if c.TreeName == "" || c.TreeName == "." {
		return rel
	}
	return strings.TrimSuffix(c.TreeName, "/") + "/" + rel
}

// Error is one problem in the headers, at a position.
type Error struct {
	Pos Pos
	Msg string
	// display is the file name as the user knows it.
	display string
}

func (e *Error) Error() string {
	if e.Pos.File == "" {
		return e.Msg
	}
	if e.Pos.Line == 0 {
		return e.display + ": " + e.Msg
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.display, e.Pos.Line, e.Pos.Col, e.Msg)
}

// ErrorList is every error one pass found, sorted by position.
type ErrorList []*Error

func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Err returns l as an error, nil when empty.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i].Pos, l[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	return l
}

// ccErrors turns cc/v4's error text into an ErrorList with tree-relative
// positions.
func (c *Config) ccErrors(err error) error {
	var list, internal ErrorList
	for _, line := range strings.Split(err.Error(), "\n") {
		line = strings.TrimSpace(ccDebugSuffix.ReplaceAllString(line, ""))
		if line == "" {
			continue
		}
		e := c.parseCCError(line)
		e.Msg = plainMessage(c.relAll(e.Msg))
		if strings.Contains(e.Msg, "TODO") || strings.Contains(e.Msg, "missed/failed type check") {
			// cc/v4's own follow-on complaints: shown only when nothing
			// better explains the failure.
			internal = append(internal, e)
			continue
		}
		list = append(list, e)
	}
	if len(list) == 0 {
		list = internal
	}
	if len(list) == 0 {
		return err
	}
	return list.Err()
}

// strconvMessage matches the text of a *strconv.NumError, which cc/v4
// passes on for a number it cannot convert.
var strconvMessage = regexp.MustCompile(`strconv\.\w+: parsing "((?:[^"\\]|\\.)*)": (value out of range|invalid syntax)`)

// plainMessage says what an internal message of cc/v4's means.
func plainMessage(msg string) string {
	return strconvMessage.ReplaceAllStringFunc(msg, func(m string) string {
		sub := strconvMessage.FindStringSubmatch(m)
		if sub[2] == "value out of range" {
			return "integer constant " + sub[1] + " is too large"
		}
		return "invalid number " + sub[1]
	})
}

func (c *Config) parseCCError(line string) *Error {
	// "/xen/memory.h:10:2: message" or a message with no position.
	file, rest, ok := strings.Cut(line, ":")
	if ok {
		if ln, rest2, ok := strings.Cut(rest, ":"); ok {
			if l, err := strconv.Atoi(ln); err == nil {
				col, msg := 0, rest2
				if cs, rest3, ok := strings.Cut(rest2, ":"); ok {
					if cn, err := strconv.Atoi(cs); err == nil {
						col, msg = cn, rest3
					}
				}
				p := Pos{File: c.rel(file), Line: l, Col: col}
				return &Error{Pos: p, Msg: strings.TrimSpace(msg), display: c.displayFile(file)}
			}
		}
	}
	return &Error{Msg: c.relAll(line)}
}

// rel makes a preprocessor file name relative to the tree.
func (c *Config) rel(file string) string {
	if strings.HasPrefix(file, treeRoot+"/") {
		return strings.TrimPrefix(file, treeRoot+"/")
	}
	return file
}

func (c *Config) relAll(s string) string {
	s = strings.ReplaceAll(s, uapiSysRoot+"/", c.display(c.sysDir()+"/"))
	return strings.ReplaceAll(s, treeRoot+"/", c.display(""))
}

// displayFile names a preprocessor file for a message: a tree file as the
// user knows it (the UAPI dialect's system headers are tree files too), a
// built-in header as xenbind's.
func (c *Config) displayFile(file string) string {
	switch {
	case strings.HasPrefix(file, uapiSysRoot+"/"):
		return c.display(path.Join(c.sysDir(), strings.TrimPrefix(file, uapiSysRoot+"/")))
	case strings.HasPrefix(file, builtinRoot+"/"):
		name := strings.TrimPrefix(file, builtinRoot+"/")
		for _, dir := range []string{uapiBuiltinDir, linuxBuiltinDir} {
			name = strings.TrimPrefix(name, dir+"/")
		}
		return "xenbind's built-in " + name
	}
	return c.display(c.rel(file))
}

// sysDir is the directory of the tree that the UAPI dialect's system
// headers come from (its root), "." for the others.
func (c *Config) sysDir() string {
	d, err := dialectOf(c.Dialect)
	if err != nil || c.Tree == nil {
		return "."
	}
	return d.root(c.Tree)
}

// errUnsupported marks constructs xenbind decides not to handle.
var errUnsupported = errors.New("unsupported")
