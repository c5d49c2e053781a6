package amitest

import (
	"hash/fnv"
	"strconv"
	"strings"
	"time"
)

// Call is one inbound call from outside, through a PJSIP trunk, to an
// operator's phone, as Asterisk 18+ reports it over AMI. Its methods return
// event blocks for Server.Send (one string per AMI message, CRLF-terminated
// lines), in the order Asterisk writes them.
//
// Every channel of the call carries ID as Linkedid; the trunk channel's
// Uniqueid is ID and the operator's channel's Uniqueid is LegID.
type Call struct {
	ID        string // "1700000000.42": the call's Linkedid, the trunk channel's Uniqueid
	LegID     string // the operator's channel's Uniqueid; ID with its sequence number plus one when empty
	Caller    string // CallerIDNum of the trunk channel: the outside number
	Line      string // Exten the trunk delivered: the clinic's number that was called
	Extension string // the operator's PJSIP endpoint and number, "101"; empty: nobody is dialled
	Trunk     string // the trunk's PJSIP endpoint; "trunk" when empty
	Queue     string // the queue of Abandoned; "reception" when empty
	// Start is the trunk channel's Newchannel; Ring the DialBegin to the
	// operator (Start+1s when zero); Answer the DialEnd ANSWER (Ring+5s
	// when zero); End the caller's Hangup (Answer+60s for an answered call,
	// Ring+20s otherwise, when zero).
	//
	// Events carry "Timestamp: <unix>.<µs>", as with timestampevents=yes in
	// manager.conf, unless Start is zero: then they carry none, as with the
	// default timestampevents=no, and the client stamps them on arrival.
	Start, Ring, Answer, End time.Time
	// CDR ends each sequence with the Cdr event cdr_manager writes.
	CDR bool
}

// Channel states, as ChannelState and ChannelStateDesc give them.
const (
	stateDown    = "0"
	stateRing    = "4"
	stateRinging = "5"
	stateUp      = "6"
)

var stateDesc = map[string]string{stateDown: "Down", stateRing: "Ring", stateRinging: "Ringing", stateUp: "Up"}

// call is a Call with its defaults filled in.
type call struct {
	Call
	stamped            bool
	trunkChan, legChan string
	bridge             string
	connected          bool // the trunk's connected line is the operator (after DialBegin)
	trunkPrio          string
}

func (c Call) resolve() *call {
	r := &call{Call: c, stamped: !c.Start.IsZero()}
	if r.Trunk == "" {
		r.Trunk = "trunk"
	}
	if r.Queue == "" {
		r.Queue = "reception"
	}
	if r.Ring.IsZero() {
		r.Ring = r.Start.Add(time.Second)
	}
	if r.Answer.IsZero() {
		r.Answer = r.Ring.Add(5 * time.Second)
	}
	// Channel names end in a counter Asterisk keeps; the Uniqueid's
	// sequence number stands in for it.
	var seq uint64
	prefix, n, ok := strings.Cut(c.ID, ".")
	if v, err := strconv.ParseUint(n, 10, 32); ok && err == nil {
		seq = v
		if r.LegID == "" {
			r.LegID = prefix + "." + strconv.FormatUint(v+1, 10)
		}
	} else {
		h := fnv.New32a()
		h.Write([]byte(c.ID))
		seq = uint64(h.Sum32() >> 1)
		if r.LegID == "" {
			r.LegID = c.ID + "-1"
		}
	}
	r.trunkChan = "PJSIP/" + r.Trunk + "-" + hex8(seq)
	r.legChan = "PJSIP/" + r.Extension + "-" + hex8(seq+1)
	h := fnv.New64a()
	h.Write([]byte(c.ID))
	sum := strconv.FormatUint(h.Sum64()|1<<63, 16) // 16 hex digits
	r.bridge = sum[:8] + "-" + sum[8:12] + "-4" + sum[13:16] + "-8" + sum[:3] + "-" + sum[4:16]
	r.trunkPrio = "1"
	return r
}

