//go:build !plan9

// Package xenstoretest provides an in-memory xenstored for unit tests of
// code built on package xenstore, in the spirit of net/http/httptest.
//
// A [Server] keeps a store of nodes and speaks xenstored's wire protocol
// (io/xs_wire.h) on connections made with [Server.Dial], so that the code
// under test runs the same client code as against the real daemon. It
// implements reads, writes (creating missing parents), mkdir, rm (of a
// whole subtree), directories, permissions (stored and returned; not
// enforced: every connection acts as dom0), watches (fired on
// registration, then on every change at or below their path, to every
// connection) and transactions: a transaction works on its own view and
// its commit fails with EAGAIN when a node it read or wrote changed
// meanwhile, as xenstored's does. Relative paths are relative to
// /local/domain/0.
//
// The package is empty on Plan 9: its errors are Linux errno values
// (syscall.Errno), which Plan 9's syscall package does not have.
package xenstoretest

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/xenbind/xenbind/runtime/xenstore"
	"github.com/xenbind/xenbind/runtime/xenstore/xswire"
)

const headerSize = int(unsafe.Sizeof(xswire.XsdSockmsg{}))

// Server is an in-memory xenstored.
type Server struct {
	mu      sync.Mutex
	nodes   map[string]*node
	gen     uint64
	txs     map[uint32]*tx
	nextTx  uint32
	conns   map[*sconn]bool
	commits int
	aborts  int
}

type node struct {
	value []byte
	perms []xenstore.Perm
	gen   uint64
}

type tx struct {
	nodes map[string]*node  // the transaction's view
	seen  map[string]uint64 // gen of each node it touched when first touched (0: absent)
	ops   []func()          // its changes, replayed on commit
	conn  *sconn
}

// NewServer returns a store holding the root node only, owned by dom0.
func NewServer() *Server {
	s := &Server{nodes: map[string]*node{}, txs: map[uint32]*tx{}, conns: map[*sconn]bool{}}
	s.nodes["/"] = &node{perms: []xenstore.Perm{{Dom: 0, Access: xenstore.None}}}
	return s
}

// Commits returns how many transactions committed and how many commits
// failed with EAGAIN.
func (s *Server) Commits() (ok, conflicts int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commits, s.aborts
}

// Dial returns a client connection to the server.
func (s *Server) Dial() *xenstore.Conn {
	client, server := net.Pipe()
	c := &sconn{s: s, rw: server}
	s.mu.Lock()
	s.conns[c] = true
	s.mu.Unlock()
	go c.serve()
	return xenstore.NewConn(client)
}

type sconn struct {
	s       *Server
	rw      net.Conn
	wmu     sync.Mutex
	watches [][2]string // path, token
}

func (c *sconn) send(typ xswire.XsdSockmsgType, req, txID uint32, payload []byte) {
	buf := make([]byte, headerSize+len(payload))
	binary.NativeEndian.PutUint32(buf[0:], uint32(typ))
	binary.NativeEndian.PutUint32(buf[4:], req)
	binary.NativeEndian.PutUint32(buf[8:], txID)
	binary.NativeEndian.PutUint32(buf[12:], uint32(len(payload)))
	copy(buf[headerSize:], payload)
	c.wmu.Lock()
	c.rw.Write(buf)
	c.wmu.Unlock()
}

func (c *sconn) serve() {
	defer func() {
		c.s.mu.Lock()
		delete(c.s.conns, c)
		c.s.mu.Unlock()
		c.rw.Close()
	}()
	r := bufio.NewReader(c.rw)
	var hdr [headerSize]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return
		}
		typ := xswire.XsdSockmsgType(binary.NativeEndian.Uint32(hdr[0:]))
		req := binary.NativeEndian.Uint32(hdr[4:])
		txID := binary.NativeEndian.Uint32(hdr[8:])
		n := binary.NativeEndian.Uint32(hdr[12:])
		if n > xswire.XENSTORE_PAYLOAD_MAX {
			return
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(r, payload); err != nil {
			return
		}
		reply, errName, events := c.s.handle(c, typ, txID, payload)
		if errName != "" {
			c.send(xswire.XS_ERROR, req, txID, append([]byte(errName), 0))
		} else {
			c.send(typ, req, txID, reply)
		}
		for _, e := range events {
			e()
		}
	}
}

