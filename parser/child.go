package parser

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/cc/v4"

	"github.com/xenbind/xenbind/internal/gctune"
)

// The C front end runs where it can be stopped.
//
// cc/v4 loops for ever on some malformed input, and its recursive parser
// overflows the stack on input nested deeply through macros. A goroutine
// cannot be stopped, so before xenbind trusts cc/v4 with a translation
// unit it runs the same translation in a child process that it kills at a
// time or memory limit: the child's memory goes back to the system with
// it, and the error names the file. A parse (Parse) runs whole in the
// child, which sends back the model (encoded, codec.go) when it has no
// errors; otherwise, or when the verdict on the same input is already
// known, the parse runs in this process (cc/v4 is deterministic, so it
// finishes again, within the same memory). A probe (Standalone) needs
// nothing but the child's verdict.
//
// The child is this very executable, started again with childEnv set: the
// init function below sees the variable and runs the child's loop instead
// of the program. That works for any program that links this package (the
// xenbind command, test binaries, other tools using the parser as a
// library), because the package's init runs before the program's main or
// tests. The child reads the header files through its parent over
// stdin/stdout, one request per file (the tree is any fs.FS, an in-memory
// one included), and answers with its verdict.
//
// Where the executable cannot be started again (no os.Executable, or the
// file has been replaced by one that does not answer), the parse runs in
// this process with only a time limit, as before: a parse past the limit
// is abandoned and keeps its memory until the process exits.

// childEnv marks the child process; its value is the protocol version.
const childEnv = "XENBIND_PARSER_CHILD"

const childProtocol = "3"

// inChild is true in the child: it translates in its own process.
var inChild bool

func init() {
	if v, ok := os.LookupEnv(childEnv); ok {
		inChild = true
		os.Unsetenv(childEnv)
		if v != childProtocol {
			os.Exit(3)
		}
		os.Exit(childMain(os.Stdin, os.Stdout))
	}
}

// Limits bound the C front end's work on one translation unit. Each grows
// with the bytes of header text read, so a big valid header is not
// refused for its size.
type Limits struct {
	// Timeout is the base time limit (default 10 s); 1 s per MiB of
	// header text is added. It bounds the child's CPU time (user and
	// system) where that is known (Linux), so that a parse on a loaded
	// machine is not stopped for waiting its turn; a wall-clock backstop
	// of six times the limit plus a minute ends a child that never
	// answers. Elsewhere, and for an in-process parse, it is wall-clock
	// time.
	Timeout time.Duration
	// Memory is the base limit of the child's resident memory in bytes
	// (default 1 GiB); 512 bytes per byte of header text are added.
	// cc/v4 needs about 220.
	Memory int64
}

const (
	defaultMemory   = 1 << 30
	timePerByte     = time.Second / (1 << 20)
	memoryPerByte   = 512
	childStackLimit = 256 << 20
)

func (l Limits) timeout(served int64) time.Duration {
	t := l.Timeout
	if t <= 0 {
		t = defaultTimeout
	}
	return t + time.Duration(served)*timePerByte
}

func (l Limits) memory(served int64) int64 {
	m := l.Memory
	if m <= 0 {
		m = defaultMemory
	}
	return m + served*memoryPerByte
}

// LimitError reports a translation stopped at a limit. It is not a
// verdict about the headers: the same input may pass with higher limits.
type LimitError struct {
	// File is the last header the front end read, relative to the tree,
	// as the user knows it.
	File string
	// What was exceeded: "time" or "memory".
	What  string
	Limit string
	// clock says which time a time limit measured: "CPU ", "wall-clock "
	// (the backstop of a CPU time limit) or "" (wall-clock time, where
	// the CPU time is unknown).
	clock string
}

func (e *LimitError) Error() string {
	flag := "-parse-timeout"
	if e.What == "memory" {
		flag = "-parse-memory"
	}
	return fmt.Sprintf("%s: the C front end stopped after reading this file: it needed more than %s of %s%s (malformed input can make modernc.org/cc/v4 loop; if the headers are valid, raise %s)", e.File, e.Limit, e.clock, e.What, flag)
}