func hex8(v uint64) string {
	s := strconv.FormatUint(v&0xffffffff, 16)
	return strings.Repeat("0", 8-len(s)) + s
}

func (r *call) endAnswered() time.Time {
	if !r.End.IsZero() {
		return r.End
	}
	return r.Answer.Add(time.Minute)
}

func (r *call) endUnanswered() time.Time {
	if !r.End.IsZero() {
		return r.End
	}
	return r.Ring.Add(20 * time.Second)
}

// msg builds one AMI message.
type msg struct{ b []byte }

func (m *msg) kv(k, v string) {
	m.b = append(m.b, k...)
	m.b = append(m.b, ": "...)
	m.b = append(m.b, v...)
	m.b = append(m.b, '\r', '\n')
}

func (m *msg) done(out []string) []string {
	m.b = append(m.b, '\r', '\n')
	out = append(out, string(m.b))
	m.b = m.b[:0]
	return out
}

// head writes Event, Privilege and, with timestampevents=yes, Timestamp:
// the order manager.c writes them in.
func (r *call) head(m *msg, event, privilege string, at time.Time) {
	m.kv("Event", event)
	m.kv("Privilege", privilege)
	if r.stamped {
		us := strconv.Itoa(at.Nanosecond() / 1000)
		m.kv("Timestamp", strconv.FormatInt(at.Unix(), 10)+"."+strings.Repeat("0", 6-len(us))+us)
	}
}

// trunk writes the trunk channel's snapshot, prefixed ("Dest" for the
// dialled side of Dial events, "" otherwise).
func (r *call) trunk(m *msg, prefix, state string) {
	connected := "<unknown>"
	if r.connected {
		connected = r.Extension
	}
	r.snapshot(m, prefix, r.trunkChan, state, r.Caller, connected, "from-trunk", r.Line, r.trunkPrio, r.ID)
}

func (r *call) leg(m *msg, prefix, state string) {
	r.snapshot(m, prefix, r.legChan, state, r.Extension, r.Caller, "from-internal", "s", "1", r.LegID)
}

func (r *call) snapshot(m *msg, p, channel, state, num, connected, context, exten, prio, uid string) {
	m.kv(p+"Channel", channel)
	m.kv(p+"ChannelState", state)
	m.kv(p+"ChannelStateDesc", stateDesc[state])
	m.kv(p+"CallerIDNum", num)
	m.kv(p+"CallerIDName", "<unknown>")
	m.kv(p+"ConnectedLineNum", connected)
	m.kv(p+"ConnectedLineName", "<unknown>")
	m.kv(p+"Language", "en")
	m.kv(p+"AccountCode", "")
	m.kv(p+"Context", context)
	m.kv(p+"Exten", exten)
	m.kv(p+"Priority", prio)
	m.kv(p+"Uniqueid", uid)
	m.kv(p+"Linkedid", r.ID)
}

func (r *call) newstate(m *msg, out []string, at time.Time, leg bool, state string) []string {
	r.head(m, "Newstate", "call,all", at)
	if leg {
		r.leg(m, "", state)
	} else {
		r.trunk(m, "", state)
	}
	return m.done(out)
}

func (r *call) hangup(m *msg, out []string, at time.Time, leg bool, state, cause, text string) []string {
	r.head(m, "Hangup", "call,all", at)
	if leg {
		r.leg(m, "", state)
	} else {
		r.trunk(m, "", state)
	}
	m.kv("Cause", cause)
	m.kv("Cause-txt", text)
	return m.done(out)
}

func (r *call) dial(m *msg, out []string, event string, at time.Time, trunkState, legState, status string) []string {
	r.head(m, event, "call,all", at)
	r.trunk(m, "", trunkState)
	r.leg(m, "Dest", legState)
	if status == "" {
		m.kv("DialString", r.Extension)
	} else {
		m.kv("DialStatus", status)
	}
	return m.done(out)
}

