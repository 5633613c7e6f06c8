package xenvm

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// DefaultTimeout bounds one boot, from QEMU's start to its end, test
// binaries included. Boots take seconds; the margin is for a loaded host.
const DefaultTimeout = 3 * time.Minute

// How long the harness lets a machine go on by itself before stopping it.
const (
	// after the tests are done: poweroff -f normally ends QEMU at once.
	doneGrace = 5 * time.Second
	// after a fatal console line: the lines that explain it follow.
	fatalGrace = 3 * time.Second
)

// QEMU's virt machine (arm, arm64) places the device tree here when it
// loads a kernel with -kernel; guest-loader images must not overlap it.
const virtDTBAddr = 0x48000000

// Config is one boot: a machine and the tests to run in it.
type Config struct {
	Machine Machine
	// GOARCHes are the architectures for which ./itest is built and run,
	// in this order; empty means Machine.GOARCH. Each must be the
	// machine's own or its Compat32.
	GOARCHes []string
	// Builds are test binaries built beforehand (BuildFor), run instead
	// of building GOARCHes: the way to run one binary on several machines.
	Builds []Build
	// Binaries are ready-made test binaries to run instead (paths).
	Binaries []string
	// TestArgs go to every test binary after -test.v (e.g. -test.run=X).
	TestArgs []string
	// Env is set for the tests besides the harness's own XENVM_ variables
	// (Machine.TestEnv), which it overrides.
	Env map[string]string
	// Timeout bounds the boot; zero means DefaultTimeout.
	Timeout time.Duration
	// Console, if not nil, receives the console as it comes.
	Console io.Writer
	// Progress, if not nil, receives the harness's own messages.
	Progress io.Writer
	// LogFile keeps the whole console; empty means Dir()/out/NAME.log
	// (Machine.Name).
	LogFile string
	// NoServices leaves the machine's services (xenstored) out: a faster
	// boot for tests that do not need them, and a way to measure their cost.
	NoServices bool
}

// Result is a boot that ran its tests.
type Result struct {
	Arch    Arch
	Machine string // Machine.Name
	Tests   []TestResult
	// XenVersion is the version in Xen's banner on the console
	// ("4.20.5-pre"), "" if it did not show.
	XenVersion string
	// Boot is the time from QEMU's start to dom0's /init; Run from there
	// to the last test's end; Total from QEMU's start to its end.
	Boot, Run, Total time.Duration
	// PoweredOff: the machine ended by itself after the tests (it was
	// not killed).
	PoweredOff bool
	Log        string // the console log file
	// Services are the services dom0 started, with how long /init
	// waited for each to be ready.
	Services []ServiceStart
}