// childRequest is what the child translates.
type childRequest struct {
	TreeName string
	Target   Target
	Mode     Mode
	Includes []string
	Dialect  Dialect
	Eval     bool // EvalAllMacros, as a full parse does
	// Extra is a source translated after the headers (the macro probe,
	// probe.go), "" for none.
	Extra string `json:",omitempty"`
	// Model asks for the whole parse and its model, encoded (codec.go),
	// besides the verdict on the translation.
	Model bool `json:",omitempty"`
	// Survey asks for what Standalone needs to know about the unit
	// besides the verdict (survey.go).
	Survey bool `json:",omitempty"`
	// Probe guesses the macros a Model request's probe needs: the unit is
	// translated with their probe (translateGuessed, probe.go).
	Probe []string `json:",omitempty"`
}

// childResult is the child's verdict.
type childResult struct {
	Guard *childError `json:",omitempty"`
	Err   string      `json:",omitempty"`
	// Model is the encoded unit of a Model request whose model has no
	// errors. A model with errors is not sent: the parent parses again to
	// report them. It travels in a frame of its own (frameModel), as
	// bytes, ahead of the result.
	Model []byte `json:"-"`
	// Survey answers a Survey request.
	Survey *surveyInfo `json:",omitempty"`
}

type childError struct {
	File      string
	Line, Col int
	Msg       string
}

// Frames on the pipes: a kind byte, a uvarint length, the payload.
const (
	frameRequest = 'q' // parent -> child: childRequest as JSON
	frameFile    = 'f' // parent -> child: a file's bytes
	frameDir     = 'd' // parent -> child: the name is a directory
	frameMissing = 'm' // parent -> child: no such file
	frameFail    = 'x' // parent -> child: another error reading it
	frameOpen    = 'o' // child -> parent: send me this file
	frameModel   = 'u' // child -> parent: childResult.Model, before the result
	frameResult  = 'r' // child -> parent: childResult as JSON

	// parent -> child, before a request: a file it will likely open
	// (pushSet), unasked: the kind of frame that would answer the open
	// (frameFile, frameDir or frameMissing), the name, a NUL, the bytes.
	framePush = 'p'
	// child -> parent: the child opened this name, pushed or answered
	// before; nothing answers it.
	frameOpened = 'n'
)

func writeFrame(w *bufio.Writer, kind byte, payload []byte) error {
	putFrame(w, kind, payload)
	return w.Flush()
}

// putFrame is writeFrame without the flush.
func putFrame(w *bufio.Writer, kind byte, payload ...[]byte) error {
	var n [binary.MaxVarintLen64]byte
	size := 0
	for _, p := range payload {
		size += len(p)
	}
	w.WriteByte(kind)
	w.Write(n[:binary.PutUvarint(n[:], uint64(size))])
	var err error
	for _, p := range payload {
		_, err = w.Write(p)
	}
	return err
}

func readFrame(r *bufio.Reader) (byte, []byte, error) {
	kind, err := r.ReadByte()
	if err != nil {
		return 0, nil, err
	}
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return 0, nil, err
	}
	if n > 1<<40 {
		return 0, nil, errors.New("frame too large")
	}
	b := make([]byte, n)
	_, err = io.ReadFull(r, b)
	return kind, b, err
}

