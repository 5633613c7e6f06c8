//go:build !plan9

package xenstore

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"unsafe"

	"github.com/xenbind/xenbind/runtime/xenstore/xswire"
)

// opNames names the message types the client sends or receives, for
// messages.
var opNames = map[xswire.XsdSockmsgType]string{
	xswire.XS_DIRECTORY: "XS_DIRECTORY", xswire.XS_READ: "XS_READ", xswire.XS_GET_PERMS: "XS_GET_PERMS",
	xswire.XS_WATCH: "XS_WATCH", xswire.XS_UNWATCH: "XS_UNWATCH", xswire.XS_TRANSACTION_START: "XS_TRANSACTION_START",
	xswire.XS_TRANSACTION_END: "XS_TRANSACTION_END", xswire.XS_WRITE: "XS_WRITE", xswire.XS_MKDIR: "XS_MKDIR",
	xswire.XS_RM: "XS_RM", xswire.XS_SET_PERMS: "XS_SET_PERMS", xswire.XS_WATCH_EVENT: "XS_WATCH_EVENT",
	xswire.XS_ERROR: "XS_ERROR",
}

func opName(t xswire.XsdSockmsgType) string {
	if n, ok := opNames[t]; ok {
		return n
	}
	return fmt.Sprintf("message type %d", uint32(t))
}

// headerSize is sizeof(struct xsd_sockmsg).
const headerSize = int(unsafe.Sizeof(xswire.XsdSockmsg{}))

// MaxPayload is the largest payload of a message (XENSTORE_PAYLOAD_MAX).
const MaxPayload = xswire.XENSTORE_PAYLOAD_MAX

// ErrClosed is returned by the methods of a closed Conn.
var ErrClosed = errors.New("xenstore: connection closed")

// Error is a request xenstored refused, or that failed on the way.
type Error struct {
	Op   string // the message type, e.g. "XS_READ"
	Path string
	// Err is a syscall.Errno for xenstored's answer (its name is Name),
	// or the connection's error.
	Err  error
	Name string // xenstored's error name ("ENOENT"), if it sent one
}

func (e *Error) Error() string {
	if e.Path != "" {
		return fmt.Sprintf("xenstore: %s %s: %v", e.Op, e.Path, e.Err)
	}
	return fmt.Sprintf("xenstore: %s: %v", e.Op, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// ErrnoOf returns the errno xenstored means by an error name, and whether
// the name is known.
func ErrnoOf(name string) (syscall.Errno, bool) {
	e, ok := errnoByName[name]
	return e, ok
}

// Conn is a connection to xenstored. It is safe for concurrent use;
// requests are sent one at a time.
type Conn struct {
	rw io.ReadWriteCloser

	reqMu  sync.Mutex // one request in flight
	nextID uint32
	reply  chan msg

	mu      sync.Mutex
	watches map[string]*Watch
	closed  bool
	err     error // why the reader stopped
	done    chan struct{}
	ntoken  int
}

type msg struct {
	typ     xswire.XsdSockmsgType
	reqID   uint32
	txID    uint32
	payload []byte
}

// NewConn returns a Conn over rw, a connection that speaks xenstored's
// wire protocol. The Conn owns rw and closes it.
func NewConn(rw io.ReadWriteCloser) *Conn {
	c := &Conn{rw: rw, reply: make(chan msg, 1), watches: map[string]*Watch{}, done: make(chan struct{})}
	go c.readLoop()
	return c
}

func (c *Conn) readLoop() {
	defer close(c.done)
	r := bufio.NewReader(c.rw)
	var hdr [headerSize]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			c.stop(err)
			return
		}
		m := msg{
			typ:   xswire.XsdSockmsgType(binary.NativeEndian.Uint32(hdr[0:])),
			reqID: binary.NativeEndian.Uint32(hdr[4:]),
			txID:  binary.NativeEndian.Uint32(hdr[8:]),
		}
		n := binary.NativeEndian.Uint32(hdr[12:])
		if n > MaxPayload {
			c.stop(fmt.Errorf("message of %d bytes, more than XENSTORE_PAYLOAD_MAX", n))
			return
		}
		m.payload = make([]byte, n)
		if _, err := io.ReadFull(r, m.payload); err != nil {
			c.stop(err)
			return
		}
		if m.typ == xswire.XS_WATCH_EVENT {
			c.event(m.payload)
			continue
		}
		select {
		case c.reply <- m:
		default:
			// No request waits for it: a reply for an abandoned request
			// was already dropped, so this is out of protocol.
			c.stop(fmt.Errorf("unexpected %s message (request %d)", opName(m.typ), m.reqID))
			return
		}
	}
}