func (r *call) bridgeHead(m *msg, event string, at time.Time, n int) {
	r.head(m, event, "call,all", at)
	m.kv("BridgeUniqueid", r.bridge)
	m.kv("BridgeType", "basic")
	m.kv("BridgeTechnology", "simple_bridge")
	m.kv("BridgeCreator", "<unknown>")
	m.kv("BridgeName", "<unknown>")
	m.kv("BridgeNumChannels", strconv.Itoa(n))
	m.kv("BridgeVideoSourceMode", "none")
}

func (r *call) queue(m *msg, event string, at time.Time, kv ...string) {
	r.head(m, event, "agent,all", at)
	r.trunk(m, "", stateUp)
	m.kv("Queue", r.Queue)
	for i := 0; i+1 < len(kv); i += 2 {
		m.kv(kv[i], kv[i+1])
	}
}

// cdr writes the record of the trunk channel (Party A) with cdr_manager's
// fields; times are in the time zone of Start, as Asterisk writes its
// server's local time.
func (r *call) cdr(m *msg, out []string, dest, app, data, disposition string, answered, end time.Time) []string {
	r.head(m, "Cdr", "cdr,all", end)
	cdrTime := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(r.Start.Location()).Format("2006-01-02 15:04:05")
	}
	billable := 0
	if !answered.IsZero() {
		billable = int(end.Sub(answered) / time.Second)
	}
	m.kv("AccountCode", "")
	m.kv("Source", r.Caller)
	m.kv("Destination", r.Line)
	m.kv("DestinationContext", "from-trunk")
	m.kv("CallerID", `"" <`+r.Caller+`>`)
	m.kv("Channel", r.trunkChan)
	m.kv("DestinationChannel", dest)
	m.kv("LastApplication", app)
	m.kv("LastData", data)
	m.kv("StartTime", cdrTime(r.Start))
	m.kv("AnswerTime", cdrTime(answered))
	m.kv("EndTime", cdrTime(end))
	m.kv("Duration", strconv.Itoa(int(end.Sub(r.Start)/time.Second)))
	m.kv("BillableSeconds", strconv.Itoa(billable))
	m.kv("Disposition", disposition)
	m.kv("AMAFlags", "DOCUMENTATION")
	m.kv("UniqueID", r.ID)
	m.kv("UserField", "")
	return m.done(out)
}

// Arrive is the call reaching Asterisk: the trunk channel's Newchannel.
func (c Call) Arrive() []string {
	r := c.resolve()
	return r.arrive(&msg{}, nil)
}

func (r *call) arrive(m *msg, out []string) []string {
	r.head(m, "Newchannel", "call,all", r.Start)
	r.trunk(m, "", stateRing)
	out = m.done(out)
	r.trunkPrio = "2" // the dialplan goes on to its next step
	return out
}

// Dial is the operator's phone starting to ring: its channel's Newchannel,
// DialBegin from the trunk channel, and its Newstate Ringing.
func (c Call) Dial() []string {
	r := c.resolve()
	r.trunkPrio = "2"
	return r.dialOut(&msg{}, nil, stateRing)
}

func (r *call) dialOut(m *msg, out []string, trunkState string) []string {
	r.head(m, "Newchannel", "call,all", r.Ring)
	r.snapshot(m, "", r.legChan, stateDown, "<unknown>", "<unknown>", "from-internal", "s", "1", r.LegID)
	out = m.done(out)
	out = r.dial(m, out, "DialBegin", r.Ring, trunkState, stateDown, "")
	r.connected = true
	return r.newstate(m, out, r.Ring, true, stateRinging)
}

// Pickup is the operator answering: Newstate Up of their channel, DialEnd
// ANSWER, Newstate Up of the trunk channel, and both channels entering a
// new bridge.
func (c Call) Pickup() []string {
	r := c.resolve()
	r.trunkPrio, r.connected = "2", true
	return r.pickup(&msg{}, nil)
}