// childMain is the child's whole life: read a request, translate, answer,
// and again, until its parent closes stdin. Its exit status is 0 then.
func childMain(in io.Reader, out io.Writer) int {
	debug.SetMaxStack(childStackLimit)
	gctune.Tune(gctune.ChildHeap)
	// A parse that loops asks its parent for nothing and would never see
	// the pipes close: the child ends itself when its parent is gone.
	parent := os.Getppid()
	go func() {
		for range time.Tick(250 * time.Millisecond) {
			if os.Getppid() != parent {
				os.Exit(6)
			}
		}
	}()
	r, w := bufio.NewReader(in), bufio.NewWriter(out)
	for {
		known := map[string]pushed{}
		kind, b, err := readFrame(r)
		for err == nil && kind == framePush {
			name, data, ok := bytes.Cut(b[min(1, len(b)):], []byte{0})
			if !ok || (b[0] != frameFile && b[0] != frameMissing && b[0] != frameDir) {
				return 4
			}
			known[string(name)] = pushed{kind: b[0], data: data}
			kind, b, err = readFrame(r)
		}
		if err == io.EOF && len(known) == 0 {
			return 0
		}
		var req childRequest
		if err != nil || kind != frameRequest || json.Unmarshal(b, &req) != nil {
			return 4
		}
		res := childTranslate(req, &remoteFS{r: r, w: w, known: known})
		if res.Model != nil && writeFrame(w, frameModel, res.Model) != nil {
			return 5
		}
		b, _ = json.Marshal(res)
		if writeFrame(w, frameResult, b) != nil {
			return 5
		}
		// The next request's memory limit counts from here: the garbage
		// of this one goes back to the system when there is much of it.
		// Otherwise it is collected now, while the parent reads the
		// result, so that the next translation reuses this one's pages:
		// the kernel's zeroing of a fresh page costs more than a
		// collection of the little that is live between requests (in a
		// gen of four targets over two children, about 7,000 of 32,000
		// page faults and a tenth of the CPU time).
		if gctune.HeapInUse() > gctune.ChildHeap/2 {
			debug.FreeOSMemory()
		} else {
			go runtime.GC()
		}
	}
}

// surveyHeapLimit is the heap at which a survey request collects.
const surveyHeapLimit = 256 << 20

// childTranslate translates one request in the child.
func childTranslate(req childRequest, tree fs.FS) childResult {
	cfg := Config{Tree: tree, TreeName: req.TreeName, Target: req.Target, Mode: req.Mode, Includes: req.Includes, Dialect: req.Dialect}
	if req.Survey {
		// Standalone's translations (survey.go) are many, and small
		// but for the group of all the headers (xen.h alone allocates a
		// few MB, the group of all of Xen 4.17's headers about 130 MB):
		// the collector stays off during them unless the heap nears
		// surveyHeapLimit (a soft limit), and childMain collects their
		// garbage after each. That saves a tenth of -include all's CPU
		// time over GOGC=400 during the request, for a peak of about
		// 110 MB instead of 60; the memory limit still holds.
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(surveyHeapLimit))
		defer debug.SetGCPercent(debug.SetGCPercent(-1))
	}
	var res childResult
	var pragmas []pragma
	ccfg, sources, err := ccConfig(cfg, &pragmas)
	if err == nil {
		ccfg.EvalAllMacros = req.Eval
		if req.Extra != "" {
			sources = append(sources, cc.Source{Name: probeSource, Value: req.Extra})
		}
		var ast *cc.AST
		var probed map[string]*cc.Initializer
		if len(req.Probe) > 0 && req.Model && req.Extra == "" {
			// With the probe guessed (probe.go), else alone.
			if c, s, p, a, v := translateGuessed(cfg, req.Eval, req.Probe); a != nil {
				ccfg, sources, pragmas, ast, probed = c, s, p, a, v
			}
		}
		if ast == nil {
			ast, err = translateAST(ccfg, sources)
		}
		g := ccfg.FS.(vfs).guard
		if g.err != nil {
			res.Guard = &childError{File: g.err.Pos.File, Line: g.err.Pos.Line, Col: g.err.Pos.Col, Msg: g.err.Msg}
		}
		err = settleConflicts(ccfg, sources, err)
		if req.Survey {
			res.Survey = newSurvey(g, ast, err == nil && g.err == nil)
		}
		if req.Model && err == nil && res.Guard == nil {
			// The rest of the parse, so that the parent need not
			// translate again.
			if u, ok := buildUnit(cfg, ccfg, sources, ast, pragmas, probed); ok {
				res.Model, _ = encodeUnit(u)
			}
		}
	}
	if err != nil {
		res.Err = err.Error()
	}
	return res
}

// translateAST runs cc.Translate, a panic turned into an error.
func translateAST(cfg *cc.Config, sources []cc.Source) (ast *cc.AST, err error) {
	defer func() {
		if r := recover(); r != nil {
			ast, err = nil, fmt.Errorf("the C front end could not handle this input: %v", r)
		}
	}()
	return cc.Translate(cfg, sources)
}

// remoteFS is the child's view of the parent's tree.
type remoteFS struct {
	mu sync.Mutex
	r  *bufio.Reader
	w  *bufio.Writer
	// known holds what the parent pushed, and its answers so far: an
	// open of a known name only tells the parent (frameOpened).
	known map[string]pushed
}