// Run prepares the machine (see Prepare), builds the test binaries and the
// initramfs, boots Xen and dom0 under QEMU, and reports the tests' results.
// The error is a *BootError when a test failed or did not report: it holds
// the console lines that show why. QEMU never outlives Run: it is killed at
// the time limit, when ctx is done, and when Run returns early for any
// reason.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	m := cfg.Machine
	progress := cfg.Progress
	if progress == nil {
		progress = io.Discard
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}

	files, err := Prepare(m, progress)
	if err != nil {
		return nil, err
	}

	work, err := os.MkdirTemp("", "xenvm-"+string(m.Arch)+"-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)

	var tests, tools []Test
	add := func(list *[]Test, path string) error {
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		*list = append(*list, Test{Name: filepath.Base(path), Data: data})
		return nil
	}
	builds := cfg.Builds
	switch {
	case len(cfg.Binaries) > 0:
		for _, p := range cfg.Binaries {
			if err := add(&tests, p); err != nil {
				return nil, err
			}
		}
		// Ready-made binaries may be of either word size: give them the
		// tools of both.
		for _, goarch := range nonEmpty(m.GOARCH, m.Compat32) {
			b, err := buildXeninfoOnly(ctx, goarch, work, progress)
			if err != nil {
				return nil, err
			}
			builds = append(builds, b)
		}
	case len(builds) == 0:
		goarches := cfg.GOARCHes
		if len(goarches) == 0 {
			goarches = []string{m.GOARCH}
		}
		for _, goarch := range goarches {
			if !m.Runs(goarch) {
				return nil, fmt.Errorf("%s: dom0 cannot run GOARCH=%s binaries (it runs %s)", m.Name(), goarch, strings.Join(nonEmpty(m.GOARCH, m.Compat32), " and "))
			}
			fmt.Fprintf(progress, "xenvm: building the integration tests and xeninfo for GOARCH=%s\n", goarch)
			b, err := BuildFor(ctx, goarch, work)
			if err != nil {
				return nil, err
			}
			builds = append(builds, b)
		}
	}
	for _, b := range builds {
		if !m.Runs(b.GOARCH) {
			return nil, fmt.Errorf("%s: dom0 cannot run GOARCH=%s binaries (it runs %s)", m.Name(), b.GOARCH, strings.Join(nonEmpty(m.GOARCH, m.Compat32), " and "))
		}
		if b.Tests != "" {
			if err := add(&tests, b.Tests); err != nil {
				return nil, err
			}
		}
		if err := add(&tools, b.Xeninfo); err != nil {
			return nil, err
		}
	}

	busybox, err := os.ReadFile(files.Busybox)
	if err != nil {
		return nil, err
	}
	modules, err := LoadModules(files.Modules, XenModules)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", m.KernelPackage, err)
	}
	env := m.TestEnv()
	for k, v := range cfg.Env {
		env[k] = v
	}
	var services []Service
	var svcFiles []File
	if !cfg.NoServices {
		for _, s := range m.Services {
			s.Start, s.Ready = m.expand(s.Start), m.expand(s.Ready)
			services = append(services, s)
		}
		svcFiles = files.Services
	}
	env["XENVM_SERVICES"] = serviceNames(services)
	fs := Initramfs{
		Files:    svcFiles,
		Services: services,
		Busybox:  busybox,
		Modules:  modules,
		Tests:    tests,
		Tools:    tools,
		// Half the boot's time, so that a hung test still prints its
		// goroutines before the harness pulls the plug.
		TestArgs: append([]string{"-test.timeout=" + (timeout / 2).String()}, cfg.TestArgs...),
		Env:      env,
	}
	initrd := filepath.Join(work, "initramfs.cpio")
	if err := writeFile(initrd, fs.Write); err != nil {
		return nil, err
	}

	args, err := m.CommandLine(files, initrd)
	if err != nil {
		return nil, err
	}

	logPath := cfg.LogFile
	if logPath == "" {
		logPath = filepath.Join(Dir(), "out", m.Name()+".log")
	}
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return nil, err
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	fmt.Fprintf(logFile, "xenvm: %s\n", shellQuoteAll(append([]string{files.QEMU}, args...)))
	out := io.Writer(logFile)
	if cfg.Console != nil {
		out = io.MultiWriter(logFile, cfg.Console)
	}

	fmt.Fprintf(progress, "xenvm: booting Xen %s on %s (console: %s)\n", m.Xen, m.Arch, logPath)
	var cons Console
	b := boot(ctx, timeout, files.QEMU, args, &cons, out)

	res := &Result{Arch: m.Arch, Machine: m.Name(), Tests: cons.Results, XenVersion: cons.XenVersion,
		Boot: b.init, Total: b.total, PoweredOff: !b.killed, Log: logPath, Services: cons.Services}
	if b.init > 0 && b.done > 0 {
		res.Run = b.done - b.init
	}
	if b.err != nil {
		return res, fmt.Errorf("%s: %w", m.Name(), b.err)
	}
	names := make([]string, len(tests))
	for i, t := range tests {
		names[i] = t.Name
	}
	if e := cons.Failure(names, b.stopped, b.why); e != nil {
		e.Arch, e.Machine, e.Log = m.Arch, m.Name(), logPath
		return res, e
	}
	return res, nil
}

// TestEnv is what the harness tells the tests about the machine; the
// itest package documents each variable.
func (m Machine) TestEnv() map[string]string {
	return map[string]string{
		"XENVM_ARCH":    string(m.Arch),
		"XENVM_MACHINE": m.Name(),
		// What Xen must answer to XENVER_version and XENVER_extraversion.
		"XENVM_XEN_VERSION":      string(m.Xen),
		"XENVM_XEN_EXTRAVERSION": m.XenExtraversion,
		"XENVM_XEN_CMDLINE":      m.XenCommandLine(),
		"XENVM_DOM0_MIB":         strconv.Itoa(m.Dom0MiB),
		"XENVM_DOM0_MAX_MIB":     strconv.Itoa(m.Dom0Max()),
		"XENVM_RAM_BASE":         fmt.Sprintf("%#x", m.RAMBase),
		"XENVM_RAM_MIB":          strconv.Itoa(m.MemoryMiB),
		"XENVM_CPUS":             strconv.Itoa(max(m.CPUs, 1)),
		"XENVM_CAPABILITY":       m.Capability,
		"XENVM_TOOLS":            "/" + toolsDir,
	}
}

// serviceNames lists the services' names, separated by spaces.
func serviceNames(services []Service) string {
	names := make([]string, len(services))
	for i, s := range services {
		names[i] = s.Name
	}
	return strings.Join(names, " ")
}