func (c *Conn) stop(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = err
	}
	for _, w := range c.watches {
		w.end()
	}
	c.watches = map[string]*Watch{}
}

// request sends one message and returns the reply's payload.
func (c *Conn) request(ctx context.Context, tx uint32, typ xswire.XsdSockmsgType, path string, payload []byte) ([]byte, error) {
	fail := func(err error) ([]byte, error) {
		return nil, &Error{Op: opName(typ), Path: path, Err: err}
	}
	if len(payload) > MaxPayload {
		return fail(fmt.Errorf("payload of %d bytes, more than %d", len(payload), MaxPayload))
	}
	c.reqMu.Lock()
	defer c.reqMu.Unlock()
	c.mu.Lock()
	closed, rerr := c.closed, c.err
	c.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	if rerr != nil {
		return fail(rerr)
	}
	c.nextID++
	id := c.nextID
	buf := make([]byte, headerSize+len(payload))
	binary.NativeEndian.PutUint32(buf[0:], uint32(typ))
	binary.NativeEndian.PutUint32(buf[4:], id)
	binary.NativeEndian.PutUint32(buf[8:], tx)
	binary.NativeEndian.PutUint32(buf[12:], uint32(len(payload)))
	copy(buf[headerSize:], payload)
	if _, err := c.rw.Write(buf); err != nil {
		return fail(err)
	}
	select {
	case m := <-c.reply:
		if m.reqID != id {
			return fail(fmt.Errorf("reply to request %d, want %d", m.reqID, id))
		}
		if m.typ == xswire.XS_ERROR {
			name := strings.TrimRight(string(m.payload), "\x00")
			e := &Error{Op: opName(typ), Path: path, Name: name}
			if errno, ok := ErrnoOf(name); ok {
				e.Err = errno
			} else {
				e.Err = fmt.Errorf("xenstored error %q", name)
			}
			return nil, e
		}
		if m.typ != typ {
			return fail(fmt.Errorf("reply of type %s", opName(m.typ)))
		}
		return m.payload, nil
	case <-c.done:
		c.mu.Lock()
		err := c.err
		c.mu.Unlock()
		return fail(err)
	case <-ctx.Done():
		// The reply may still come: nothing can reuse the connection
		// safely, so it is closed.
		c.Close()
		return fail(ctx.Err())
	}
}

// Close closes the connection; watches end (their channels close).
func (c *Conn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	c.closed = true
	c.mu.Unlock()
	err := c.rw.Close()
	<-c.done
	c.stop(ErrClosed)
	return err
}

func cstr(s ...string) []byte {
	var b []byte
	for _, x := range s {
		b = append(b, x...)
		b = append(b, 0)
	}
	return b
}

func splitNul(b []byte) []string {
	s := strings.TrimSuffix(string(b), "\x00")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\x00")
}

// ops are the operations of a Conn and of a Tx: tx is 0 outside a
// transaction.
type ops struct {
	c  *Conn
	tx uint32
}

func (o ops) read(ctx context.Context, path string) ([]byte, error) {
	return o.c.request(ctx, o.tx, xswire.XS_READ, path, cstr(path))
}

func (o ops) write(ctx context.Context, path string, value []byte) error {
	_, err := o.c.request(ctx, o.tx, xswire.XS_WRITE, path, append(cstr(path), value...))
	return err
}

func (o ops) simple(ctx context.Context, typ xswire.XsdSockmsgType, path string) error {
	_, err := o.c.request(ctx, o.tx, typ, path, cstr(path))
	return err
}

func (o ops) directory(ctx context.Context, path string) ([]string, error) {
	b, err := o.c.request(ctx, o.tx, xswire.XS_DIRECTORY, path, cstr(path))
	return splitNul(b), err
}

func (o ops) perms(ctx context.Context, path string) ([]Perm, error) {
	b, err := o.c.request(ctx, o.tx, xswire.XS_GET_PERMS, path, cstr(path))
	if err != nil {
		return nil, err
	}
	var ps []Perm
	for _, s := range splitNul(b) {
		p, err := ParsePerm(s)
		if err != nil {
			return nil, &Error{Op: "XS_GET_PERMS", Path: path, Err: err}
		}
		ps = append(ps, p)
	}
	return ps, nil
}