func (r *call) pickup(m *msg, out []string) []string {
	out = r.newstate(m, out, r.Answer, true, stateUp)
	out = r.dial(m, out, "DialEnd", r.Answer, stateRing, stateUp, "ANSWER")
	out = r.newstate(m, out, r.Answer, false, stateUp)
	r.bridgeHead(m, "BridgeCreate", r.Answer, 0)
	out = m.done(out)
	r.bridgeHead(m, "BridgeEnter", r.Answer, 1)
	r.trunk(m, "", stateUp)
	out = m.done(out)
	r.bridgeHead(m, "BridgeEnter", r.Answer, 2)
	r.leg(m, "", stateUp)
	return m.done(out)
}

// HangUp ends an answered call: the operator hangs up, then the caller's
// channel is hung up (with the Cdr when c.CDR).
func (c Call) HangUp() []string {
	r := c.resolve()
	r.trunkPrio, r.connected = "2", true
	return r.hangUpAnswered(&msg{}, nil)
}

func (r *call) hangUpAnswered(m *msg, out []string) []string {
	end := r.endAnswered()
	r.bridgeHead(m, "BridgeLeave", end, 1)
	r.leg(m, "", stateUp)
	out = m.done(out)
	out = r.hangup(m, out, end, true, stateUp, "16", "Normal Clearing")
	r.bridgeHead(m, "BridgeLeave", end, 0)
	r.trunk(m, "", stateUp)
	out = m.done(out)
	r.bridgeHead(m, "BridgeDestroy", end, 0)
	out = m.done(out)
	out = r.hangup(m, out, end, false, stateUp, "16", "Normal Clearing")
	if r.CDR {
		out = r.cdr(m, out, r.legChan, "Dial", "PJSIP/"+r.Extension+",30", "ANSWERED", r.Answer, end)
	}
	return out
}

// Answered is a whole answered call: Arrive, Dial, Pickup, HangUp.
func (c Call) Answered() []string {
	r := c.resolve()
	m := &msg{}
	out := r.arrive(m, make([]string, 0, 16))
	out = r.dialOut(m, out, stateRing)
	out = r.pickup(m, out)
	return r.hangUpAnswered(m, out)
}

// Missed is a call nobody answers: Arrive, Dial, Unanswered(status).
// Without an Extension nobody is dialled and the caller hangs up.
func (c Call) Missed(status string) []string {
	r := c.resolve()
	m := &msg{}
	out := r.arrive(m, make([]string, 0, 8))
	if r.Extension == "" {
		out = r.hangup(m, out, r.endUnanswered(), false, stateRing, "16", "Normal Clearing")
		if r.CDR {
			out = r.cdr(m, out, "", "Wait", "30", "NO ANSWER", time.Time{}, r.endUnanswered())
		}
		return out
	}
	out = r.dialOut(m, out, stateRing)
	return r.unanswered(m, out, status)
}

// Unanswered ends a call whose operator did not pick up, at End: DialEnd
// with status (NOANSWER when the Dial timed out, CANCEL when the caller hung
// up first, BUSY, CHANUNAVAIL), then the Hangup of the operator's channel
// and of the caller's (with the Cdr when c.CDR).
func (c Call) Unanswered(status string) []string {
	r := c.resolve()
	r.trunkPrio, r.connected = "2", true
	return r.unanswered(&msg{}, nil, status)
}

