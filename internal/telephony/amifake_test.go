package telephony

import (
	"bufio"
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
)

// fakeAMI is an AMI peer written from the AMI documentation: banner, Login,
// events, CoreShowChannels as an event list, Originate (Async), Logoff. It
// parses with net/textproto, not with the client's reader.
type fakeAMI struct {
	t            *testing.T
	ln           net.Listener
	user, secret string

	mu       sync.Mutex
	cur      *fakeConn // the logged-in connection
	channels []string  // CoreShowChannel bodies (without Event/ActionID)
	logins   int
	actions  chan textproto.MIMEHeader
	onLogin  chan struct{}
	listed   chan struct{} // a CoreShowChannels list was written
}

func newFakeAMI(t *testing.T, user, secret string) *fakeAMI {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeAMI{t: t, ln: ln, user: user, secret: secret, actions: make(chan textproto.MIMEHeader, 64), onLogin: make(chan struct{}, 16), listed: make(chan struct{}, 16)}
	go f.accept()
	t.Cleanup(func() { ln.Close(); f.drop() })
	return f
}

func (f *fakeAMI) addr() string { return f.ln.Addr().String() }

func (f *fakeAMI) accept() {
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		go f.serve(c)
	}
}

type fakeConn struct {
	c  net.Conn
	mu sync.Mutex
	w  *bufio.Writer
}

func (fc *fakeConn) write(s string) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	fc.w.WriteString(s)
	fc.w.Flush()
}

func (f *fakeAMI) serve(c net.Conn) {
	defer c.Close()
	fc := &fakeConn{c: c, w: bufio.NewWriter(c)}
	write := fc.write
	write("Asterisk Call Manager/9.0.0\r\n")
	r := textproto.NewReader(bufio.NewReader(c))
	authed := false
	for {
		h, err := r.ReadMIMEHeader()
		if err != nil {
			return
		}
		id := h.Get("Actionid")
		f.actions <- h
		switch strings.ToLower(h.Get("Action")) {
		case "login":
			if h.Get("Username") != f.user || h.Get("Secret") != f.secret {
				write("Response: Error\r\nActionID: " + id + "\r\nMessage: Authentication failed\r\n\r\n")
				return
			}
			authed = true
			write("Response: Success\r\nActionID: " + id + "\r\nMessage: Authentication accepted\r\n\r\n")
			write("Event: FullyBooted\r\nPrivilege: system,all\r\nUptime: 15\r\nLastReload: 15\r\nStatus: Fully Booted\r\n\r\n")
			f.mu.Lock()
			f.cur, f.logins = fc, f.logins+1
			f.mu.Unlock()
			f.onLogin <- struct{}{}
		case "coreshowchannels":
			if !authed {
				write("Response: Error\r\nActionID: " + id + "\r\nMessage: Permission denied\r\n\r\n")
				continue
			}
			f.mu.Lock()
			chans := append([]string(nil), f.channels...)
			f.mu.Unlock()
			var b strings.Builder
			b.WriteString("Response: Success\r\nActionID: " + id + "\r\nEventList: start\r\nMessage: Channels will follow\r\n\r\n")
			for _, ch := range chans {
				b.WriteString("Event: CoreShowChannel\r\nActionID: " + id + "\r\n" + ch + "\r\n")
			}
			fmt.Fprintf(&b, "Event: CoreShowChannelsComplete\r\nActionID: %s\r\nEventList: Complete\r\nListItems: %d\r\n\r\n", id, len(chans))
			write(b.String())
			f.listed <- struct{}{}
		case "originate":
			if !authed {
				write("Response: Error\r\nActionID: " + id + "\r\nMessage: Permission denied\r\n\r\n")
				continue
			}
			write("Response: Success\r\nActionID: " + id + "\r\nMessage: Originate successfully queued\r\n\r\n")
			write("Event: OriginateResponse\r\nPrivilege: call,all\r\nActionID: " + id + "\r\nResponse: Success\r\nChannel: " + h.Get("Channel") +
				"\r\nContext: " + h.Get("Context") + "\r\nExten: " + h.Get("Exten") + "\r\nReason: 4\r\nUniqueid: 1700000100.9\r\nCallerIDNum: <unknown>\r\nCallerIDName: <unknown>\r\n\r\n")
		case "logoff":
			write("Response: Goodbye\r\nActionID: " + id + "\r\nMessage: Thanks for all the fish.\r\n\r\n")
			return
		default:
			write("Response: Error\r\nActionID: " + id + "\r\nMessage: Invalid/unknown command\r\n\r\n")
		}
	}
}

// send writes raw event blocks ("Key: Value" lines, blank line after each)
// to the logged-in connection.
func (f *fakeAMI) send(blocks ...string) {
	f.mu.Lock()
	fc := f.cur
	f.mu.Unlock()
	if fc == nil {
		f.t.Fatal("fake AMI: no logged-in connection")
	}
	var b strings.Builder
	for _, blk := range blocks {
		b.WriteString(strings.ReplaceAll(strings.TrimLeft(blk, "\n"), "\n", "\r\n") + "\r\n")
	}
	fc.write(b.String())
}

// drop closes the logged-in connection, as a PBX restart or a network cut.
func (f *fakeAMI) drop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cur != nil {
		f.cur.c.Close()
		f.cur = nil
	}
}

func (f *fakeAMI) setChannels(chans ...string) {
	f.mu.Lock()
	f.channels = chans
	f.mu.Unlock()
}