func (f *remoteFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	kind, b := byte(0), []byte(nil)
	if p, ok := f.known[name]; ok {
		if err := writeFrame(f.w, frameOpened, []byte(name)); err != nil {
			return nil, err
		}
		kind, b = p.kind, p.data
	} else {
		if err := writeFrame(f.w, frameOpen, []byte(name)); err != nil {
			return nil, err
		}
		var err error
		if kind, b, err = readFrame(f.r); err != nil {
			return nil, err
		}
		if f.known != nil && (kind == frameFile || kind == frameDir || kind == frameMissing) {
			f.known[name] = pushed{kind: kind, data: b}
		}
	}
	switch kind {
	case frameFile:
		return &memFile{name: path.Base(name), Reader: bytes.NewReader(b), size: int64(len(b))}, nil
	case frameDir:
		return &dirFile{name: path.Base(name)}, nil
	case frameMissing:
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: errors.New(string(b))}
}

// dirFile is a directory of remoteFS: it can be stat'ed, not listed.
type dirFile struct{ name string }

func (d *dirFile) Stat() (fs.FileInfo, error) { return d, nil }
func (d *dirFile) Read([]byte) (int, error)   { return 0, errors.New("is a directory") }
func (d *dirFile) Close() error               { return nil }
func (d *dirFile) Name() string               { return d.name }
func (d *dirFile) Size() int64                { return 0 }
func (d *dirFile) Mode() fs.FileMode          { return fs.ModeDir | 0o555 }
func (d *dirFile) ModTime() time.Time         { return time.Time{} }
func (d *dirFile) IsDir() bool                { return true }
func (d *dirFile) Sys() any                   { return nil }

// errNoChild means the child could not be run; the caller falls back to
// an in-process parse.
var errNoChild = errors.New("no child process")

// checkInChild translates cfg's unit, followed by extra when it is not "",
// in a child process within limits.
// It returns nil when the translation succeeds, the translation's errors
// as an ErrorList, a *LimitError, or errNoChild.
func checkInChild(cfg Config, eval bool, extra string) error {
	_, err := runChild(cfg, childRequest{TreeName: cfg.TreeName, Target: cfg.Target, Mode: cfg.Mode, Includes: cfg.Includes, Dialect: cfg.Dialect, Eval: eval, Extra: extra})
	return err
}

// parseInChild parses cfg's unit in a child process within limits and
// returns the model it sends (nil when the model has errors, which only a
// parse here reports, or when the verdict was known and no child ran),
// or the errors of the translation, a *LimitError, or errNoChild.
func parseInChild(cfg Config) ([]byte, error) {
	return runChild(cfg, childRequest{TreeName: cfg.TreeName, Target: cfg.Target, Mode: cfg.Mode, Includes: cfg.Includes, Dialect: cfg.Dialect, Eval: true, Model: true})
}

func runChild(cfg Config, r childRequest) ([]byte, error) {
	res, err := runChildResult(cfg, r)
	if res == nil {
		return nil, err
	}
	return res.Model, err
}

// runChildResult is runChild, with the child's whole result (nil when no
// child ran).
func runChildResult(cfg Config, r childRequest) (*childResult, error) {
	if inChild {
		return nil, errNoChild // the child translates in its own process
	}
	req, _ := json.Marshal(r)
	// The verdict on the translation is the same whether or not the model
	// is asked for: a known one needs no child (a parse here then
	// finishes as the child's did). A survey always needs its child.
	vr := r
	vr.Model = false
	vkey, _ := json.Marshal(vr)
	if !r.Survey {
		if ok, err := cachedVerdict(cfg.Tree, string(vkey)); ok {
			return nil, err
		}
	}
	// As many children translate at a time as there are CPUs: more only
	// start more processes (each costs its start) to share the same
	// CPUs.
	push := pushSet(&cfg, &r)
	slots := childSlots()
	slots <- struct{}{}
	defer func() {
		<-slots
		// The request waiting for the slot runs now, on this P: it only
		// sends its request and waits, and the caller goes on after it.
		// Otherwise it would wait for another P's thread to get a CPU
		// (both are busy when the children are), a millisecond or more
		// in which the worker it would use sits idle.
		runtime.Gosched()
	}()
	for {
		w, reused, err := getWorker()
		if err != nil {
			return nil, errNoChild
		}
		res, err := w.check(&cfg, req, push, string(vkey), !r.Survey)
		if err == errNoChild && reused {
			continue // an idle child that died meanwhile: start a new one
		}
		return res, err
	}
}