func fields(p []byte) []string {
	s := string(p)
	return strings.Split(strings.TrimSuffix(s, "\x00"), "\x00")
}

func canon(p string) string {
	if !strings.HasPrefix(p, "/") {
		p = "/local/domain/0/" + p
	}
	if p != "/" {
		p = strings.TrimSuffix(p, "/")
	}
	return p
}

func parent(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

// view is where an operation reads and writes: the store, or a
// transaction's view.
type view struct {
	s     *Server
	nodes map[string]*node
	t     *tx
}

func (v view) touch(p string) {
	if v.t == nil {
		return
	}
	if _, ok := v.t.seen[p]; !ok {
		var g uint64
		if n := v.s.nodes[p]; n != nil {
			g = n.gen
		}
		v.t.seen[p] = g
	}
}

func (v view) get(p string) *node {
	v.touch(p)
	return v.nodes[p]
}

// set writes a node, creating missing parents, and returns the paths
// created or changed.
func (v view) set(p string, value []byte) []string {
	v.s.gen++
	var missing []string
	for q := p; v.get(q) == nil; q = parent(q) {
		missing = append(missing, q)
	}
	var changed []string
	for i := len(missing) - 1; i >= 0; i-- {
		q := missing[i]
		pn := v.nodes[parent(q)]
		v.touch(parent(q))
		v.nodes[q] = &node{perms: append([]xenstore.Perm(nil), pn.perms...), gen: v.s.gen}
		pn.gen = v.s.gen // its children changed
		if q != p {
			changed = append(changed, q)
		}
	}
	n := v.nodes[p]
	n.value = append([]byte(nil), value...)
	n.gen = v.s.gen
	return append(changed, p)
}

func (v view) rm(p string) []string {
	var removed []string
	for q := range v.nodes {
		if q == p || strings.HasPrefix(q, p+"/") {
			v.touch(q)
			removed = append(removed, q)
		}
	}
	for _, q := range removed {
		delete(v.nodes, q)
	}
	v.s.gen++
	if pn := v.nodes[parent(p)]; pn != nil {
		v.touch(parent(p))
		pn.gen = v.s.gen
	}
	return removed
}

func (v view) children(p string) []string {
	var out []string
	prefix := p + "/"
	if p == "/" {
		prefix = "/"
	}
	for q := range v.nodes {
		if q != "/" && strings.HasPrefix(q, prefix) && !strings.Contains(q[len(prefix):], "/") {
			out = append(out, q[len(prefix):])
		}
	}
	sort.Strings(out)
	return out
}

func copyNodes(m map[string]*node) map[string]*node {
	out := make(map[string]*node, len(m))
	for k, n := range m {
		c := *n
		out[k] = &c
	}
	return out
}

// handle performs one request and returns the reply or an error name,
// and the watch events to send after the reply.
func (s *Server) handle(c *sconn, typ xswire.XsdSockmsgType, txID uint32, payload []byte) ([]byte, string, []func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := view{s: s, nodes: s.nodes}
	if txID != 0 {
		t := s.txs[txID]
		if t == nil || t.conn != c {
			return nil, "ENOENT", nil
		}
		v = view{s: s, nodes: t.nodes, t: t}
	}
	f := fields(payload)
	ok := []byte("OK\x00")
	var changed []string
	apply := func(op func(view) []string) {
		changed = op(v)
		if v.t != nil {
			v.t.ops = append(v.t.ops, func() { op(view{s: s, nodes: s.nodes}) })
			changed = nil // watches fire on commit
		}
	}
	switch typ {
	case xswire.XS_READ:
		n := v.get(canon(f[0]))
		if n == nil {
			return nil, "ENOENT", nil
		}
		return append([]byte(nil), n.value...), "", nil
	case xswire.XS_WRITE:
		i := strings.IndexByte(string(payload), 0)
		if i < 0 {
			return nil, "EINVAL", nil
		}
		p, val := canon(string(payload[:i])), append([]byte(nil), payload[i+1:]...)
		apply(func(v view) []string { return v.set(p, val) })
		return ok, "", s.fire(changed)
	case xswire.XS_MKDIR:
		p := canon(f[0])
		if v.get(p) != nil {
			return ok, "", nil
		}
		apply(func(v view) []string { return v.set(p, nil) })
		return ok, "", s.fire(changed)
	case xswire.XS_RM:
		p := canon(f[0])
		if v.get(p) == nil {
			if v.get(parent(p)) == nil {
				return nil, "ENOENT", nil
			}
			return ok, "", nil
		}
		if p == "/" {
			return nil, "EINVAL", nil
		}
		apply(func(v view) []string { return v.rm(p) })
		return ok, "", s.fire(changed)
	case xswire.XS_DIRECTORY:
		p := canon(f[0])
		if v.get(p) == nil {
			return nil, "ENOENT", nil
		}
		var b []byte
		for _, ch := range v.children(p) {
			b = append(append(b, ch...), 0)
		}
		return b, "", nil
	case xswire.XS_GET_PERMS:
		n := v.get(canon(f[0]))
		if n == nil {
			return nil, "ENOENT", nil
		}
		var b []byte
		for _, pm := range n.perms {
			b = append(append(b, pm.String()...), 0)
		}
		return b, "", nil
	case xswire.XS_SET_PERMS:
		p := canon(f[0])
		if v.get(p) == nil {
			return nil, "ENOENT", nil
		}
		var ps []xenstore.Perm
		for _, x := range f[1:] {
			pm, err := xenstore.ParsePerm(x)
			if err != nil {
				return nil, "EINVAL", nil
			}
			ps = append(ps, pm)
		}
		if len(ps) == 0 {
			return nil, "EINVAL", nil
		}
		apply(func(v view) []string {
			if n := v.nodes[p]; n != nil {
				v.s.gen++
				n.perms, n.gen = ps, v.s.gen
			}
			return []string{p}
		})
		return ok, "", s.fire(changed)
	case xswire.XS_WATCH:
		if len(f) < 2 {
			return nil, "EINVAL", nil
		}
		w := [2]string{f[0], f[1]}
		c.watches = append(c.watches, w)
		return ok, "", []func(){func() { c.send(xswire.XS_WATCH_EVENT, 0, 0, []byte(w[0]+"\x00"+w[1]+"\x00")) }}
	case xswire.XS_UNWATCH:
		for i, w := range c.watches {
			if len(f) >= 2 && w == [2]string{f[0], f[1]} {
				c.watches = append(c.watches[:i], c.watches[i+1:]...)
				return ok, "", nil
			}
		}
		return nil, "ENOENT", nil
	case xswire.XS_TRANSACTION_START:
		s.nextTx++
		s.txs[s.nextTx] = &tx{nodes: copyNodes(s.nodes), seen: map[string]uint64{}, conn: c}
		return []byte(strconv.FormatUint(uint64(s.nextTx), 10) + "\x00"), "", nil
	case xswire.XS_TRANSACTION_END:
		t := v.t
		if t == nil {
			return nil, "EINVAL", nil
		}
		delete(s.txs, txID)
		if f[0] != "T" {
			return ok, "", nil
		}
		for p, g := range t.seen {
			var now uint64
			if n := s.nodes[p]; n != nil {
				now = n.gen
			}
			if now != g {
				s.aborts++
				return nil, "EAGAIN", nil
			}
		}
		var all []string
		for _, op := range t.ops {
			before := copyNodes(s.nodes)
			op()
			for p, n := range s.nodes {
				if b := before[p]; b == nil || b.gen != n.gen {
					all = append(all, p)
				}
			}
			for p := range before {
				if s.nodes[p] == nil {
					all = append(all, p)
				}
			}
		}
		s.commits++
		return ok, "", s.fire(all)
	}
	return nil, "ENOSYS", nil
}

// fire returns the events of the watches of every connection that the
// changed paths trigger. s.mu is held.
func (s *Server) fire(changed []string) []func() {
	var out []func()
	for c := range s.conns {
		for _, w := range c.watches {
			wp := canon(w[0])
			for _, p := range changed {
				if p == wp || strings.HasPrefix(p, wp+"/") || wp == "/" {
					c, ev := c, []byte(p+"\x00"+w[1]+"\x00")
					out = append(out, func() { c.send(xswire.XS_WATCH_EVENT, 0, 0, ev) })
				}
			}
		}
	}
	return out
}
