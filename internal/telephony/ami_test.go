package telephony

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/okno-crm/okno/internal/telephony/amitest"
)

type amiHarness struct {
	t      *testing.T
	srv    *amitest.Server
	client *AMIClient
	events chan Event
	done   chan error
}

func startAMI(t *testing.T, secret string) *amiHarness {
	h := &amiHarness{t: t, srv: amitest.New(t, "okno", "s3cret"), events: make(chan Event, 64), done: make(chan error, 1)}
	h.client = NewAMIClient(AMIConfig{Addr: h.srv.Addr(), Username: "okno", Secret: secret,
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond,
		OnEvent: func(e Event) { h.events <- e },
		Now:     func() time.Time { return time.Unix(1700000500, 0) }})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); <-h.done })
	go func() { h.done <- h.client.Run(ctx) }()
	return h
}

// loggedIn waits for the login and the channel list that follows it: a
// real AMI lists the channels as of the action, and the test's script must
// not race ahead of that snapshot.
func (h *amiHarness) loggedIn() {
	h.t.Helper()
	if err := h.srv.WaitListed(5 * time.Second); err != nil {
		h.t.Fatal(err)
	}
}

func (h *amiHarness) send(blocks ...string) {
	h.t.Helper()
	if err := h.srv.Send(blocks...); err != nil {
		h.t.Fatal(err)
	}
}

func (h *amiHarness) next() Event {
	h.t.Helper()
	select {
	case e := <-h.events:
		if err := e.Validate(); err != nil {
			h.t.Fatalf("invalid event %+v: %v", e, err)
		}
		return e
	case <-time.After(5 * time.Second):
		h.t.Fatal("no event")
	}
	return Event{}
}

func (h *amiHarness) expect(typ, callID, ext, result string) Event {
	h.t.Helper()
	e := h.next()
	if e.Type != typ || e.CallID != callID || e.Extension != ext || e.Result != result {
		h.t.Fatalf("got %s %s ext=%q result=%q, want %s %s ext=%q result=%q", e.Type, e.CallID, e.Extension, e.Result, typ, callID, ext, result)
	}
	return e
}

func (h *amiHarness) quiet() {
	h.t.Helper()
	select {
	case e := <-h.events:
		h.t.Fatalf("unexpected event %+v", e)
	case <-time.After(100 * time.Millisecond):
	}
}

// inbound is a call from 79161234567 to the clinic's 74951112233.
func inbound(id, ext string, start time.Time) amitest.Call {
	return amitest.Call{ID: id, Caller: "79161234567", Line: "74951112233", Extension: ext, Start: start}
}

func concat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// hangup is a bare Hangup of one channel of a call, for legs the builders
// do not write (a transfer's).
func hangup(id, uid string, ts string) string {
	return "\nEvent: Hangup\nChannel: PJSIP/x\nUniqueid: " + uid + "\nLinkedid: " + id + "\nCause: 16\nCause-txt: Normal Clearing\nTimestamp: " + ts + "\n"
}

func TestAMILoginFailure(t *testing.T) {
	h := startAMI(t, "wrong")
	select {
	case err := <-h.done:
		if !errors.Is(err, ErrAMIAuth) {
			t.Fatalf("Run = %v, want ErrAMIAuth", err)
		}
		h.done <- err // for Cleanup
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not give up on refused credentials")
	}
	login := <-h.srv.Actions()
	if login.Get("Action") != "Login" || login.Get("Username") != "okno" || login.Get("Actionid") == "" {
		t.Fatalf("login action = %v", login)
	}
	if _, err := h.client.Originate(context.Background(), OriginateRequest{Channel: "PJSIP/101", Exten: "1", Context: "c"}); !errors.Is(err, ErrAMINotConnected) {
		t.Fatalf("Originate while not connected: %v", err)
	}
}

