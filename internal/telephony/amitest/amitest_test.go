package amitest

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"
)

// client is a bare AMI client on textproto, enough to drive the peer.
type client struct {
	t  *testing.T
	c  net.Conn
	r  *textproto.Reader
	id int
}

func dial(t *testing.T, s *Server) *client {
	t.Helper()
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	cl := &client{t: t, c: c, r: textproto.NewReader(bufio.NewReader(c))}
	if line, err := cl.r.ReadLine(); err != nil || line != Banner {
		t.Fatalf("banner %q, %v", line, err)
	}
	return cl
}

func (cl *client) action(kv ...string) string {
	cl.t.Helper()
	cl.id++
	id := fmt.Sprint("a", cl.id)
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		b.WriteString(kv[i] + ": " + kv[i+1] + "\r\n")
	}
	b.WriteString("ActionID: " + id + "\r\n\r\n")
	if _, err := cl.c.Write([]byte(b.String())); err != nil {
		cl.t.Fatal(err)
	}
	return id
}

// read waits long for a message: under -race with other packages testing
// on both cores a peer may be descheduled for seconds; a lost message still
// fails.
func (cl *client) read() textproto.MIMEHeader {
	cl.t.Helper()
	cl.c.SetReadDeadline(time.Now().Add(30 * time.Second))
	h, err := cl.r.ReadMIMEHeader()
	if err != nil {
		cl.t.Fatal(err)
	}
	return h
}

func (cl *client) login(user, secret string) textproto.MIMEHeader {
	cl.t.Helper()
	id := cl.action("Action", "Login", "Username", user, "Secret", secret)
	h := cl.read()
	if h.Get("Actionid") != id {
		cl.t.Fatalf("login answer %v", h)
	}
	return h
}