func (r *call) unanswered(m *msg, out []string, status string) []string {
	end := r.endUnanswered()
	out = r.dial(m, out, "DialEnd", end, stateRing, stateRinging, status)
	cause, text, disposition := "16", "Normal Clearing", "NO ANSWER"
	switch status {
	case "NOANSWER":
		cause, text = "19", "User alerting, no answer"
	case "BUSY":
		cause, text, disposition = "17", "User busy", "BUSY"
	case "CHANUNAVAIL":
		cause, text, disposition = "20", "Subscriber absent", "FAILED"
	}
	out = r.hangup(m, out, end, true, stateRinging, cause, text)
	out = r.hangup(m, out, end, false, stateRing, "16", "Normal Clearing")
	if r.CDR {
		out = r.cdr(m, out, r.legChan, "Dial", "PJSIP/"+r.Extension+",30", disposition, time.Time{}, end)
	}
	return out
}

// Abandoned is a caller who gives up waiting in Queue: Arrive, the
// dialplan answering the channel and QueueCallerJoin at Ring (with the
// Extension, if any, dialled as a queue member), then at End
// QueueCallerAbandon, QueueCallerLeave and the caller's Hangup. Its Cdr
// says ANSWERED, as Asterisk's does: the dialplan answered the caller.
func (c Call) Abandoned() []string {
	r := c.resolve()
	m := &msg{}
	end := r.endUnanswered()
	out := r.arrive(m, make([]string, 0, 12))
	out = r.newstate(m, out, r.Ring, false, stateUp)
	r.queue(m, "QueueCallerJoin", r.Ring, "Position", "1", "Count", "1")
	out = m.done(out)
	if r.Extension != "" {
		out = r.dialOut(m, out, stateUp)
		out = r.dial(m, out, "DialEnd", end, stateUp, stateRinging, "CANCEL")
		out = r.hangup(m, out, end, true, stateRinging, "16", "Normal Clearing")
	}
	hold := strconv.Itoa(int(end.Sub(r.Ring) / time.Second))
	r.queue(m, "QueueCallerAbandon", end, "Position", "1", "OriginalPosition", "1", "HoldTime", hold)
	out = m.done(out)
	r.queue(m, "QueueCallerLeave", end, "Count", "0", "Position", "1")
	out = m.done(out)
	out = r.hangup(m, out, end, false, stateUp, "16", "Normal Clearing")
	if r.CDR {
		dest := ""
		if r.Extension != "" {
			dest = r.legChan
		}
		out = r.cdr(m, out, dest, "Queue", r.Queue, "ANSWERED", r.Ring, end)
	}
	return out
}

// Channels is what CoreShowChannels lists for the call at the moment at,
// for Server.SetChannels: the trunk channel and, once it rings, the
// operator's; both Up in one bridge once answered.
func (c Call) Channels(at time.Time) []string {
	r := c.resolve()
	r.trunkPrio = "2"
	m := &msg{}
	ringing, answered := r.Extension != "" && !at.Before(r.Ring), r.Extension != "" && !at.Before(r.Answer)
	r.connected = ringing
	trunkState, legState, bridge := stateRing, stateRinging, ""
	app, data := "Playback", "custom/welcome"
	if ringing {
		app, data = "Dial", "PJSIP/"+r.Extension+",30"
	}
	if answered {
		trunkState, legState, bridge = stateUp, stateUp, r.bridge
	}
	body := func(since time.Time, extra ...string) string {
		for i := 0; i+1 < len(extra); i += 2 {
			m.kv(extra[i], extra[i+1])
		}
		m.kv("Duration", hms(at.Sub(since)))
		s := string(m.b)
		m.b = m.b[:0]
		return s
	}
	r.trunk(m, "", trunkState)
	out := []string{body(r.Start, "BridgeId", bridge, "Application", app, "ApplicationData", data)}
	if ringing {
		r.leg(m, "", legState)
		out = append(out, body(r.Ring, "BridgeId", bridge, "Application", "AppDial", "ApplicationData", "(Outgoing Line)"))
	}
	return out
}

func hms(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int(d / time.Second)
	two := func(n int) string {
		if n < 10 {
			return "0" + strconv.Itoa(n)
		}
		return strconv.Itoa(n)
	}
	return two(s/3600) + ":" + two(s/60%60) + ":" + two(s%60)
}
