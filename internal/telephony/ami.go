package telephony

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Asterisk Manager Interface (AMI) over TCP: a banner line
// ("Asterisk Call Manager/<version>"), then messages of "Key: Value" lines
// ended by a blank line, CRLF-terminated, in both directions. Actions carry
// an ActionID that their Response (and, for list actions, the events of the
// list) repeat.

// ErrAMIAuth means the AMI refused the username or secret. Run returns it:
// retrying the same credentials does not help.
var ErrAMIAuth = errors.New("telephony: AMI authentication failed")

// ErrAMINotConnected means no logged-in AMI session exists right now.
var ErrAMINotConnected = errors.New("telephony: AMI not connected")

// amiMsg is one AMI message, keys lower-cased (AMI keys vary in case between
// versions: Uniqueid, UniqueID).
type amiMsg map[string]string

const (
	amiMaxLine  = 16 << 10
	amiMaxLines = 512
)

func readAMIMessage(r *bufio.Reader) (amiMsg, error) {
	m := amiMsg{}
	for n := 0; ; n++ {
		line, err := r.ReadSlice('\n')
		if err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				return nil, errors.New("telephony: AMI line too long")
			}
			return nil, err
		}
		s := strings.TrimRight(string(line), "\r\n")
		if s == "" {
			if len(m) == 0 {
				continue // stray blank lines between messages
			}
			return m, nil
		}
		if n > amiMaxLines {
			return nil, errors.New("telephony: AMI message too long")
		}
		k, v, ok := strings.Cut(s, ":")
		if !ok {
			continue // free-form output of some actions
		}
		m[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
	}
}

// writeAMIAction writes one action; values containing CR or LF are refused,
// so a dialled number cannot smuggle in another action.
func writeAMIAction(w *bufio.Writer, kv ...string) error {
	for _, s := range kv {
		if strings.ContainsAny(s, "\r\n") {
			return fieldErr("ami", "value contains a line break")
		}
	}
	for i := 0; i+1 < len(kv); i += 2 {
		w.WriteString(kv[i])
		w.WriteString(": ")
		w.WriteString(kv[i+1])
		w.WriteString("\r\n")
	}
	w.WriteString("\r\n")
	return w.Flush()
}

// AMIConfig configures an AMIClient.
type AMIConfig struct {
	Addr     string // host:port, usually :5038
	Username string
	Secret   string
	// MinBackoff and MaxBackoff bound the reconnect delay, which doubles
	// after each failed attempt (0.5 s and 30 s when zero).
	MinBackoff, MaxBackoff time.Duration
	// IsExtension tells an internal number from an outside one; by default
	// 2 to 5 digits is an extension.
	IsExtension func(string) bool
	// OnEvent receives the call events, in order, from one goroutine. It must
	// not block for long: the AMI connection is not read meanwhile.
	OnEvent func(Event)
	// OnConnection is told when a session is logged in (err nil) and when it
	// ends (err non-nil). Optional.
	OnConnection func(err error)
	// Now stamps events that carry no Timestamp; time.Now when nil.
	Now func() time.Time
}

// AMIClient keeps a logged-in AMI session, maps its events to call Events,
// reconnects with back-off and resynchronizes calls in progress after a
// reconnect (CoreShowChannels).
type AMIClient struct {
	cfg    AMIConfig
	prefix string
	seq    atomic.Uint64

	mu      sync.Mutex
	sess    *amiSession // the logged-in session, nil between sessions
	pending map[string]chan amiMsg

	// Owned by the reading goroutine of the current session.
	calls map[string]*amiCall
	lists map[string][]amiMsg // CoreShowChannels being collected, by ActionID
	n     uint64              // messages read, a position in the stream
	from  map[string]uint64   // position of each list's Response
}

type amiSession struct {
	conn net.Conn
	wmu  sync.Mutex
	w    *bufio.Writer
	done chan struct{}
}

type amiCall struct {
	id, direction, from, to, ext string
	answered, abandoned          bool
	answeredAt                   time.Time
	answeredExt                  string // who has the caller now (changes on a transfer)
	rang                         map[string]bool
	seen                         uint64 // stream position where we learnt of it
}

// NewAMIClient makes a client; Run connects it.
func NewAMIClient(cfg AMIConfig) *AMIClient {
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 500 * time.Millisecond
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(30*time.Second, cfg.MinBackoff)
	}
	if cfg.IsExtension == nil {
		cfg.IsExtension = defaultIsExtension
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.OnEvent == nil {
		cfg.OnEvent = func(Event) {}
	}
	return &AMIClient{cfg: cfg, prefix: "okno-" + strconv.FormatUint(rand.Uint64()%1e9, 36) + "-",
		pending: map[string]chan amiMsg{}, calls: map[string]*amiCall{}, lists: map[string][]amiMsg{}, from: map[string]uint64{}}
}