func (o ops) setPerms(ctx context.Context, path string, ps []Perm) error {
	if len(ps) == 0 {
		return &Error{Op: "XS_SET_PERMS", Path: path, Err: errors.New("no permissions: the first names the owner")}
	}
	parts := []string{path}
	for _, p := range ps {
		parts = append(parts, p.String())
	}
	_, err := o.c.request(ctx, o.tx, xswire.XS_SET_PERMS, path, cstr(parts...))
	return err
}

// Read returns the value of node path.
func (c *Conn) Read(ctx context.Context, path string) ([]byte, error) {
	return ops{c, 0}.read(ctx, path)
}

// Write sets the value of node path, creating it (and missing parents).
func (c *Conn) Write(ctx context.Context, path string, value []byte) error {
	return ops{c, 0}.write(ctx, path, value)
}

// Mkdir creates node path with an empty value; it is no error if it exists.
func (c *Conn) Mkdir(ctx context.Context, path string) error {
	return ops{c, 0}.simple(ctx, xswire.XS_MKDIR, path)
}

// Rm removes node path and everything below it.
func (c *Conn) Rm(ctx context.Context, path string) error {
	return ops{c, 0}.simple(ctx, xswire.XS_RM, path)
}

// Directory lists the children of node path.
func (c *Conn) Directory(ctx context.Context, path string) ([]string, error) {
	return ops{c, 0}.directory(ctx, path)
}

// Perms returns the permissions of node path: the first names the owner
// and what every domain not listed may do.
func (c *Conn) Perms(ctx context.Context, path string) ([]Perm, error) {
	return ops{c, 0}.perms(ctx, path)
}

// SetPerms sets the permissions of node path (see Perms).
func (c *Conn) SetPerms(ctx context.Context, path string, ps []Perm) error {
	return ops{c, 0}.setPerms(ctx, path, ps)
}

// Access is what a permission allows.
type Access byte

const (
	None      Access = 'n'
	Read      Access = 'r'
	Write     Access = 'w'
	ReadWrite Access = 'b'
)

// Perm is one permission of a node: a domain and its access.
type Perm struct {
	Dom    uint16
	Access Access
}

func (p Perm) String() string { return string(rune(p.Access)) + strconv.Itoa(int(p.Dom)) }

// ParsePerm reads a permission as xenstored writes it ("r0", "b5").
func ParsePerm(s string) (Perm, error) {
	if len(s) < 2 {
		return Perm{}, fmt.Errorf("permission %q", s)
	}
	a := Access(s[0])
	switch a {
	case None, Read, Write, ReadWrite:
	default:
		return Perm{}, fmt.Errorf("permission %q: unknown access %q", s, s[0])
	}
	d, err := strconv.ParseUint(s[1:], 10, 16)
	if err != nil {
		return Perm{}, fmt.Errorf("permission %q: %w", s, err)
	}
	return Perm{Dom: uint16(d), Access: a}, nil
}

// WatchEvent is a watch firing: the node that changed (the watched one or
// one below it).
type WatchEvent struct {
	Path string
}

// Watch is a registered watch. xenstored fires it once when it is
// registered, then on every change at or below its path.
type Watch struct {
	c      *Conn
	Path   string
	token  string
	events chan WatchEvent

	mu     sync.Mutex
	queue  []WatchEvent
	more   chan struct{}
	ended  bool
	pumped chan struct{}
}

// Events returns the channel the watch's events arrive on, in order; no
// event is dropped. It is closed when the watch or the Conn is closed.
func (w *Watch) Events() <-chan WatchEvent { return w.events }

// Watch registers a watch on path.
func (c *Conn) Watch(ctx context.Context, path string) (*Watch, error) {
	c.mu.Lock()
	c.ntoken++
	w := &Watch{c: c, Path: path, token: "xb" + strconv.Itoa(c.ntoken), events: make(chan WatchEvent),
		more: make(chan struct{}, 1), pumped: make(chan struct{})}
	c.watches[w.token] = w
	c.mu.Unlock()
	go w.pump()
	if _, err := c.request(ctx, 0, xswire.XS_WATCH, path, cstr(path, w.token)); err != nil {
		c.mu.Lock()
		delete(c.watches, w.token)
		c.mu.Unlock()
		w.end()
		return nil, err
	}
	return w, nil
}

