// Package amitest is an Asterisk Manager Interface peer for tests and
// benchmarks. It is written from the AMI documentation, not from Okno's
// client: a banner, Login, events, CoreShowChannels answered as an event
// list, Originate (Async) and Logoff. It reads actions with net/textproto
// rather than with the client's reader, so the two cannot share a misreading.
//
// Call (calls.go) writes the event blocks Asterisk 18 and later send for an
// answered, a missed and an abandoned inbound call, with the field names of
// the AMI documentation.
package amitest

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// ErrNotLoggedIn is what Send returns while no connection is logged in.
var ErrNotLoggedIn = errors.New("amitest: no logged-in AMI connection")

// Banner is the first line the peer writes on a new connection.
const Banner = "Asterisk Call Manager/9.0.0"

// observed is how many unread actions, logins and lists the channels keep;
// beyond that the peer drops the observation rather than stall a client
// whose test does not read them.
const observed = 256

// writeTimeout bounds one write to a client that has stopped reading.
const writeTimeout = 10 * time.Second

// Server is a fake Asterisk listening on 127.0.0.1. Its methods are safe for
// concurrent use.
type Server struct {
	ln           net.Listener
	user, secret string

	// cur is the logged-in connection Send writes to. It changes under mu
	// (so that waiters see it with its listed flag) but is read without it,
	// which keeps Send to one atomic load and one write.
	cur atomic.Pointer[conn]

	mu       sync.Mutex
	conns    map[*conn]struct{}
	channels []string // CoreShowChannel bodies, CRLF-terminated lines
	logins   int
	changed  chan struct{} // closed (and replaced) when cur or its listing changes
	closed   bool

	actions chan textproto.MIMEHeader
	loginC  chan struct{}
	listC   chan struct{}
	wg      sync.WaitGroup
}

type conn struct {
	c      net.Conn
	wmu    sync.Mutex // responses and Send write whole messages, one at a time
	listed bool       // a CoreShowChannels was answered on it; guarded by Server.mu
}

func (c *conn) write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.c.SetWriteDeadline(time.Now().Add(writeTimeout))
	_, err := c.c.Write(b)
	return err
}

// New starts a peer that accepts user and secret; tb's cleanup stops it and
// closes its connections.
func New(tb testing.TB, user, secret string) *Server {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s := &Server{ln: ln, user: user, secret: secret, conns: map[*conn]struct{}{}, changed: make(chan struct{}),
		actions: make(chan textproto.MIMEHeader, observed), loginC: make(chan struct{}, observed), listC: make(chan struct{}, observed)}
	s.wg.Add(1)
	go s.accept()
	tb.Cleanup(s.close)
	return s
}

// Addr is the host:port the peer listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Actions delivers every action the peer reads, Login included, keys in
// canonical MIME form (ActionID is "Actionid"). Like Logins and Lists it
// holds up to 256 unread; later ones are dropped, so that a test that does
// not read them never stalls the peer.
func (s *Server) Actions() <-chan textproto.MIMEHeader { return s.actions }

// Logins receives a value each time a Login is accepted.
func (s *Server) Logins() <-chan struct{} { return s.loginC }

// Lists receives a value each time a CoreShowChannels list has been written.
func (s *Server) Lists() <-chan struct{} { return s.listC }

// LoginCount is how many Logins the peer has accepted.
func (s *Server) LoginCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins
}

// WaitLogin waits until a connection is logged in (at once if one is).
func (s *Server) WaitLogin(timeout time.Duration) error {
	return s.wait(timeout, "login", func(*conn) bool { return true })
}

// WaitListed waits until a connection is logged in and has been answered a
// CoreShowChannels. Wait for this rather than WaitLogin before sending to a
// client that resynchronizes after Login, as Okno's does: an event written
// before the list's answer is older than the list, and a resync ends calls
// the list does not show.
func (s *Server) WaitListed(timeout time.Duration) error {
	return s.wait(timeout, "CoreShowChannels after login", func(c *conn) bool { return c.listed })
}

func (s *Server) wait(timeout time.Duration, what string, ok func(*conn) bool) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		s.mu.Lock()
		c, changed := s.cur.Load(), s.changed
		done := c != nil && ok(c)
		s.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-changed:
		case <-t.C:
			return fmt.Errorf("amitest: no %s within %v", what, timeout)
		}
	}
}

// notify wakes the waiters; s.mu must be held.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// SetChannels sets what CoreShowChannels lists from now on: one body per
// channel, "Key: Value" lines (LF or CRLF) without Event and ActionID, such
// as Call.Channels writes.
func (s *Server) SetChannels(bodies ...string) {
	norm := make([]string, 0, len(bodies))
	for _, b := range bodies {
		if blk := appendBlock(nil, b); len(blk) > 0 {
			norm = append(norm, string(blk[:len(blk)-2])) // without the blank line
		}
	}
	s.mu.Lock()
	s.channels = norm
	s.mu.Unlock()
}

// Drop closes the logged-in connection, as a PBX restart or a network cut
// does; the client is expected to reconnect.
func (s *Server) Drop() {
	s.mu.Lock()
	c := s.cur.Swap(nil)
	s.notify()
	s.mu.Unlock()
	if c != nil {
		c.c.Close()
	}
}

var bufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// Send writes event blocks to the logged-in connection in one write, so
// that blocks sent from several goroutines never interleave. A block is
// "Key: Value" lines separated by LF or CRLF; leading and trailing line
// breaks are ignored and the blank line that ends an AMI message is added.
// It returns ErrNotLoggedIn when no connection is logged in.
func (s *Server) Send(blocks ...string) error {
	c := s.cur.Load()
	if c == nil {
		return ErrNotLoggedIn
	}
	bp := bufs.Get().(*[]byte)
	b := (*bp)[:0]
	for _, blk := range blocks {
		b = appendBlock(b, blk)
	}
	err := c.write(b)
	if cap(b) <= 1<<20 { // don't keep a rare huge burst's buffer alive
		*bp = b[:0]
		bufs.Put(bp)
	}
	if err != nil {
		return fmt.Errorf("amitest: send: %w", err)
	}
	return nil
}

// appendBlock appends one message with CRLF line ends and its closing blank
// line; an empty block appends nothing.
func appendBlock(b []byte, blk string) []byte {
	blk = strings.Trim(blk, "\r\n")
	if blk == "" {
		return b
	}
	for blk != "" {
		line := blk
		blk = ""
		if i := strings.IndexByte(line, '\n'); i >= 0 {
			line, blk = line[:i], line[i+1:]
		}
		b = append(b, strings.TrimSuffix(line, "\r")...)
		b = append(b, '\r', '\n')
	}
	return append(b, '\r', '\n')
}

func (s *Server) close() {
	s.ln.Close()
	s.mu.Lock()
	s.closed = true
	s.cur.Store(nil)
	for c := range s.conns {
		c.c.Close()
	}
	s.notify()
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		c := &conn{c: nc}
		s.mu.Lock()
		if s.closed { // accepted while close ran: close did not see it
			s.mu.Unlock()
			nc.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serve(c)
	}
}

func observe[T any](ch chan T, v T) {
	select {
	case ch <- v:
	default:
	}
}

func (s *Server) serve(c *conn) {
	defer s.wg.Done()
	defer func() {
		c.c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		if s.cur.CompareAndSwap(c, nil) {
			s.notify()
		}
		s.mu.Unlock()
	}()
	reply := func(msg string) bool { return c.write([]byte(msg)) == nil }
	if !reply(Banner + "\r\n") {
		return
	}
	r := textproto.NewReader(bufio.NewReader(c.c))
	authed := false
	for {
		h, err := r.ReadMIMEHeader()
		if err != nil {
			return
		}
		observe(s.actions, h)
		id := h.Get("Actionid")
		refuse := func(msg string) bool {
			return reply("Response: Error\r\nActionID: " + id + "\r\nMessage: " + msg + "\r\n\r\n")
		}
		action := strings.ToLower(h.Get("Action"))
		if !authed && action != "login" && action != "logoff" {
			if !refuse("Permission denied") {
				return
			}
			continue
		}
		switch action {
		case "login":
			if h.Get("Username") != s.user || h.Get("Secret") != s.secret {
				refuse("Authentication failed")
				return // Asterisk closes the connection after a failed login
			}
			authed = true
			if !reply("Response: Success\r\nActionID: " + id + "\r\nMessage: Authentication accepted\r\n\r\n" +
				"Event: FullyBooted\r\nPrivilege: system,all\r\nUptime: 15\r\nLastReload: 15\r\nStatus: Fully Booted\r\n\r\n") {
				return
			}
			s.mu.Lock()
			s.cur.Store(c)
			s.logins++
			s.notify()
			s.mu.Unlock()
			observe(s.loginC, struct{}{})
		case "coreshowchannels":
			s.mu.Lock()
			chans := s.channels
			s.mu.Unlock()
			var b strings.Builder
			b.WriteString("Response: Success\r\nActionID: " + id + "\r\nEventList: start\r\nMessage: Channels will follow\r\n\r\n")
			for _, ch := range chans {
				b.WriteString("Event: CoreShowChannel\r\nActionID: " + id + "\r\n" + ch + "\r\n")
			}
			b.WriteString("Event: CoreShowChannelsComplete\r\nActionID: " + id + "\r\nEventList: Complete\r\nListItems: " + strconv.Itoa(len(chans)) + "\r\n\r\n")
			if !reply(b.String()) {
				return
			}
			s.mu.Lock()
			if !c.listed {
				c.listed = true
				if s.cur.Load() == c {
					s.notify()
				}
			}
			s.mu.Unlock()
			observe(s.listC, struct{}{})
		case "originate":
			if !reply("Response: Success\r\nActionID: " + id + "\r\nMessage: Originate successfully queued\r\n\r\n" +
				"Event: OriginateResponse\r\nPrivilege: call,all\r\nActionID: " + id + "\r\nResponse: Success\r\nChannel: " + h.Get("Channel") +
				"\r\nContext: " + h.Get("Context") + "\r\nExten: " + h.Get("Exten") + "\r\nReason: 4\r\nUniqueid: 1700000100.9\r\nCallerIDNum: <unknown>\r\nCallerIDName: <unknown>\r\n\r\n") {
				return
			}
		case "logoff":
			reply("Response: Goodbye\r\nActionID: " + id + "\r\nMessage: Thanks for all the fish.\r\n\r\n")
			return
		default:
			if !refuse("Invalid/unknown command") {
				return
			}
		}
	}
}