func defaultIsExtension(s string) bool {
	if len(s) < 2 || len(s) > 5 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Run keeps a session up until ctx ends (returning ctx.Err()) or the AMI
// refuses the credentials (ErrAMIAuth).
func (c *AMIClient) Run(ctx context.Context) error {
	delay := c.cfg.MinBackoff
	for {
		loggedIn, err := c.session(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if c.cfg.OnConnection != nil && err != nil {
			c.cfg.OnConnection(err)
		}
		if errors.Is(err, ErrAMIAuth) {
			return err
		}
		if loggedIn {
			delay = c.cfg.MinBackoff
		}
		wait := delay/2 + rand.N(delay/2+1) // jitter: [delay/2, delay]
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		delay = min(delay*2, c.cfg.MaxBackoff)
	}
}

func (c *AMIClient) session(ctx context.Context) (loggedIn bool, err error) {
	var d net.Dialer
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, err := d.DialContext(dctx, "tcp", c.cfg.Addr)
	cancel()
	if err != nil {
		return false, err
	}
	s := &amiSession{conn: conn, w: bufio.NewWriter(conn), done: make(chan struct{})}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	r := bufio.NewReaderSize(conn, amiMaxLine)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	banner, err := r.ReadString('\n')
	if err != nil {
		return false, err
	}
	if !strings.HasPrefix(banner, "Asterisk Call Manager/") {
		return false, errors.New("telephony: not an AMI banner")
	}
	conn.SetReadDeadline(time.Time{})

	readErr := make(chan error, 1)
	go func() { readErr <- c.read(r, s) }()

	resp, err := c.action(ctx, s, "Action", "Login", "Username", c.cfg.Username, "Secret", c.cfg.Secret)
	if err != nil {
		conn.Close()
		<-readErr
		return false, err
	}
	if !strings.EqualFold(resp["response"], "Success") {
		conn.Close()
		<-readErr
		return false, ErrAMIAuth
	}
	c.mu.Lock()
	c.sess = s
	c.mu.Unlock()
	if c.cfg.OnConnection != nil {
		c.cfg.OnConnection(nil)
	}
	// Resync: the reader applies the channel list when it is complete, in
	// stream order with the live events.
	id := c.nextID()
	c.mu.Lock()
	c.lists[id] = []amiMsg{}
	c.mu.Unlock()
	if err := c.send(s, id, "Action", "CoreShowChannels"); err != nil {
		conn.Close()
	}
	err = <-readErr
	c.mu.Lock()
	c.sess = nil
	c.mu.Unlock()
	return true, err
}

func (c *AMIClient) nextID() string { return c.prefix + strconv.FormatUint(c.seq.Add(1), 10) }

func (c *AMIClient) send(s *amiSession, id string, kv ...string) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return writeAMIAction(s.w, append(kv, "ActionID", id)...)
}

// action sends one action and waits for its Response.
func (c *AMIClient) action(ctx context.Context, s *amiSession, kv ...string) (amiMsg, error) {
	id := c.nextID()
	ch := make(chan amiMsg, 1)
	c.mu.Lock()
	c.pending[id] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
	}()
	if err := c.send(s, id, kv...); err != nil {
		return nil, err
	}
	select {
	case m := <-ch:
		return m, nil
	case <-s.done:
		return nil, ErrAMINotConnected
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// read is the session's only reader: it routes responses to their waiting
// actions and maps events to call Events.
func (c *AMIClient) read(r *bufio.Reader, s *amiSession) error {
	defer close(s.done)
	for {
		m, err := readAMIMessage(r)
		if err != nil {
			return err
		}
		c.n++
		id := m["actionid"]
		if _, ok := m["response"]; ok {
			c.mu.Lock()
			ch := c.pending[id]
			if _, ok := c.lists[id]; ok {
				c.from[id] = c.n
			}
			c.mu.Unlock()
			if ch != nil {
				ch <- m
			}
			continue
		}
		if id != "" {
			c.mu.Lock()
			list, collecting := c.lists[id]
			if collecting {
				if m["event"] == "CoreShowChannel" {
					c.lists[id] = append(list, m)
				} else if strings.EqualFold(m["eventlist"], "Complete") {
					delete(c.lists, id)
				}
			}
			c.mu.Unlock()
			if collecting {
				if strings.EqualFold(m["eventlist"], "Complete") {
					c.resync(list, c.from[id])
					delete(c.from, id)
				}
				continue
			}
		}
		c.event(m)
	}
}

// OriginateRequest is a click-to-call: the AMI rings Channel (the
// operator's phone) and, once it answers, sends it to Exten@Context.
type OriginateRequest struct {
	Channel  string // e.g. PJSIP/101
	Exten    string // the number to call
	Context  string // dialplan context, e.g. from-internal
	Priority int    // 1 when zero
	CallerID string // optional, e.g. "Clinic <74951112233>"
	Timeout  time.Duration
}

// Originate queues a call (Async: true) and returns its ActionID once the
// AMI has accepted it; the call then shows in the event stream.
func (c *AMIClient) Originate(ctx context.Context, o OriginateRequest) (string, error) {
	if o.Channel == "" {
		return "", fieldErr("channel", "required")
	}
	if o.Exten == "" {
		return "", fieldErr("exten", "required")
	}
	if o.Context == "" {
		return "", fieldErr("context", "required")
	}
	if o.Priority <= 0 {
		o.Priority = 1
	}
	c.mu.Lock()
	s := c.sess
	c.mu.Unlock()
	if s == nil {
		return "", ErrAMINotConnected
	}
	kv := []string{"Action", "Originate", "Channel", o.Channel, "Exten", o.Exten, "Context", o.Context,
		"Priority", strconv.Itoa(o.Priority), "Async", "true"}
	if o.CallerID != "" {
		kv = append(kv, "CallerID", o.CallerID)
	}
	if o.Timeout > 0 {
		kv = append(kv, "Timeout", strconv.FormatInt(o.Timeout.Milliseconds(), 10))
	}
	resp, err := c.action(ctx, s, kv...)
	if err != nil {
		return "", err
	}
	if !strings.EqualFold(resp["response"], "Success") {
		return "", fmt.Errorf("telephony: AMI refused Originate: %s", resp["message"])
	}
	return resp["actionid"], nil
}

func (c *AMIClient) at(m amiMsg) time.Time {
	if ts := m["timestamp"]; ts != "" {
		secs, frac, _ := strings.Cut(ts, ".")
		sec, err := strconv.ParseInt(secs, 10, 64)
		if len(frac) > 9 {
			frac = frac[:9]
		}
		ns, err2 := strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
		if err == nil && err2 == nil && sec > 0 {
			return time.Unix(sec, ns).UTC()
		}
	}
	return c.cfg.Now().UTC()
}

func (c *AMIClient) emit(call *amiCall, typ string, at time.Time, ext string) {
	e := Event{Provider: ProviderAsterisk, ID: "ami:" + call.id + ":" + typ, CallID: call.id, Type: typ,
		Direction: call.direction, From: call.from, To: call.to, Extension: ext, At: at}
	if typ == TypeRinging || typ == TypeAnswered {
		e.ID += ":" + ext // a transferred call rings and is answered again elsewhere
	}
	if typ == TypeEnded {
		switch {
		case call.answered:
			e.Result = ResultAnswered
			if !call.answeredAt.IsZero() && at.After(call.answeredAt) {
				e.Duration = at.Sub(call.answeredAt)
			}
		case call.abandoned:
			e.Result = ResultAbandoned
		default:
			e.Result = ResultMissed
		}
	}
	c.cfg.OnEvent(e)
}

func linked(m amiMsg) string {
	if l := m["linkedid"]; l != "" {
		return l
	}
	return m["uniqueid"]
}

// extOf finds the extension behind a channel: its caller id number when that
// is an extension, else the endpoint in "PJSIP/101-0000002a".
func (c *AMIClient) extOf(num, channel string) string {
	if c.cfg.IsExtension(num) {
		return num
	}
	if _, rest, ok := strings.Cut(channel, "/"); ok {
		if i := strings.LastIndexByte(rest, '-'); i > 0 {
			rest = rest[:i]
		}
		if c.cfg.IsExtension(rest) {
			return rest
		}
	}
	return ""
}

func (c *AMIClient) newCall(m amiMsg) *amiCall {
	from, exten := m["calleridnum"], m["exten"]
	if exten == "" {
		exten = m["extension"]
	}
	call := &amiCall{id: linked(m), from: from, to: exten, rang: map[string]bool{}, seen: c.n}
	if ext := c.extOf(from, m["channel"]); ext != "" && !c.cfg.IsExtension(exten) {
		call.direction, call.ext = Outbound, ext
	} else {
		call.direction = Inbound
	}
	c.calls[call.id] = call
	return call
}

func (c *AMIClient) event(m amiMsg) {
	id := linked(m)
	call := c.calls[id]
	at := c.at(m)
	switch m["event"] {
	case "Newchannel":
		if call == nil && id != "" {
			call = c.newCall(m)
			c.emit(call, TypeStarted, at, call.ext)
		}
	case "DialBegin":
		if call == nil {
			return
		}
		ext := call.ext
		if call.direction == Inbound {
			ext = c.extOf(m["destcalleridnum"], m["destchannel"])
		}
		if ext != "" && !call.rang[ext] {
			call.rang[ext] = true
			c.emit(call, TypeRinging, at, ext)
		}
	case "DialEnd":
		if call != nil && m["dialstatus"] == "ANSWER" {
			ext := call.ext
			if call.direction == Inbound {
				ext = c.extOf(m["destcalleridnum"], m["destchannel"])
			}
			switch {
			case !call.answered:
				call.answered, call.answeredAt, call.answeredExt = true, at, ext
				c.emit(call, TypeAnswered, at, ext)
			case ext != "" && ext != call.answeredExt:
				// A transfer: the caller is now with another extension.
				call.answeredExt = ext
				c.emit(call, TypeAnswered, at, ext)
			}
		}
	case "BridgeEnter":
		// Answered without a Dial (a queue member, a pickup): two channels
		// of the call in one bridge.
		if call != nil && !call.answered && m["uniqueid"] != call.id {
			if n, _ := strconv.Atoi(m["bridgenumchannels"]); n >= 2 {
				ext := call.ext
				if call.direction == Inbound {
					ext = c.extOf(m["calleridnum"], m["channel"])
				}
				call.answered, call.answeredAt, call.answeredExt = true, at, ext
				c.emit(call, TypeAnswered, at, ext)
			}
		}
	case "QueueCallerAbandon":
		if call != nil {
			call.abandoned = true
		}
	case "Hangup":
		if call != nil && m["uniqueid"] == call.id {
			delete(c.calls, id)
			c.emit(call, TypeEnded, at, call.ext)
		}
	case "Cdr":
		// The CDR follows the Hangup; it ends a call only if the Hangup was
		// lost (a reconnect in between).
		uid := m["uniqueid"]
		if call = c.calls[uid]; call != nil {
			delete(c.calls, uid)
			if m["disposition"] == "ANSWERED" {
				call.answered = true
			}
			c.emit(call, TypeEnded, at, call.ext)
		}
	}
}

// resync reconciles the calls we track with the channels the AMI lists:
// tracked calls without channels ended while we were away; channels of
// calls we do not know started while we were away.
//
// Calls first seen after the list's Response (at stream position since)
// are newer than the list and are left alone.
func (c *AMIClient) resync(list []amiMsg, since uint64) {
	now := c.cfg.Now().UTC()
	groups := map[string][]amiMsg{}
	var order []string
	for _, m := range list {
		id := linked(m)
		if _, ok := groups[id]; !ok {
			order = append(order, id)
		}
		groups[id] = append(groups[id], m)
	}
	for id, call := range c.calls {
		if _, live := groups[id]; !live && call.seen < since {
			delete(c.calls, id)
			c.emit(call, TypeEnded, now, call.ext)
		}
	}
	for _, id := range order {
		chans := groups[id]
		first := chans[0]
		for _, m := range chans {
			if m["uniqueid"] == id {
				first = m
			}
		}
		call := c.calls[id]
		if call == nil {
			call = c.newCall(first)
			start := now
			if d, ok := parseHMS(first["duration"]); ok {
				start = now.Add(-d)
			}
			c.emit(call, TypeStarted, start, call.ext)
		}
		if call.answered {
			continue
		}
		bridged := 0
		ext := call.ext
		for _, m := range chans {
			if m["bridgeid"] != "" && m["channelstate"] == "6" {
				bridged++
				if m["uniqueid"] != id && call.direction == Inbound {
					ext = c.extOf(m["calleridnum"], m["channel"])
				}
			}
		}
		if bridged >= 2 {
			call.answered, call.answeredAt = true, now
			c.emit(call, TypeAnswered, now, ext)
		}
	}
}

func parseHMS(s string) (time.Duration, bool) {
	p := strings.Split(s, ":")
	if len(p) != 3 {
		return 0, false
	}
	var d time.Duration
	for i, unit := range []time.Duration{time.Hour, time.Minute, time.Second} {
		n, err := strconv.Atoi(p[i])
		if err != nil || n < 0 {
			return 0, false
		}
		d += time.Duration(n) * unit
	}
	return d, true
}