// event queues a watch event for its watch. Called by the reader, which
// must never block on a slow receiver.
func (c *Conn) event(payload []byte) {
	parts := splitNul(payload)
	if len(parts) < 2 {
		return
	}
	c.mu.Lock()
	w := c.watches[parts[1]]
	c.mu.Unlock()
	if w == nil {
		return // a watch being removed
	}
	w.mu.Lock()
	if !w.ended {
		w.queue = append(w.queue, WatchEvent{Path: parts[0]})
	}
	w.mu.Unlock()
	select {
	case w.more <- struct{}{}:
	default:
	}
}

// pump moves queued events to the channel: one goroutine per watch, so
// that the connection's reader never waits for a receiver.
func (w *Watch) pump() {
	defer close(w.pumped)
	defer close(w.events)
	for {
		w.mu.Lock()
		if len(w.queue) == 0 {
			ended := w.ended
			w.mu.Unlock()
			if ended {
				return
			}
			<-w.more
			continue
		}
		ev := w.queue[0]
		w.queue = w.queue[1:]
		w.mu.Unlock()
		select {
		case w.events <- ev:
		case <-w.more:
			w.mu.Lock()
			ended := w.ended
			w.mu.Unlock()
			if ended {
				return
			}
			w.mu.Lock()
			w.queue = append([]WatchEvent{ev}, w.queue...)
			w.mu.Unlock()
		}
	}
}

func (w *Watch) end() {
	w.mu.Lock()
	w.ended = true
	w.queue = nil
	w.mu.Unlock()
	select {
	case w.more <- struct{}{}:
	default:
	}
}

// Close removes the watch; its channel closes.
func (w *Watch) Close() error {
	c := w.c
	c.mu.Lock()
	_, live := c.watches[w.token]
	delete(c.watches, w.token)
	c.mu.Unlock()
	w.end()
	<-w.pumped
	if !live {
		return nil
	}
	_, err := c.request(context.Background(), 0, xswire.XS_UNWATCH, w.Path, cstr(w.Path, w.token))
	return err
}

// Tx is a transaction: its operations see the store as it was when the
// transaction started, plus its own changes.
type Tx struct {
	o ops
}

// Read returns the value of node path.
func (t *Tx) Read(ctx context.Context, path string) ([]byte, error) { return t.o.read(ctx, path) }

// Write sets the value of node path.
func (t *Tx) Write(ctx context.Context, path string, value []byte) error {
	return t.o.write(ctx, path, value)
}

// Mkdir creates node path.
func (t *Tx) Mkdir(ctx context.Context, path string) error {
	return t.o.simple(ctx, xswire.XS_MKDIR, path)
}

// Rm removes node path and everything below it.
func (t *Tx) Rm(ctx context.Context, path string) error { return t.o.simple(ctx, xswire.XS_RM, path) }

// Directory lists the children of node path.
func (t *Tx) Directory(ctx context.Context, path string) ([]string, error) {
	return t.o.directory(ctx, path)
}

// Perms returns the permissions of node path.
func (t *Tx) Perms(ctx context.Context, path string) ([]Perm, error) { return t.o.perms(ctx, path) }

// SetPerms sets the permissions of node path.
func (t *Tx) SetPerms(ctx context.Context, path string, ps []Perm) error {
	return t.o.setPerms(ctx, path, ps)
}

// MaxAttempts bounds how often Transaction runs its function.
const MaxAttempts = 16

// Transaction runs fn in a transaction and commits it. When the commit
// fails with EAGAIN (something fn used changed meanwhile) it runs fn
// again in a new transaction, up to MaxAttempts times. An error from fn
// aborts the transaction and is returned as it is. attempts reports how
// many transactions were started.
func (c *Conn) Transaction(ctx context.Context, fn func(*Tx) error) (attempts int, err error) {
	for attempts = 1; ; attempts++ {
		b, err := c.request(ctx, 0, xswire.XS_TRANSACTION_START, "", cstr(""))
		if err != nil {
			return attempts, err
		}
		id, perr := strconv.ParseUint(strings.TrimRight(string(b), "\x00"), 10, 32)
		if perr != nil {
			return attempts, &Error{Op: "XS_TRANSACTION_START", Err: fmt.Errorf("transaction id %q: %w", b, perr)}
		}
		tx := &Tx{o: ops{c, uint32(id)}}
		if ferr := fn(tx); ferr != nil {
			c.request(ctx, uint32(id), xswire.XS_TRANSACTION_END, "", cstr("F"))
			return attempts, ferr
		}
		_, err = c.request(ctx, uint32(id), xswire.XS_TRANSACTION_END, "", cstr("T"))
		if err == nil || !errors.Is(err, syscall.EAGAIN) || attempts == MaxAttempts {
			return attempts, err
		}
	}
}
