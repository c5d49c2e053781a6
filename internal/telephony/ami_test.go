package telephony

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

type amiHarness struct {
	t      *testing.T
	fake   *fakeAMI
	client *AMIClient
	events chan Event
	done   chan error
}

func startAMI(t *testing.T, secret string) *amiHarness {
	h := &amiHarness{t: t, fake: newFakeAMI(t, "okno", "s3cret"), events: make(chan Event, 64), done: make(chan error, 1)}
	h.client = NewAMIClient(AMIConfig{Addr: h.fake.addr(), Username: "okno", Secret: secret,
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond,
		OnEvent: func(e Event) { h.events <- e },
		Now:     func() time.Time { return time.Unix(1700000500, 0) }})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); <-h.done })
	go func() { h.done <- h.client.Run(ctx) }()
	return h
}

func (h *amiHarness) loggedIn() {
	h.t.Helper()
	select {
	case <-h.fake.onLogin:
	case <-time.After(5 * time.Second):
		h.t.Fatal("no login")
	}
	// A real AMI lists the channels as of the action; the fake's test
	// script must not race ahead of that snapshot.
	select {
	case <-h.fake.listed:
	case <-time.After(5 * time.Second):
		h.t.Fatal("no CoreShowChannels after login")
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

// An answered incoming call as Asterisk 18 with PJSIP reports it.
func answeredInbound(id string) []string {
	return []string{`
Event: Newchannel
Privilege: call,all
Channel: PJSIP/trunk-00000001
ChannelState: 0
ChannelStateDesc: Down
CallerIDNum: 79161234567
CallerIDName: <unknown>
Context: from-trunk
Exten: 74951112233
Priority: 1
Uniqueid: ` + id + `
Linkedid: ` + id + `
Timestamp: 1700000000.000100
`, `
Event: Newchannel
Channel: PJSIP/101-00000002
ChannelState: 0
CallerIDNum: 101
Context: from-internal
Exten: 101
Uniqueid: ` + id + `2
Linkedid: ` + id + `
`, `
Event: DialBegin
Channel: PJSIP/trunk-00000001
CallerIDNum: 79161234567
Uniqueid: ` + id + `
Linkedid: ` + id + `
DestChannel: PJSIP/101-00000002
DestCallerIDNum: 101
DestUniqueid: ` + id + `2
DestLinkedid: ` + id + `
DialString: 101
Timestamp: 1700000001.000000
`, `
Event: DialEnd
Channel: PJSIP/trunk-00000001
Uniqueid: ` + id + `
Linkedid: ` + id + `
DestChannel: PJSIP/101-00000002
DestCallerIDNum: 101
DestUniqueid: ` + id + `2
DialStatus: ANSWER
Timestamp: 1700000010.000000
`, `
Event: BridgeEnter
BridgeUniqueid: b-1
BridgeNumChannels: 2
Channel: PJSIP/101-00000002
CallerIDNum: 101
Uniqueid: ` + id + `2
Linkedid: ` + id + `
`}
}

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
	login := <-h.fake.actions
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
	h.fake.send(answeredInbound("1700000000.1")...)
	e := h.expect(TypeStarted, "1700000000.1", "", "")
	if e.Direction != Inbound || e.From != "79161234567" || e.To != "74951112233" || !e.At.Equal(time.Unix(1700000000, 100000).UTC()) {
		t.Fatalf("started = %+v", e)
	}
	h.expect(TypeRinging, "1700000000.1", "101", "")
	h.expect(TypeAnswered, "1700000000.1", "101", "")
	h.fake.send(hangup("1700000000.1", "1700000000.12", "1700000100"), hangup("1700000000.1", "1700000000.1", "1700000100.5"))
	e = h.expect(TypeEnded, "1700000000.1", "", ResultAnswered)
	if e.Duration != 90500*time.Millisecond {
		t.Fatalf("duration = %v", e.Duration)
	}
	// The CDR after the Hangup adds nothing.
	h.fake.send("\nEvent: Cdr\nUniqueID: 1700000000.1\nDisposition: ANSWERED\nBillableSeconds: 90\n")
	h.quiet()

	// Missed: rings 101 and 102, nobody answers, the caller hangs up.
	h.fake.send(answeredInbound("1700000200.5")[:3]...)
	h.expect(TypeStarted, "1700000200.5", "", "")
	h.expect(TypeRinging, "1700000200.5", "101", "")
	h.fake.send("\nEvent: DialBegin\nUniqueid: 1700000200.5\nLinkedid: 1700000200.5\nDestChannel: PJSIP/102-0000000a\nDestCallerIDNum: <unknown>\n",
		"\nEvent: DialEnd\nUniqueid: 1700000200.5\nLinkedid: 1700000200.5\nDestChannel: PJSIP/101-00000002\nDialStatus: CANCEL\n",
		hangup("1700000200.5", "1700000200.5", "1700000230"))
	h.expect(TypeRinging, "1700000200.5", "102", "")
	h.expect(TypeEnded, "1700000200.5", "", ResultMissed)

	// Abandoned in a queue.
	h.fake.send(answeredInbound("1700000300.7")[0], "\nEvent: QueueCallerAbandon\nUniqueid: 1700000300.7\nLinkedid: 1700000300.7\nQueue: reception\n", hangup("1700000300.7", "1700000300.7", "1700000330"))
	h.expect(TypeStarted, "1700000300.7", "", "")
	h.expect(TypeEnded, "1700000300.7", "", ResultAbandoned)
}

// A blind transfer as Asterisk reports it: the operator at 101 answers,
// transfers the caller to 102 (BlindTransfer, then a Dial from the
// transferring channel to 102 in the same Linkedid), 102 answers; the call
// ends once, answered, with 102 holding it.
func TestAMITransferredCall(t *testing.T) {
	h := startAMI(t, "s3cret")
	h.loggedIn()
	id := "1700000400.9"
	h.fake.send(answeredInbound(id)...)
	h.expect(TypeStarted, id, "", "")
	h.expect(TypeRinging, id, "101", "")
	h.expect(TypeAnswered, id, "101", "")
	h.fake.send("\nEvent: BlindTransfer\nResult: Success\nTransfererChannel: PJSIP/101-00000002\nTransfererUniqueid: "+id+"2\nTransfereeChannel: PJSIP/trunk-00000001\nTransfereeUniqueid: "+id+"\nTransfereeLinkedid: "+id+"\nExtension: 102\nContext: from-internal\n",
		"\nEvent: DialBegin\nChannel: PJSIP/trunk-00000001\nUniqueid: "+id+"\nLinkedid: "+id+"\nDestChannel: PJSIP/102-00000003\nDestCallerIDNum: 102\nDestUniqueid: "+id+"3\nDialString: 102\nTimestamp: 1700000020.000000\n",
		"\nEvent: DialEnd\nChannel: PJSIP/trunk-00000001\nUniqueid: "+id+"\nLinkedid: "+id+"\nDestChannel: PJSIP/102-00000003\nDestCallerIDNum: 102\nDestUniqueid: "+id+"3\nDialStatus: ANSWER\nTimestamp: 1700000025.000000\n",
		hangup(id, id+"2", "1700000021"))
	h.expect(TypeRinging, id, "102", "")
	a := h.expect(TypeAnswered, id, "102", "")
	if a.ID == "ami:"+id+":"+TypeAnswered+":101" {
		t.Fatal("the answer at 102 has the id of the answer at 101: it would be dropped as a replay")
	}
	// The transferring operator's leg hung up: the call goes on.
	h.quiet()
	h.fake.send(hangup(id, id+"3", "1700000100"), hangup(id, id, "1700000100"))
	e := h.expect(TypeEnded, id, "", ResultAnswered)
	if e.Duration != 90*time.Second {
		t.Fatalf("duration = %v, want 90 s from the first answer", e.Duration)
	}
}

func TestAMIReconnectResync(t *testing.T) {
	h := startAMI(t, "s3cret")
	h.loggedIn()
	// Two calls in progress: A answered, C ringing.
	h.fake.send(answeredInbound("1700000000.1")...)
	h.expect(TypeStarted, "1700000000.1", "", "")
	h.expect(TypeRinging, "1700000000.1", "101", "")
	h.expect(TypeAnswered, "1700000000.1", "101", "")
	h.fake.send(answeredInbound("1700000001.3")[:3]...)
	h.expect(TypeStarted, "1700000001.3", "", "")
	h.expect(TypeRinging, "1700000001.3", "101", "")

	// While we are cut off: C ends, A goes on, B starts and is answered by 103.
	h.fake.setChannels(
		"Channel: PJSIP/trunk-00000001\nChannelState: 6\nChannelStateDesc: Up\nCallerIDNum: 79161234567\nExten: 74951112233\nUniqueid: 1700000000.1\nLinkedid: 1700000000.1\nBridgeId: b-1\nDuration: 00:01:00\n",
		"Channel: PJSIP/101-00000002\nChannelState: 6\nChannelStateDesc: Up\nCallerIDNum: 101\nUniqueid: 1700000000.12\nLinkedid: 1700000000.1\nBridgeId: b-1\nDuration: 00:00:50\n",
		"Channel: PJSIP/trunk-00000009\nChannelState: 6\nChannelStateDesc: Up\nCallerIDNum: 79035550000\nExten: 74951112233\nUniqueid: 1700000400.9\nLinkedid: 1700000400.9\nBridgeId: b-2\nDuration: 00:00:30\n",
		"Channel: PJSIP/103-0000000b\nChannelState: 6\nChannelStateDesc: Up\nCallerIDNum: 103\nUniqueid: 1700000400.10\nLinkedid: 1700000400.9\nBridgeId: b-2\nDuration: 00:00:20\n",
	)
	h.fake.drop()
	h.loggedIn()
	got := map[string]Event{}
	for range 3 {
		e := h.next()
		got[e.Type+" "+e.CallID] = e
	}
	if e, ok := got[TypeEnded+" 1700000001.3"]; !ok || e.Result != ResultMissed {
		t.Fatalf("C not ended as missed: %v", got)
	}
	if e, ok := got[TypeStarted+" 1700000400.9"]; !ok || e.From != "79035550000" || !e.At.Equal(time.Unix(1700000500-30, 0)) {
		t.Fatalf("B not started: %v", got)
	}
	if e, ok := got[TypeAnswered+" 1700000400.9"]; !ok || e.Extension != "103" {
		t.Fatalf("B not answered by 103: %v", got)
	}
	h.quiet() // A is neither restarted nor re-answered
	// A's hangup after the reconnect still ends it, answered.
	h.fake.send(hangup("1700000000.1", "1700000000.1", "1700000600"))
	h.expect(TypeEnded, "1700000000.1", "", ResultAnswered)
	// The resync asked for the channel list with its own ActionID.
	var sawList bool
	for len(h.fake.actions) > 0 {
		a := <-h.fake.actions
		if a.Get("Action") == "CoreShowChannels" && strings.HasPrefix(a.Get("Actionid"), "okno-") {
			sawList = true
		}
	}
	if !sawList || h.fake.logins != 2 {
		t.Fatalf("CoreShowChannels sent: %v, logins: %d", sawList, h.fake.logins)
	}
}

func TestAMIOriginate(t *testing.T) {
	h := startAMI(t, "s3cret")
	h.loggedIn()
	for len(h.fake.actions) > 0 {
		<-h.fake.actions
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
		m := <-h.fake.actions
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
	h.fake.send("\nEvent: Newchannel\nChannel: PJSIP/101-0000000c\nCallerIDNum: 101\nExten: 79161234567\nContext: from-internal\nUniqueid: 1700000700.1\nLinkedid: 1700000700.1\n")
	e := h.expect(TypeStarted, "1700000700.1", "101", "")
	if e.Direction != Outbound || e.To != "79161234567" {
		t.Fatalf("click-to-call = %+v", e)
	}
	// A number with a line break cannot smuggle another action.
	if _, err := h.client.Originate(context.Background(), OriginateRequest{Channel: "PJSIP/101", Exten: "1\r\nAction: Command", Context: "x"}); err == nil {
		t.Fatal("line break in Exten accepted")
	}
}