// childSlots bounds the children translating at a time to GOMAXPROCS.
var childSlots = sync.OnceValue(func() chan struct{} {
	return make(chan struct{}, runtime.GOMAXPROCS(0))
})

// worker is a child process that translates one request after another.
// Idle workers wait for the next request; one stopped at a limit, or that
// failed, is killed and never reused.
type worker struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	w      *bufio.Writer
	r      *bufio.Reader
	stderr *cappedBuffer
	idleAt int64         // idle.gen when it became idle
	exited chan struct{} // closed once an ended worker has exited
}

// idle holds the workers waiting for a request. An idle worker exits
// after workerIdleTime without one, and with its parent (its stdin closes).
var idle struct {
	sync.Mutex
	list []*worker
	gen  int64
}

const (
	maxIdleWorkers = 4
	workerIdleTime = 5 * time.Second
)

// getWorker returns an idle worker, or starts one.
func getWorker() (*worker, bool, error) {
	idle.Lock()
	if n := len(idle.list); n > 0 {
		w := idle.list[n-1]
		idle.list = idle.list[:n-1]
		idle.Unlock()
		return w, true, nil
	}
	idle.Unlock()
	exe, err := os.Executable()
	if err != nil {
		return nil, false, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), childEnv+"="+childProtocol)
	w := &worker{cmd: cmd, stderr: &cappedBuffer{}}
	cmd.Stderr = w.stderr
	stdin, toChild, err := os.Pipe()
	if err != nil {
		return nil, false, err
	}
	growPipe(toChild)
	cmd.Stdin = stdin
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		stdin.Close()
		toChild.Close()
		return nil, false, err
	}
	if f, ok := stdout.(*os.File); ok {
		growPipe(f)
	}
	err = cmd.Start()
	stdin.Close() // the child's end
	if err != nil {
		toChild.Close()
		return nil, false, err
	}
	w.stdin = toChild
	w.w, w.r = bufio.NewWriter(toChild), bufio.NewReader(stdout)
	return w, false, nil
}

// putWorker makes w idle, or ends it when enough are.
func putWorker(w *worker) {
	idle.Lock()
	if len(idle.list) >= maxIdleWorkers {
		idle.Unlock()
		w.end()
		return
	}
	idle.gen++
	w.idleAt = idle.gen
	gen := idle.gen
	idle.list = append(idle.list, w)
	idle.Unlock()
	time.AfterFunc(workerIdleTime, func() {
		idle.Lock()
		for i, x := range idle.list {
			if x == w && x.idleAt == gen {
				idle.list = append(idle.list[:i], idle.list[i+1:]...)
				idle.Unlock()
				w.end()
				return
			}
		}
		idle.Unlock()
	})
}

// EndIdleWorkers tells the idle child processes to end, and does not wait
// for them. A program that will parse nothing more calls it as soon as it
// knows, so that the children exit while it goes on with its work.
func EndIdleWorkers() {
	idle.Lock()
	list := idle.list
	idle.list = nil
	idle.Unlock()
	for _, w := range list {
		w.end()
	}
}

// StopWorkers ends the idle child processes and waits for them, and for
// those told to end before. A program calls it before it exits, so that
// the children's CPU time and memory count as its own (getrusage,
// wait4); children end by themselves anyway, with their parent or a few
// seconds after their last request.
func StopWorkers() {
	EndIdleWorkers()
	ending.Lock()
	list := ending.list
	ending.list = nil
	ending.Unlock()
	for _, w := range list {
		<-w.exited
	}
}

// ending holds the workers told to end, until StopWorkers has waited for
// them (or they are found to have exited).
var ending struct {
	sync.Mutex
	list []*worker
}