// CommandLine returns QEMU's arguments for booting m with dom0's
// initramfs at initrd.
func (m Machine) CommandLine(f Files, initrd string) ([]string, error) {
	args := append([]string(nil), m.QEMUArgs...)
	args = append(args,
		"-m", strconv.Itoa(m.MemoryMiB)+"M",
		"-smp", strconv.Itoa(max(m.CPUs, 1)),
		"-nodefaults", "-display", "none",
		"-serial", "stdio",
		// A reset (Xen rebooting after dom0 died) ends QEMU.
		"-no-reboot",
		"-kernel", f.Xen,
		"-append", m.XenCommandLine(),
	)
	switch m.Loader {
	case Multiboot:
		// QEMU splits modules at commas and a module's path from its
		// command line at the first space.
		for _, p := range []string{f.Kernel, initrd} {
			if strings.ContainsAny(p, ", ") {
				return nil, fmt.Errorf("%s: path %q has a comma or space, which -initrd cannot pass", m.Arch, p)
			}
		}
		if strings.Contains(m.Dom0Options, ",") {
			return nil, fmt.Errorf("%s: dom0 options %q have a comma, which -initrd cannot pass", m.Arch, m.Dom0Options)
		}
		args = append(args, "-initrd", f.Kernel+" "+m.Dom0Options+","+initrd)
	case GuestLoader:
		if err := fits(m.KernelAddr, f.Kernel, virtDTBAddr); err != nil {
			return nil, fmt.Errorf("%s: dom0 kernel: %w", m.Arch, err)
		}
		if err := fits(m.InitrdAddr, initrd, m.RAMBase+uint64(m.MemoryMiB)<<20); err != nil {
			return nil, fmt.Errorf("%s: initramfs: %w", m.Arch, err)
		}
		args = append(args,
			"-device", fmt.Sprintf("guest-loader,addr=%#x,kernel=%s,bootargs=%s", m.KernelAddr, qemuEscape(f.Kernel), qemuEscape(m.Dom0Options)),
			"-device", fmt.Sprintf("guest-loader,addr=%#x,initrd=%s", m.InitrdAddr, qemuEscape(initrd)),
		)
	default:
		return nil, fmt.Errorf("%s: unknown loader %v", m.Arch, m.Loader)
	}
	return args, nil
}

// fits checks that the file at path, placed at addr, ends below limit.
func fits(addr uint64, path string, limit uint64) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if end := addr + uint64(fi.Size()); end > limit {
		return fmt.Errorf("%s (%d bytes at %#x) ends at %#x, past %#x", filepath.Base(path), fi.Size(), addr, end, limit)
	}
	return nil
}

// qemuEscape doubles commas, as QEMU's option syntax wants in a value.
func qemuEscape(s string) string { return strings.ReplaceAll(s, ",", ",,") }

// Build is what one GOARCH's boots run, built once: the integration
// tests and xeninfo. Every machine whose dom0 runs GOARCH can be given
// the same Build, so that one binary is proven on each of them.
type Build struct {
	GOARCH  string
	Tests   string // the integration tests' binary (BuildTests)
	Xeninfo string // cmd/xeninfo (BuildXeninfo)
}

// BuildFor builds the integration tests and xeninfo for goarch into dir.
func BuildFor(ctx context.Context, goarch, dir string) (Build, error) {
	b := Build{GOARCH: goarch}
	var err error
	if b.Tests, err = BuildTests(ctx, goarch, dir); err != nil {
		return b, err
	}
	b.Xeninfo, err = BuildXeninfo(ctx, goarch, dir)
	return b, err
}

func buildXeninfoOnly(ctx context.Context, goarch, dir string, progress io.Writer) (Build, error) {
	fmt.Fprintf(progress, "xenvm: building xeninfo for GOARCH=%s\n", goarch)
	p, err := BuildXeninfo(ctx, goarch, dir)
	return Build{GOARCH: goarch, Xeninfo: p}, err
}

// BuildTests compiles the integration tests (package ./itest, build tag
// xenvm) for linux/goarch into dir: a static binary (CGO_ENABLED=0), as
// dom0's initramfs has no C library. It returns the binary's path.
func BuildTests(ctx context.Context, goarch, dir string) (string, error) {
	out := filepath.Join(dir, "itest-"+goarch+".test")
	cmd := exec.CommandContext(ctx, "go", "test", "-c", "-tags", "xenvm", "-o", out, ".")
	cmd.Dir = filepath.Join(Dir(), "itest")
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+goarch, "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the integration tests for GOARCH=%s: %w\n%s", goarch, err, msg)
	}
	return out, nil
}

