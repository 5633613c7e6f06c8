package golden

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/xenbind/xenbind/parser"
)

// Family names a C compiler family.
type Family string

const (
	// GCC is the GNU C compiler, one Debian (cross) compiler per target.
	GCC Family = "gcc"
	// Clang is clang, one binary for every target, selected by --target.
	Clang Family = "clang"
)

// Families lists the compiler families in the order the goldens use them:
// the first one writes the goldens, the others must agree with it.
var Families = []Family{GCC, Clang}

// toolchain says how each compiler family builds for one target.
type toolchain struct {
	target parser.Target
	// gcc is the Debian (cross) compiler's program name.
	gcc string
	// gccPackage is the Debian package that provides gcc.
	gccPackage string
	// clangTarget is the triple given to clang's --target.
	clangTarget string
}

// toolchains is the one table of per-target compiler facts.
var toolchains = []toolchain{
	{parser.X86_32, "i686-linux-gnu-gcc", "gcc-i686-linux-gnu", "i686-linux-gnu"},
	{parser.X86_64, "x86_64-linux-gnu-gcc", "gcc (on an amd64 host; elsewhere gcc-x86-64-linux-gnu)", "x86_64-linux-gnu"},
	{parser.ARM32, "arm-linux-gnueabihf-gcc", "gcc-arm-linux-gnueabihf", "arm-linux-gnueabihf"},
	{parser.ARM64, "aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu", "aarch64-linux-gnu"},
}

// clangPackage is the Debian package that provides clang.
const clangPackage = "clang"

// commonFlags are given to every compilation. -nostdinc plus the compiler's
// own include directory (added by FindCompiler) means only the freestanding
// headers (stdint.h, stddef.h) are visible, never the host's libc or kernel
// headers, so the header list of the "all" set does not depend on the host.
// -Wno-error=implicit-function-declaration keeps io/9pfs.h and io/pvcalls.h
// (which call memcpy without declaring it) compiling with newer compilers
// that make this an error by default.
var commonFlags = []string{
	"-nostdinc", "-ffreestanding", "-w",
	"-Wno-error=implicit-function-declaration",
}

// MissingError reports a compiler that is not installed.
type MissingError struct {
	Program string // the program looked up in $PATH
	Package string // the Debian package that provides it
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("%s not found in $PATH: apt-get install %s", e.Program, e.Package)
}

// Compiler is one installed C compiler set up to build for one target.
type Compiler struct {
	Family  Family
	Target  parser.Target
	Version string // e.g. "12.2.0"
	argv    []string
}

// String names the compiler for messages, e.g. "gcc 12.2.0 (arm32)".
func (c *Compiler) String() string {
	return fmt.Sprintf("%s %s (%s)", c.Family, c.Version, c.Target)
}

var (
	compilersMu sync.Mutex
	compilers   = map[string]*Compiler{}
)

// FindCompiler returns the compiler of family f for target t. When the
// program is not installed the error is a *MissingError naming the Debian
// package to install.
func FindCompiler(f Family, t parser.Target) (*Compiler, error) {
	var tc *toolchain
	for i := range toolchains {
		if toolchains[i].target == t {
			tc = &toolchains[i]
		}
	}
	if tc == nil {
		return nil, fmt.Errorf("unknown target %q", t)
	}
	key := string(f) + "/" + string(t)
	compilersMu.Lock()
	defer compilersMu.Unlock()
	if c := compilers[key]; c != nil {
		return c, nil
	}
	var c *Compiler
	var err error
	switch f {
	case GCC:
		c, err = probeCompiler(f, t, []string{tc.gcc}, tc.gccPackage, "-dumpfullversion", "-print-file-name=include")
	case Clang:
		c, err = probeCompiler(f, t, []string{"clang", "--target=" + tc.clangTarget}, clangPackage, "-dumpversion", "-print-resource-dir")
	default:
		return nil, fmt.Errorf("unknown compiler family %q", f)
	}
	if err != nil {
		return nil, err
	}
	compilers[key] = c
	return c, nil
}

// probeCompiler finds argv[0], asks it for its version and for its own include
// directory (clang prints its resource directory, which holds include/).
func probeCompiler(f Family, t parser.Target, argv []string, pkg, versionFlag, includeFlag string) (*Compiler, error) {
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return nil, &MissingError{Program: argv[0], Package: pkg}
	}
	argv = append([]string{path}, argv[1:]...)
	ask := func(flag string) (string, error) {
		out, err := exec.Command(argv[0], append(argv[1:], flag)...).Output()
		if err != nil {
			return "", fmt.Errorf("%s %s: %w", argv[0], flag, err)
		}
		return strings.TrimSpace(string(out)), nil
	}
	version, err := ask(versionFlag)
	if err != nil {
		return nil, err
	}
	inc, err := ask(includeFlag)
	if err != nil {
		return nil, err
	}
	if f == Clang {
		inc = filepath.Join(inc, "include")
	}
	if !filepath.IsAbs(inc) {
		return nil, fmt.Errorf("%s: no include directory (got %q)", argv[0], inc)
	}
	argv = append(argv, commonFlags...)
	argv = append(argv, "-isystem", inc)
	return &Compiler{Family: f, Target: t, Version: version, argv: argv}, nil
}

// procs bounds the number of compiler processes running at once.
var procs = make(chan struct{}, runtime.NumCPU())

// CompileError is a compilation that the compiler rejected.
type CompileError struct {
	Compiler string
	Stderr   string
	Err      error
}

func (e *CompileError) Error() string {
	msg := strings.TrimSpace(e.Stderr)
	if len(msg) > 2000 {
		msg = msg[:2000] + "\n..."
	}
	return fmt.Sprintf("%s: %v\n%s", e.Compiler, e.Err, msg)
}

func (e *CompileError) Unwrap() error { return e.Err }

// run runs the compiler with args in dir.
func (c *Compiler) run(ctx context.Context, dir string, args ...string) error {
	select {
	case procs <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-procs }()
	cmd := exec.CommandContext(ctx, c.argv[0], append(c.argv[1:len(c.argv):len(c.argv)], args...)...)
	cmd.Dir = dir
	// Plain ASCII messages whatever the host's locale: excluded headers'
	// reasons are written to the goldens.
	cmd.Env = append(cmd.Environ(), "LC_ALL=C")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return &CompileError{Compiler: c.String(), Stderr: stderr.String(), Err: err}
		}
		return fmt.Errorf("%s: %w", c, err)
	}
	return nil
}