// end closes w's stdin, which ends it, and reaps it when it exits.
func (w *worker) end() {
	w.stdin.Close()
	w.exited = make(chan struct{})
	go func() {
		w.cmd.Wait()
		close(w.exited)
	}()
	ending.Lock()
	defer ending.Unlock()
	live := ending.list[:0]
	for _, x := range ending.list {
		select {
		case <-x.exited:
		default:
			live = append(live, x)
		}
	}
	ending.list = append(live, w)
}

// kill stops w at once.
func (w *worker) kill() {
	w.cmd.Process.Kill()
	w.stdin.Close()
	w.cmd.Wait()
}

// check runs one request on w within cfg's limits, and remembers the
// verdict if remember is set.
func (w *worker) check(cfg *Config, req []byte, push map[string]pushed, vkey string, remember bool) (*childResult, error) {
	w.stderr.Reset()
	s := &session{cfg: cfg, w: w.w, r: w.r, served: map[string]bool{}, push: push, answered: map[string]byte{}}
	if remember {
		s.seen = map[string]string{}
	}
	done := make(chan error, 1)
	go func() { done <- s.serve(req) }()
	start := time.Now()
	pid := w.cmd.Process.Pid
	// The child is reused: its CPU time counts from this request on.
	cpu0, haveCPU := cpuTime(pid)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var stop, serveErr error
	finished := false
	for !finished && stop == nil {
		select {
		case serveErr = <-done:
			finished = true
		case <-tick.C:
			bytes, last := s.progress()
			lim := cfg.limits()
			d := lim.timeout(bytes)
			wall := time.Since(start)
			if tickHook != nil {
				tickHook(pid, wall)
			}
			cpu, ok := cpuTime(pid)
			if limit, clock, over := timeLimit(d, wall, cpu-cpu0, haveCPU && ok); over {
				stop = &LimitError{File: cfg.display(last), What: "time", Limit: limit.Round(time.Millisecond).String(), clock: clock}
			} else if m := lim.memory(bytes); rss(pid) > m {
				stop = &LimitError{File: cfg.display(last), What: "memory", Limit: strconv.FormatInt(m>>20, 10) + " MiB"}
			}
		}
	}
	if stop != nil {
		w.kill()
		<-done
		return nil, stop
	}
	if serveErr == nil && s.result != nil {
		err := s.verdict()
		if remember {
			storeVerdict(vkey, s.seen, err)
		}
		putWorker(w)
		return s.result, err
	}
	w.kill()
	var input inputError
	if errors.As(serveErr, &input) {
		return nil, input.err
	}
	waitErr := w.cmd.ProcessState
	if !s.started {
		// Not our child (an executable replaced on disk, say), or an idle
		// one that died.
		return nil, errNoChild
	}
	_, last := s.progress()
	msg := w.stderr.String()
	switch {
	case strings.Contains(msg, "stack overflow") || strings.Contains(msg, "stack exceeds"):
		return nil, ErrorList{{Pos: Pos{File: last}, Msg: "nested too deeply: the C front end ran out of stack", display: cfg.display(last)}}
	case strings.Contains(msg, "out of memory"):
		return nil, &LimitError{File: cfg.display(last), What: "memory", Limit: "what the system gave"}
	}
	first, _, _ := strings.Cut(strings.TrimSpace(msg), "\n")
	if first == "" && waitErr != nil {
		first = waitErr.String()
	}
	return nil, ErrorList{{Pos: Pos{File: last}, Msg: "the C front end failed: " + first, display: cfg.display(last)}}
}

// session is the parent's side of one child.
type session struct {
	cfg *Config
	w   *bufio.Writer
	r   *bufio.Reader

	mu     sync.Mutex
	served map[string]bool
	// seen is what each name the child asked for was: a hash of its
	// bytes, or "missing", "dir", "fail". A verdict holds for as long as
	// all of them stay the same. Only a verdict to remember needs it
	// (nil otherwise: the files are not hashed).
	seen map[string]string
	// push is what the parent sends unasked (pushSet); answered the
	// names the child has had (pushed and opened, or sent).
	push     map[string]pushed
	answered map[string]byte // the kind of frame that answered
	bytes    int64
	last     string
	started  bool
	result   *childResult
}