// BuildXeninfo compiles cmd/xeninfo for linux/goarch into dir as a static
// binary named xeninfo-GOARCH, for the tests to compare its report with
// what the wrappers say. It returns the binary's path.
func BuildXeninfo(ctx context.Context, goarch, dir string) (string, error) {
	out := filepath.Join(dir, "xeninfo-"+goarch)
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", out, "./cmd/xeninfo")
	cmd.Dir = filepath.Join(Dir(), "..", "..")
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+goarch, "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building xeninfo for GOARCH=%s: %w\n%s", goarch, err, msg)
	}
	return out, nil
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := write(bw); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func nonEmpty(s ...string) []string {
	var out []string
	for _, x := range s {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}

// booted is how a boot went, seen from outside the machine.
type booted struct {
	init, done, total time.Duration // since QEMU's start; zero if not reached
	// stopped is set when the harness stopped the machine before /init
	// was done (why says more), empty when QEMU ended by itself.
	stopped ProblemKind
	why     string
	killed  bool  // the harness ended QEMU (also after the tests)
	err     error // QEMU could not run at all
}

// boot runs QEMU, feeds its console to cons and out, and stops it at the
// time limit, when ctx is done, shortly after a fatal line, or shortly
// after the tests are done if poweroff did not end it. QEMU runs in a
// process group of its own, killed as a whole, and dies with the harness
// (Pdeathsig) should the harness itself be killed.
func boot(ctx context.Context, timeout time.Duration, qemu string, args []string, cons *Console, out io.Writer) (b booted) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	pr, pw, err := os.Pipe()
	if err != nil {
		b.err = err
		return b
	}
	cmd := exec.Command(qemu, args...)
	cmd.Stdout, cmd.Stderr = pw, pw // QEMU's own errors belong with the console
	cmd.SysProcAttr = qemuProcAttr()
	start := time.Now()
	err = cmd.Start()
	pw.Close()
	if err != nil {
		pr.Close()
		b.err = err
		return b
	}

	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	console := make(chan string, 256)
	lines := console // nil once closed
	go func() {
		defer close(console)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			console <- sc.Text()
		}
	}()

	running, killed := true, false
	kill := func(kind ProblemKind, why string) {
		if !running || killed {
			return
		}
		killed = true
		if b.stopped == "" && kind != "" {
			b.stopped, b.why = kind, why
		}
		killGroup(cmd.Process)
	}
	defer func() {
		// Also on a panic: never leave QEMU behind.
		kill("", "")
		if running {
			<-exited
		}
		if lines != nil {
			for range lines {
			}
		}
		pr.Close()
	}()

	take := func(line string) {
		io.WriteString(out, line+"\n")
		switch cons.Line(line) {
		case Started:
			b.init = time.Since(start)
		case Finished:
			b.done = time.Since(start)
		}
	}
	var grace <-chan time.Time
	var fatal ProblemKind // the first fatal problem seen
	for running {
		select {
		case line, ok := <-lines:
			if !ok {
				lines = nil // console closed: QEMU is ending
				continue
			}
			take(line)
			if cons.Finished && grace == nil {
				grace = time.After(doneGrace)
			}
			if fatal == "" {
				for _, p := range cons.Problems {
					if isFatal(p.Kind) {
						fatal = p.Kind
						grace = time.After(fatalGrace)
					}
				}
			}
			if fatal != "" && !cons.Collecting() {
				// The lines that explain it are in: stop now rather than
				// wait for Xen's reboot delay.
				kill(Stopped, fmt.Sprintf("the harness stopped the machine: %s", fatal))
			}
		case err := <-exited:
			running = false
			b.total = time.Since(start)
			if lines != nil {
				for line := range lines {
					take(line)
				}
				lines = nil
			}
			if !killed && err != nil && !cons.Finished {
				b.stopped, b.why = QEMUFailed, fmt.Sprintf("%s: %v", filepath.Base(qemu), err)
			}
		case <-grace:
			if cons.Finished {
				kill("", "") // the tests are done; poweroff just did not end QEMU
			} else {
				kill(Stopped, fmt.Sprintf("the harness stopped the machine %v after: %s", fatalGrace, fatal))
			}
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				kill(DeadlineUp, fmt.Sprintf("no result within %v; the harness killed QEMU", timeout))
			} else {
				kill(Interrupted, fmt.Sprintf("%v; the harness killed QEMU", context.Cause(ctx)))
			}
		}
	}
	b.killed = killed
	return b
}

func isFatal(k ProblemKind) bool {
	return k == XenPanic || k == Dom0Panic || k == Dom0Crash
}