func TestLoginSendAndErrors(t *testing.T) {
	s := New(t, "okno", "s3cret")
	if err := s.Send(Call{ID: "1.1"}.Arrive()...); !errors.Is(err, ErrNotLoggedIn) {
		t.Fatalf("Send before login: %v", err)
	}
	if err := s.WaitLogin(20 * time.Millisecond); err == nil {
		t.Fatal("WaitLogin returned nil with nobody logged in")
	}

	bad := dial(t, s)
	if h := bad.login("okno", "wrong"); h.Get("Response") != "Error" {
		t.Fatalf("wrong secret answered %v", h)
	}
	if err := s.Send("Event: X"); !errors.Is(err, ErrNotLoggedIn) {
		t.Fatalf("Send after a refused login: %v", err)
	}

	cl := dial(t, s)
	cl.action("Action", "CoreShowChannels")
	if h := cl.read(); h.Get("Response") != "Error" || h.Get("Message") != "Permission denied" {
		t.Fatalf("action before login: %v", h)
	}
	if h := cl.login("okno", "s3cret"); h.Get("Response") != "Success" {
		t.Fatalf("login: %v", h)
	}
	if h := cl.read(); h.Get("Event") != "FullyBooted" {
		t.Fatalf("after login: %v", h)
	}
	if err := s.WaitLogin(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if err := s.WaitListed(20 * time.Millisecond); err == nil {
		t.Fatal("WaitListed returned nil before any CoreShowChannels")
	}
	if n := s.LoginCount(); n != 1 {
		t.Fatalf("LoginCount = %d", n)
	}

	// LF or CRLF, with or without surrounding line breaks: one message each.
	if err := s.Send("\nEvent: A\nUniqueid: 1\n", "Event: B\r\nUniqueid: 2\r\n", "Event: C"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"A", "B", "C"} {
		if h := cl.read(); h.Get("Event") != want {
			t.Fatalf("got %v, want event %s", h, want)
		}
	}

	c := Call{ID: "1700000000.7", Caller: "79161234567", Line: "74951112233", Extension: "101",
		Start: time.Unix(1700000000, 0), Answer: time.Unix(1700000010, 0)}
	s.SetChannels(c.Channels(time.Unix(1700000030, 0))...)
	id := cl.action("Action", "CoreShowChannels")
	if h := cl.read(); h.Get("Response") != "Success" || h.Get("Eventlist") != "start" {
		t.Fatalf("list answer %v", h)
	}
	for _, uid := range []string{"1700000000.7", "1700000000.8"} {
		h := cl.read()
		if h.Get("Event") != "CoreShowChannel" || h.Get("Actionid") != id || h.Get("Uniqueid") != uid || h.Get("Linkedid") != c.ID ||
			h.Get("Channelstate") != "6" || h.Get("Bridgeid") == "" {
			t.Fatalf("listed channel %v", h)
		}
	}
	if h := cl.read(); h.Get("Event") != "CoreShowChannelsComplete" || h.Get("Listitems") != "2" {
		t.Fatalf("list end %v", h)
	}
	if err := s.WaitListed(5 * time.Second); err != nil {
		t.Fatal(err)
	}

	s.Drop()
	if err := s.Send("Event: D"); !errors.Is(err, ErrNotLoggedIn) {
		t.Fatalf("Send after Drop: %v", err)
	}
	if _, err := cl.r.ReadMIMEHeader(); err == nil {
		t.Fatal("the dropped connection is still open")
	}
}

// Blocks sent from many goroutines at once arrive whole, none lost.
func TestSendConcurrent(t *testing.T) {
	s := New(t, "okno", "s3cret")
	cl := dial(t, s)
	cl.login("okno", "s3cret")
	cl.read() // FullyBooted
	const senders, calls = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, senders)
	for g := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range calls {
				c := Call{ID: fmt.Sprintf("17000%05d.%d", g, i*2), Caller: "79160000000", Line: "74950000000", Extension: "101", Start: time.Unix(1700000000, 0), CDR: true}
				if err := s.Send(c.Answered()...); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	n := len(Call{ID: "1.2", Extension: "101", Start: time.Unix(1, 0), CDR: true}.Answered())
	seen := map[string]int{}
	for range senders * calls * n {
		h := cl.read()
		if h.Get("Event") == "" {
			t.Fatalf("a message without Event: %v", h)
		}
		if l := h.Get("Linkedid"); l != "" {
			seen[l]++
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(seen) != senders*calls {
		t.Fatalf("%d calls seen, want %d", len(seen), senders*calls)
	}
	for id, k := range seen {
		if k != n-3 { // all but BridgeCreate, BridgeDestroy and Cdr, which name no channel's Linkedid
			t.Fatalf("call %s: %d messages with its Linkedid, want %d", id, k, n-3)
		}
	}
}

// The builders use the AMI documentation's field names, in Asterisk's order
// of events, with the call's ids and times.
func TestCallSequences(t *testing.T) {
	start := time.Date(2026, 11, 24, 5, 0, 0, 250_000_000, time.UTC)
	c := Call{ID: "1764000000.40", Caller: "79123456701", Line: "73432000000", Extension: "101",
		Start: start, Answer: start.Add(8 * time.Second), End: start.Add(68 * time.Second), CDR: true}
	parse := func(blocks []string) []textproto.MIMEHeader {
		var out []textproto.MIMEHeader
		for _, b := range blocks {
			if !strings.HasSuffix(b, "\r\n\r\n") || strings.Count(b, "\r\n\r\n") != 1 {
				t.Fatalf("block not one CRLF message: %q", b)
			}
			h, err := textproto.NewReader(bufio.NewReader(strings.NewReader(b))).ReadMIMEHeader()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, h)
		}
		return out
	}
	events := func(hs []textproto.MIMEHeader) string {
		var names []string
		for _, h := range hs {
			names = append(names, h.Get("Event"))
		}
		return strings.Join(names, " ")
	}

	a := parse(c.Answered())
	if got, want := events(a), "Newchannel Newchannel DialBegin Newstate Newstate DialEnd Newstate BridgeCreate BridgeEnter BridgeEnter BridgeLeave Hangup BridgeLeave BridgeDestroy Hangup Cdr"; got != want {
		t.Fatalf("answered:\n got %s\nwant %s", got, want)
	}
	if a[0].Get("Timestamp") != "1795496400.250000" || a[0].Get("Uniqueid") != c.ID || a[0].Get("Linkedid") != c.ID ||
		a[0].Get("Calleridnum") != c.Caller || a[0].Get("Exten") != c.Line || a[0].Get("Channel") != "PJSIP/trunk-00000028" {
		t.Fatalf("trunk Newchannel %v", a[0])
	}
	begin := a[2]
	if begin.Get("Destchannel") != "PJSIP/101-00000029" || begin.Get("Destcalleridnum") != "101" || begin.Get("Destuniqueid") != "1764000000.41" ||
		begin.Get("Destlinkedid") != c.ID || begin.Get("Dialstring") != "101" || begin.Get("Timestamp") != "1795496401.250000" {
		t.Fatalf("DialBegin %v", begin)
	}
	if end := a[5]; end.Get("Dialstatus") != "ANSWER" || end.Get("Timestamp") != "1795496408.250000" {
		t.Fatalf("DialEnd %v", end)
	}
	if e := a[9]; e.Get("Bridgenumchannels") != "2" || e.Get("Uniqueid") != "1764000000.41" || e.Get("Bridgeuniqueid") != a[8].Get("Bridgeuniqueid") {
		t.Fatalf("second BridgeEnter %v", e)
	}
	if h := a[14]; h.Get("Uniqueid") != c.ID || h.Get("Cause") != "16" || h.Get("Cause-Txt") != "Normal Clearing" || h.Get("Timestamp") != "1795496468.250000" {
		t.Fatalf("caller's Hangup %v", h)
	}
	if cdr := a[15]; cdr.Get("Uniqueid") != c.ID || cdr.Get("Disposition") != "ANSWERED" || cdr.Get("Billableseconds") != "60" ||
		cdr.Get("Duration") != "68" || cdr.Get("Starttime") != "2026-11-24 05:00:00" {
		t.Fatalf("Cdr %v", cdr)
	}

	m := parse(c.Missed("NOANSWER"))
	if got, want := events(m), "Newchannel Newchannel DialBegin Newstate DialEnd Hangup Hangup Cdr"; got != want {
		t.Fatalf("missed: %s", got)
	}
	if m[4].Get("Dialstatus") != "NOANSWER" || m[5].Get("Uniqueid") != "1764000000.41" || m[6].Get("Uniqueid") != c.ID || m[7].Get("Disposition") != "NO ANSWER" {
		t.Fatalf("missed call %v", m)
	}

	q := parse(Call{ID: c.ID, Caller: c.Caller, Line: c.Line, Start: start, Queue: "reception"}.Abandoned())
	if got, want := events(q), "Newchannel Newstate QueueCallerJoin QueueCallerAbandon QueueCallerLeave Hangup"; got != want {
		t.Fatalf("abandoned: %s", got)
	}
	if q[3].Get("Queue") != "reception" || q[3].Get("Linkedid") != c.ID || q[3].Get("Holdtime") != "20" {
		t.Fatalf("QueueCallerAbandon %v", q[3])
	}

	// Without a Start the events carry no Timestamp (timestampevents=no).
	for _, h := range parse(Call{ID: "9.1", Extension: "101"}.Answered()) {
		if _, ok := h["Timestamp"]; ok {
			t.Fatalf("unstamped call has a Timestamp: %v", h)
		}
	}

	ringing := c.Channels(start.Add(3 * time.Second))
	if len(ringing) != 2 || !strings.Contains(ringing[1], "ChannelState: 5\r\n") || !strings.Contains(ringing[0], "BridgeId: \r\n") ||
		!strings.Contains(ringing[0], "Duration: 00:00:03\r\n") {
		t.Fatalf("ringing channels %q", ringing)
	}
}

func BenchmarkSend(b *testing.B) {
	s := New(b, "okno", "s3cret")
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	if _, err := r.ReadString('\n'); err != nil {
		b.Fatal(err)
	}
	if _, err := c.Write([]byte("Action: Login\r\nUsername: okno\r\nSecret: s3cret\r\n\r\n")); err != nil {
		b.Fatal(err)
	}
	if err := s.WaitLogin(5 * time.Second); err != nil {
		b.Fatal(err)
	}
	go func() { _, _ = r.WriteTo(discard{}) }()
	blocks := Call{ID: "1700000000.1", Caller: "79161234567", Line: "74951112233", Extension: "101", Start: time.Unix(1700000000, 0)}.Answered()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := s.Send(blocks...); err != nil {
			b.Fatal(err)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