func (s *session) progress() (int64, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytes, s.last
}

// serve sends the request, then answers the child's file requests until
// its result arrives or the pipes close.
func (s *session) serve(req []byte) error {
	for _, name := range slices.Sorted(maps.Keys(s.push)) {
		p := s.push[name]
		if err := putFrame(s.w, framePush, []byte{p.kind}, []byte(name), []byte{0}, p.data); err != nil {
			return err
		}
	}
	if err := writeFrame(s.w, frameRequest, req); err != nil {
		return err
	}
	var model []byte
	for {
		kind, b, err := readFrame(s.r)
		if err != nil {
			return err
		}
		s.mu.Lock()
		s.started = true
		s.mu.Unlock()
		switch kind {
		case frameModel:
			model = b
		case frameResult:
			var res childResult
			if err := json.Unmarshal(b, &res); err != nil {
				return err
			}
			res.Model = model
			s.mu.Lock()
			s.result = &res
			s.mu.Unlock()
			return nil
		case frameOpen:
			openRequests.Add(1)
			if err := s.sendFile(string(b)); err != nil {
				return err
			}
		case frameOpened:
			if err := s.opened(string(b)); err != nil {
				return err
			}
		default:
			return fmt.Errorf("unexpected frame %q from the parser's child", kind)
		}
	}
}

func (s *session) sendFile(name string) error {
	state, b, err := s.account(name)
	switch state {
	case "missing":
		return writeFrame(s.w, frameMissing, nil)
	case "fail":
		return writeFrame(s.w, frameFail, []byte(err.Error()))
	case "dir":
		return writeFrame(s.w, frameDir, nil)
	}
	return writeFrame(s.w, frameFile, b)
}

// openRequests counts the files children asked for (frameOpen): the round
// trips pushSet did not save.
var openRequests atomic.Int64

// opened accounts for a name the child opened without asking: one the
// parent pushed, or one it sent before. A pushed one is read again, as
// sendFile would read it, and must not have changed since it was pushed
// (with the cache's recordFS it cannot: that serves the bytes it kept).
func (s *session) opened(name string) error {
	s.mu.Lock()
	kind, again := s.answered[name]
	if kind == frameFile {
		s.last = name
	}
	s.mu.Unlock()
	if again {
		return nil
	}
	p, ok := s.push[name]
	if !ok {
		return fmt.Errorf("the parser's child opened %s, which it was never sent", name)
	}

	state, b, _ := s.account(name)
	var same bool
	switch state {
	case "missing":
		same = p.kind == frameMissing
	case "dir":
		same = p.kind == frameDir
	case "fail":
		same = false
	default:
		same = p.kind == frameFile && bytes.Equal(p.data, b)
	}
	if !same {
		return inputError{ErrorList{{Pos: Pos{File: name}, Msg: "the file changed while it was parsed", display: s.cfg.display(name)}}}
	}
	return nil
}

// inputError is an error of the input that serving a child finds: the
// parse fails with err.
type inputError struct{ err error }

func (e inputError) Error() string { return e.err.Error() }

// account reads name for the child, and counts it as read: the cache's
// manifest (through the tree), the verdict's file states, the bytes read
// for the limits, the last file.
func (s *session) account(name string) (string, []byte, error) {
	state, b, err := fileState(s.cfg.Tree, name, s.seen != nil)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen != nil {
		s.seen[name] = state
	}
	switch state {
	case "missing":
		s.answered[name] = frameMissing
	case "dir":
		s.answered[name] = frameDir
	case "fail":
	default: // a file: "file", or its digest
		s.answered[name] = frameFile
		if !s.served[name] {
			s.served[name] = true
			s.bytes += int64(len(b))
		}
		s.last = name
	}
	return state, b, err
}

// fileState says what name is in tree: "missing", "dir", "fail" (with the
// error) or the hash of its bytes (with the bytes; "file" unless hash is
// set).
func fileState(tree fs.FS, name string, hash bool) (string, []byte, error) {
	st, err := fs.Stat(tree, name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "missing", nil, nil
	case err != nil:
		return "fail", nil, err
	case st.IsDir():
		return "dir", nil, nil
	}
	b, err := fs.ReadFile(tree, name)
	if err != nil {
		return "fail", nil, err
	}
	if !hash {
		return "file", b, nil
	}
	sum := sha256.Sum256(b)
	return string(sum[:]), b, nil
}