func TestAMIAnsweredAndMissedCalls(t *testing.T) {
	h := startAMI(t, "s3cret")
	h.loggedIn()
	a := inbound("1700000000.1", "101", time.Unix(1700000000, 100000))
	a.Ring, a.Answer, a.End, a.CDR = time.Unix(1700000001, 0), time.Unix(1700000010, 0), time.Unix(1700000100, 500_000_000), true
	h.send(a.Answered()...)
	e := h.expect(TypeStarted, a.ID, "", "")
	if e.Direction != Inbound || e.From != "79161234567" || e.To != "74951112233" || !e.At.Equal(time.Unix(1700000000, 100000).UTC()) {
		t.Fatalf("started = %+v", e)
	}
	h.expect(TypeRinging, a.ID, "101", "")
	h.expect(TypeAnswered, a.ID, "101", "")
	e = h.expect(TypeEnded, a.ID, "", ResultAnswered)
	if e.Duration != 90500*time.Millisecond {
		t.Fatalf("duration = %v", e.Duration)
	}
	// The CDR after the Hangup adds nothing.
	h.quiet()

	// Missed: a ring group rings 101 and 102, nobody answers, the caller
	// hangs up.
	m := inbound("1700000200.5", "101", time.Unix(1700000200, 0))
	m.End = time.Unix(1700000230, 0)
	m102 := m
	m102.Extension, m102.LegID = "102", "1700000200.7"
	h.send(concat(m.Arrive(), m.Dial())...)
	h.expect(TypeStarted, m.ID, "", "")
	h.expect(TypeRinging, m.ID, "101", "")
	h.send(m102.Dial()...)
	h.expect(TypeRinging, m.ID, "102", "")
	h.send("\nEvent: DialEnd\nChannel: PJSIP/trunk-00000005\nUniqueid: 1700000200.5\nLinkedid: 1700000200.5\nDestChannel: PJSIP/102-00000006\nDestCallerIDNum: 102\nDestUniqueid: 1700000200.7\nDialStatus: CANCEL\n",
		hangup(m.ID, "1700000200.7", "1700000230"))
	h.send(m.Unanswered("CANCEL")...)
	e = h.expect(TypeEnded, m.ID, "", ResultMissed)
	if !e.At.Equal(time.Unix(1700000230, 0)) {
		t.Fatalf("missed call ended at %v", e.At)
	}

	// The Dial to 101 times out.
	n := inbound("1700000250.1", "101", time.Unix(1700000250, 0))
	h.send(n.Missed("NOANSWER")...)
	h.expect(TypeStarted, n.ID, "", "")
	h.expect(TypeRinging, n.ID, "101", "")
	h.expect(TypeEnded, n.ID, "", ResultMissed)

	// Abandoned in a queue: before any member rang, and while 103 rang.
	q := inbound("1700000300.7", "", time.Unix(1700000300, 0))
	h.send(q.Abandoned()...)
	h.expect(TypeStarted, q.ID, "", "")
	h.expect(TypeEnded, q.ID, "", ResultAbandoned)
	q = inbound("1700000350.1", "103", time.Unix(1700000350, 0))
	h.send(q.Abandoned()...)
	h.expect(TypeStarted, q.ID, "", "")
	h.expect(TypeRinging, q.ID, "103", "")
	h.expect(TypeEnded, q.ID, "", ResultAbandoned)
	h.quiet()
}

// A blind transfer as Asterisk reports it: the operator at 101 answers,
// transfers the caller to 102 (BlindTransfer, then a Dial from the
// transferring channel to 102 in the same Linkedid), 102 answers; the call
// ends once, answered, with 102 holding it.
func TestAMITransferredCall(t *testing.T) {
	h := startAMI(t, "s3cret")
	h.loggedIn()
	c := inbound("1700000400.9", "101", time.Unix(1700000000, 0))
	c.Answer = time.Unix(1700000010, 0)
	id, leg := c.ID, "1700000400.10"
	h.send(concat(c.Arrive(), c.Dial(), c.Pickup())...)
	h.expect(TypeStarted, id, "", "")
	h.expect(TypeRinging, id, "101", "")
	h.expect(TypeAnswered, id, "101", "")
	h.send("\nEvent: BlindTransfer\nResult: Success\nTransfererChannel: PJSIP/101-0000000a\nTransfererUniqueid: "+leg+"\nTransfereeChannel: PJSIP/trunk-00000009\nTransfereeUniqueid: "+id+"\nTransfereeLinkedid: "+id+"\nExtension: 102\nContext: from-internal\n",
		"\nEvent: DialBegin\nChannel: PJSIP/trunk-00000009\nUniqueid: "+id+"\nLinkedid: "+id+"\nDestChannel: PJSIP/102-0000000b\nDestCallerIDNum: 102\nDestUniqueid: "+id+"3\nDialString: 102\nTimestamp: 1700000020.000000\n",
		"\nEvent: DialEnd\nChannel: PJSIP/trunk-00000009\nUniqueid: "+id+"\nLinkedid: "+id+"\nDestChannel: PJSIP/102-0000000b\nDestCallerIDNum: 102\nDestUniqueid: "+id+"3\nDialStatus: ANSWER\nTimestamp: 1700000025.000000\n",
		hangup(id, leg, "1700000021"))
	h.expect(TypeRinging, id, "102", "")
	a := h.expect(TypeAnswered, id, "102", "")
	if a.ID == "ami:"+id+":"+TypeAnswered+":101" {
		t.Fatal("the answer at 102 has the id of the answer at 101: it would be dropped as a replay")
	}
	// The transferring operator's leg hung up: the call goes on.
	h.quiet()
	h.send(hangup(id, id+"3", "1700000100"), hangup(id, id, "1700000100"))
	e := h.expect(TypeEnded, id, "", ResultAnswered)
	if e.Duration != 90*time.Second {
		t.Fatalf("duration = %v, want 90 s from the first answer", e.Duration)
	}
}