// verdicts remembers the children's verdicts within this process: a
// program (or a test binary) that parses the same headers again needs no
// second child. A verdict is reused only while every file the child asked
// for is as it was; limit errors are never remembered.
var verdicts struct {
	sync.Mutex
	m map[string][]verdictEntry // by request
}

type verdictEntry struct {
	seen map[string]string
	err  error
}

const maxVerdicts = 512

func cachedVerdict(tree fs.FS, req string) (bool, error) {
	verdicts.Lock()
	entries := verdicts.m[req]
	verdicts.Unlock()
next:
	for _, e := range entries {
		for name, state := range e.seen {
			if now, _, _ := fileState(tree, name, true); now != state || state == "fail" {
				continue next
			}
		}
		return true, e.err
	}
	return false, nil
}

func storeVerdict(req string, seen map[string]string, err error) {
	verdicts.Lock()
	defer verdicts.Unlock()
	if verdicts.m == nil || len(verdicts.m) >= maxVerdicts {
		verdicts.m = map[string][]verdictEntry{}
	}
	verdicts.m[req] = append(verdicts.m[req], verdictEntry{seen, err})
}

// verdict turns the child's result into the error Parse returns.
func (s *session) verdict() error {
	res := s.result
	if res.Guard != nil {
		g := res.Guard
		return ErrorList{{Pos: Pos{File: g.File, Line: g.Line, Col: g.Col}, Msg: g.Msg, display: s.cfg.display(g.File)}}
	}
	if res.Err != "" {
		return s.cfg.ccErrors(errors.New(res.Err))
	}
	return nil
}

// limits returns cfg's limits.
func (c *Config) limits() Limits {
	return Limits{Timeout: c.Timeout, Memory: c.Memory}
}

// tickHook, when set (by tests), sees each check of a child's limits.
var tickHook func(pid int, wall time.Duration)

// timeLimit decides whether a child that has run for wall (wall-clock
// time) and used cpu (CPU time, known if haveCPU) is past the time limit
// d, and returns the limit it passed and its clock (see LimitError).
func timeLimit(d, wall, cpu time.Duration, haveCPU bool) (time.Duration, string, bool) {
	switch {
	case !haveCPU:
		return d, "", wall > d
	case cpu > d:
		return d, "CPU ", true
	case wall > wallBackstop(d):
		return wallBackstop(d), "wall-clock ", true
	}
	return 0, "", false
}

// wallBackstop is how long a child may take in wall-clock time when its
// CPU time limit is d: the limit counts the CPU time the child used (so a
// heavily loaded machine, where the child waits for a CPU, does not make a
// valid parse fail), and the backstop ends a child that uses no CPU but
// never answers.
func wallBackstop(d time.Duration) time.Duration {
	return 6*d + time.Minute
}

// userHZ is the unit of the CPU times in /proc/PID/stat: Linux's USER_HZ,
// 100 on every architecture (it is part of the kernel's user ABI).
const userHZ = 100

// cpuTime returns the CPU time (user and system, all threads) a process
// has used so far, from /proc/PID/stat; false where unknown (outside
// Linux the time limit is then wall-clock time).
func cpuTime(pid int) (time.Duration, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	return statCPU(b)
}

// statCPU reads utime and stime from the text of /proc/PID/stat.
func statCPU(b []byte) (time.Duration, bool) {
	// "pid (comm) state ppid ...": comm may hold spaces and parentheses,
	// so the fields are counted from the last ')'. utime and stime are
	// fields 14 and 15.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(utime+stime) * time.Second / userHZ, true
}

// rss returns a process's resident memory in bytes, 0 where unknown
// (outside Linux: only the time limit applies there).
func rss(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// cappedBuffer keeps the first 64 KiB written to it: enough of a crash
// report to tell a stack overflow from an out-of-memory error.
type cappedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if room := 64<<10 - c.b.Len(); room > 0 {
		c.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// Reset forgets what was written.
func (c *cappedBuffer) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.b.Reset()
}

func (c *cappedBuffer) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.b.String()
}