func TestAMIReconnectResync(t *testing.T) {
	h := startAMI(t, "s3cret")
	h.loggedIn()
	// Two calls in progress: A answered, C ringing.
	a := inbound("1700000000.1", "101", time.Unix(1700000000, 0))
	a.End = time.Unix(1700000600, 0)
	h.send(concat(a.Arrive(), a.Dial(), a.Pickup())...)
	h.expect(TypeStarted, a.ID, "", "")
	h.expect(TypeRinging, a.ID, "101", "")
	h.expect(TypeAnswered, a.ID, "101", "")
	c := inbound("1700000001.3", "101", time.Unix(1700000001, 0))
	h.send(concat(c.Arrive(), c.Dial())...)
	h.expect(TypeStarted, c.ID, "", "")
	h.expect(TypeRinging, c.ID, "101", "")

	// While we are cut off: C ends, A goes on, B starts and is answered by 103.
	now := time.Unix(1700000500, 0) // the client's clock
	b := amitest.Call{ID: "1700000400.9", Caller: "79035550000", Line: "74951112233", Extension: "103",
		Start: now.Add(-30 * time.Second), Ring: now.Add(-25 * time.Second), Answer: now.Add(-20 * time.Second)}
	h.srv.SetChannels(concat(a.Channels(now), b.Channels(now))...)
	h.srv.Drop()
	h.loggedIn()
	got := map[string]Event{}
	for range 3 {
		e := h.next()
		got[e.Type+" "+e.CallID] = e
	}
	if e, ok := got[TypeEnded+" "+c.ID]; !ok || e.Result != ResultMissed {
		t.Fatalf("C not ended as missed: %v", got)
	}
	if e, ok := got[TypeStarted+" "+b.ID]; !ok || e.From != "79035550000" || !e.At.Equal(time.Unix(1700000500-30, 0)) {
		t.Fatalf("B not started: %v", got)
	}
	if e, ok := got[TypeAnswered+" "+b.ID]; !ok || e.Extension != "103" {
		t.Fatalf("B not answered by 103: %v", got)
	}
	h.quiet() // A is neither restarted nor re-answered
	// A's hangup after the reconnect still ends it, answered.
	h.send(a.HangUp()...)
	h.expect(TypeEnded, a.ID, "", ResultAnswered)
	// The resync asked for the channel list with its own ActionID.
	var sawList bool
	for len(h.srv.Actions()) > 0 {
		a := <-h.srv.Actions()
		if a.Get("Action") == "CoreShowChannels" && strings.HasPrefix(a.Get("Actionid"), "okno-") {
			sawList = true
		}
	}
	if !sawList || h.srv.LoginCount() != 2 {
		t.Fatalf("CoreShowChannels sent: %v, logins: %d", sawList, h.srv.LoginCount())
	}
}

func TestAMIOriginate(t *testing.T) {
	h := startAMI(t, "s3cret")
	h.loggedIn()
	for len(h.srv.Actions()) > 0 {
		<-h.srv.Actions()
	}
	var id string
	var err error
	for range 100 { // the session is published just after the fake counts the login
		id, err = h.client.Originate(context.Background(), OriginateRequest{Channel: "PJSIP/101", Exten: "79161234567", Context: "from-internal", CallerID: "Clinic <74951112233>", Timeout: 30 * time.Second})
		if !errors.Is(err, ErrAMINotConnected) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil || id == "" {
		t.Fatalf("Originate = %q, %v", id, err)
	}
	var a map[string][]string
	for a == nil {
		m := <-h.srv.Actions()
		if m.Get("Action") == "Originate" {
			a = m
		}
	}
	want := map[string]string{"Channel": "PJSIP/101", "Exten": "79161234567", "Context": "from-internal", "Priority": "1", "Async": "true", "Callerid": "Clinic <74951112233>", "Timeout": "30000", "Actionid": id}
	for k, v := range want {
		if got := a[k]; len(got) != 1 || got[0] != v {
			t.Errorf("%s = %v, want %q", k, got, v)
		}
	}
	// The click-to-call then appears in the stream as an outbound call.
	h.send("\nEvent: Newchannel\nChannel: PJSIP/101-0000000c\nCallerIDNum: 101\nExten: 79161234567\nContext: from-internal\nUniqueid: 1700000700.1\nLinkedid: 1700000700.1\n")
	e := h.expect(TypeStarted, "1700000700.1", "101", "")
	if e.Direction != Outbound || e.To != "79161234567" {
		t.Fatalf("click-to-call = %+v", e)
	}
	// A number with a line break cannot smuggle another action.
	if _, err := h.client.Originate(context.Background(), OriginateRequest{Channel: "PJSIP/101", Exten: "1\r\nAction: Command", Context: "x"}); err == nil {
		t.Fatal("line break in Exten accepted")
	}
}
