package gateway

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/okno-crm/okno/internal/bus"
	"github.com/okno-crm/okno/internal/events"
	"github.com/okno-crm/okno/internal/perm"
	"github.com/okno-crm/okno/internal/principal"
)

// Frame is what the gateway sends over the WebSocket.
type Frame struct {
	Type string `json:"type"`
	Data any    `json:"data"`
}

type wsClient struct {
	user      User
	sessionID string // the login session, or
	tokenID   string // the API token the socket was opened with
	permKey   string // the permissions, for sharing a pushed message
	send      chan []byte
	kill      func()
	closing   atomic.Pointer[closeReason]
}

type closeReason struct {
	code websocket.StatusCode
	why  string
}

// WebSocket close codes the UI acts on.
const (
	// CloseSessionEnded: the session or token was revoked or its user
	// blocked; reconnecting will not help, log in again.
	CloseSessionEnded websocket.StatusCode = 4401
	// ClosePermissionsChanged: the user's role or its permissions changed;
	// reconnect to be served by the new ones.
	ClosePermissionsChanged websocket.StatusCode = 4403
)

// end closes the client's socket with code.
func (c *wsClient) end(code websocket.StatusCode, why string) {
	c.closing.CompareAndSwap(nil, &closeReason{code: code, why: why})
	c.kill()
}

// hub fans frames out to connected clients by permission.
type hub struct {
	mu      sync.RWMutex
	clients map[*wsClient]struct{}
	m       *metrics
}

func newHub(m *metrics) *hub { return &hub{clients: map[*wsClient]struct{}{}, m: m} }

// add registers a client and returns how many sockets its user now has.
func (h *hub) add(c *wsClient) int {
	h.mu.Lock()
	h.clients[c] = struct{}{}
	n := h.countLocked(c.user.ID)
	h.mu.Unlock()
	h.m.wsClients.Inc()
	return n
}

// remove drops a client and returns how many sockets its user still has.
func (h *hub) remove(c *wsClient) int {
	h.mu.Lock()
	_, ok := h.clients[c]
	delete(h.clients, c)
	n := h.countLocked(c.user.ID)
	h.mu.Unlock()
	if ok {
		h.m.wsClients.Dec()
	}
	return n
}

func (h *hub) countLocked(userID string) int {
	n := 0
	for c := range h.clients {
		if c.user.ID == userID {
			n++
		}
	}
	return n
}

// setPresence tells the contact center that an operator's first socket
// opened ("online") or their last one closed ("offline"): assignment never
// waits on someone who closed the window. An opening only turns offline
// into online, so an operator who stepped away stays away in a new tab. A
// closing counts only if no socket is back after a grace period: reloading
// the page closes its socket a moment before the new page opens one, and
// that should neither show the operator offline nor undo their "away".
func (g *Gateway) setPresence(u User, presence string) {
	if u.ID == "" || !contains(u.Permissions, perm.RequestsRead) {
		return
	}
	const grace = 5 * time.Second
	p := principal.Principal{UserID: u.ID, Login: u.Login, Role: u.Role, Permissions: u.Permissions}
	put := func(body map[string]string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return g.cc.call(ctx, http.MethodPut, "/presence", p, body, nil)
	}
	if presence == "online" {
		if err := put(map[string]string{"presence": "online", "if": "offline"}); err != nil {
			slog.Warn("gateway: presence not recorded", "err", err)
		}
		return
	}
	// When Okno stops, the operator is offline now, while the contact
	// center still answers.
	select {
	case <-time.After(grace):
	case <-g.stopping:
	}
	if _, back := g.hub.user(u.ID); back {
		return
	}
	if err := put(map[string]string{"presence": presence}); err != nil {
		slog.Warn("gateway: presence not recorded", "err", err)
		return
	}
	// A socket that opened while this was on its way found the operator
	// not yet offline and left the presence alone.
	if _, back := g.hub.user(u.ID); back {
		if err := put(map[string]string{"presence": "online", "if": "offline"}); err != nil {
			slog.Warn("gateway: presence not recorded", "err", err)
		}
	}
}

// broadcast sends frame to every client whose permissions it suits.
func (h *hub) broadcast(frame []byte, suits func(perms []string) bool) {
	h.broadcastAll([]outFrame{{frame, suits}})
}

// outFrame is one frame of a push and who may have it.
type outFrame struct {
	frame []byte
	suits func(perms []string) bool
}

// broadcastAll sends each client, as one message, the frames of a push its
// permissions suit: a burst of call changes then costs every socket one
// write, not one per change (with 200 screens open, the writes were most of
// the gateway's work). Clients with the same permissions share the message.
// A client too slow to take it is disconnected: it reconnects and resyncs
// over REST, which is better than holding everyone else back.
func (h *hub) broadcastAll(out []outFrame) {
	if len(out) == 0 {
		return
	}
	byPerms := map[string][]byte{}
	h.mu.RLock()
	defer h.mu.RUnlock()
	for c := range h.clients {
		msg, ok := byPerms[c.permKey]
		if !ok {
			var frames [][]byte
			for _, o := range out {
				if o.suits(c.user.Permissions) {
					frames = append(frames, o.frame)
				}
			}
			msg = joinFrames(frames)
			byPerms[c.permKey] = msg
		}
		if msg == nil {
			continue
		}
		select {
		case c.send <- msg:
			h.m.pushed.Inc()
		default:
			h.m.dropped.Inc()
			c.kill()
		}
	}
}

// joinPerms is the key clients with the same permissions share.
func joinPerms(perms []string) string {
	sorted := slices.Clone(perms)
	slices.Sort(sorted)
	return strings.Join(sorted, ",")
}

// joinFrames makes one WebSocket message of frames: the frame itself when
// there is one, else a JSON array of them (nested arrays are flattened).
// nil when there are none.
func joinFrames(frames [][]byte) []byte {
	switch len(frames) {
	case 0:
		return nil
	case 1:
		return frames[0]
	}
	n := 1
	for _, f := range frames {
		n += len(f) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for i, f := range frames {
		if i > 0 {
			b = append(b, ',')
		}
		if len(f) > 1 && f[0] == '[' {
			f = f[1 : len(f)-1]
		}
		b = append(b, f...)
	}
	return append(b, ']')
}

// closeWhere ends the sockets of the clients match selects.
func (h *hub) closeWhere(match func(c *wsClient) bool, code websocket.StatusCode, why string) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for c := range h.clients {
		if match(c) {
			c.end(code, why)
		}
	}
}

// user finds a connected user by id.
func (h *hub) user(id string) (User, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for c := range h.clients {
		if c.user.ID == id {
			return c.user, true
		}
	}
	return User{}, false
}

// sendTo sends a frame to every socket of one user.
func (h *hub) sendTo(id string, frame []byte) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for c := range h.clients {
		if c.user.ID != id {
			continue
		}
		select {
		case c.send <- frame:
			h.m.pushed.Inc()
		default:
			h.m.dropped.Inc()
			c.kill()
		}
	}
}

// size is how many sockets are connected.
func (h *hub) size() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.clients)
}

func (h *hub) closeAll() {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for c := range h.clients {
		c.kill()
	}
}

func (g *Gateway) handleWS(w http.ResponseWriter, r *http.Request) {
	cl := callerFrom(r.Context())
	u := cl.User
	// Accept checks that the Origin is our own host, so another site cannot
	// ride a manager's cookie into the socket.
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer conn.CloseNow()
	// Two contexts: ctx ends when the gateway drops the client (kill), gone
	// when the peer goes away. The reader must not stop on kill, or it would
	// tear the connection down before the close frame with our code is out.
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	defer cancel()
	gone := conn.CloseRead(context.WithoutCancel(r.Context()))
	c := &wsClient{user: u, sessionID: cl.SessionID, tokenID: cl.TokenID, permKey: joinPerms(u.Permissions),
		send: make(chan []byte, 2048), kill: cancel}
	if g.hub.add(c) == 1 {
		go g.setPresence(u, "online")
	}
	defer func() {
		// Counted before the socket leaves the hub: Run waits, once the
		// hub is empty, for the operators going offline.
		g.presencePending.Add(1)
		if g.hub.remove(c) == 0 {
			go func() { defer g.presencePending.Add(-1); g.setPresence(u, "offline") }()
		} else {
			g.presencePending.Add(-1)
		}
	}()
	hello, _ := json.Marshal(Frame{Type: "hello", Data: map[string]User{"user": u}})
	if err := g.write(ctx, conn, hello); err != nil {
		return
	}
	ping := time.NewTicker(25 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-gone.Done():
			return
		case <-ctx.Done():
			if why := c.closing.Load(); why != nil {
				conn.Close(why.code, why.why)
			} else {
				conn.Close(websocket.StatusGoingAway, "closing")
			}
			return
		case f := <-c.send:
			// Whatever queued up behind it goes out in the same message.
			frames, size := [][]byte{f}, len(f)
		more:
			for size < 256<<10 {
				select {
				case f := <-c.send:
					frames, size = append(frames, f), size+len(f)
				default:
					break more
				}
			}
			if err := g.write(ctx, conn, joinFrames(frames)); err != nil {
				return
			}
		case <-ping.C:
			pctx, pcancel := context.WithTimeout(ctx, 10*time.Second)
			err := conn.Ping(pctx)
			pcancel()
			if err != nil {
				return
			}
		}
	}
}

func (g *Gateway) write(ctx context.Context, conn *websocket.Conn, frame []byte) error {
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return conn.Write(wctx, websocket.MessageText, frame)
}

// sinceStart follows subjects from the gateway's start rather than from
// whenever the consumer happens to be set up: an event published in between
// (a request from the first second after a restart, a user blocked then)
// is not missed.
func (g *Gateway) sinceStart(subjects ...string) jetstream.OrderedConsumerConfig {
	since := g.started
	return jetstream.OrderedConsumerConfig{FilterSubjects: subjects, DeliverPolicy: jetstream.DeliverByStartTimePolicy, OptStartTime: &since}
}

// pushEvents follows the contact center's request events since the start and
// pushes each request, fetched fresh from its owner, to managers who may
// read it. Events carry ids only; the data comes through the service's API,
// fetched for many events at once when they arrive in a burst.
func (g *Gateway) pushEvents(ctx context.Context) {
	queue := make(chan events.Envelope, 4096)
	go g.pushLoop(ctx, queue)
	// One consumer for all the contact center's events (NATS 2.9, which a
	// clinic may run, has no multi-subject filters); pushBatch passes over
	// the kinds no screen shows. Separate consumers per kind were tried:
	// creating several at once raced, inside nats-server 2.15.2, with a
	// stream update from another service starting (go test -race).
	g.follow(ctx, "contactcenter.>", func(e events.Envelope) {
		if e.Type == "contactcenter.call.ringing" {
			// A phone is ringing: its card must not wait behind the
			// batches of list updates being fetched, nor behind other
			// cards (each is read and audited on its own, and concurrent
			// audits share one commit).
			g.popups <- struct{}{}
			go func() {
				defer func() { <-g.popups }()
				g.pushPopup(ctx, e)
			}()
			return
		}
		select {
		case queue <- e:
		case <-ctx.Done():
		}
	})
}

// follow hands every event on subject since the gateway started to handle,
// in order, until ctx ends, reconnecting when the bus goes away.
func (g *Gateway) follow(ctx context.Context, subject string, handle func(events.Envelope)) {
	for ctx.Err() == nil {
		cons, err := g.cfg.JS.OrderedConsumer(ctx, bus.Stream, g.sinceStart(subject))
		var cc jetstream.ConsumeContext
		if err == nil {
			cc, err = cons.Consume(func(m jetstream.Msg) {
				var e events.Envelope
				if json.Unmarshal(m.Data(), &e) == nil {
					handle(e)
				}
			})
		}
		if err != nil {
			slog.Warn("gateway: cannot follow events, retrying", "subject", subject, "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			continue
		}
		<-ctx.Done()
		cc.Stop()
	}
}

func (g *Gateway) pushLoop(ctx context.Context, queue <-chan events.Envelope) {
	const most = 200
	for {
		var batch []events.Envelope
		select {
		case <-ctx.Done():
			return
		case e := <-queue:
			batch = append(batch, e)
		}
	drain:
		for len(batch) < most {
			select {
			case e := <-queue:
				batch = append(batch, e)
			default:
				break drain
			}
		}
		g.pushBatch(ctx, batch)
	}
}

// pushed is how one kind of contact-center event reaches the screens: the
// list path its items are fetched fresh from, the id field of the event,
// and the permission a viewer needs.
type pushed struct {
	path, idField, perm string
}

var pushKinds = map[string]pushed{
	"request": {"/requests", "request_id", perm.RequestsRead},
	"call":    {"/calls", "call_id", perm.CallsRead},
	"task":    {"/tasks", "task_id", perm.TasksRead},
}

func (g *Gateway) pushBatch(ctx context.Context, batch []events.Envelope) {
	var out []outFrame
	byKind := map[string][]events.Envelope{}
	for _, e := range batch {
		typ := strings.TrimPrefix(e.Type, "contactcenter.")
		kind, _, _ := strings.Cut(typ, ".")
		switch {
		case typ == "operator.presence":
			frame, _ := json.Marshal(Frame{Type: typ, Data: e.Data})
			out = append(out, outFrame{frame, func(p []string) bool { return contains(p, perm.BoardRead) }})
		case pushKinds[kind].path != "":
			byKind[kind] = append(byKind[kind], e)
		}
	}
	for _, kind := range []string{"request", "call", "task"} {
		if evs := byKind[kind]; len(evs) > 0 {
			out = append(out, g.pushItems(ctx, pushKinds[kind], evs)...)
		}
	}
	g.hub.broadcastAll(out)
}

// pushItems fetches the items a batch of events is about, in two views —
// unmasked for those who may see phones and e-mails, masked for everyone
// else allowed — and makes a frame of each event with its item.
func (g *Gateway) pushItems(ctx context.Context, k pushed, batch []events.Envelope) []outFrame {
	var idList []string
	idOf := func(e events.Envelope) string {
		var d map[string]any
		_ = json.Unmarshal(e.Data, &d)
		id, _ := d[k.idField].(string)
		return id
	}
	for _, e := range batch {
		if id := idOf(e); id != "" && !slices.Contains(idList, id) {
			idList = append(idList, id)
		}
	}
	if len(idList) == 0 {
		return nil
	}
	full, err := g.fetchItems(ctx, k.path, idList, principal.System(k.perm, perm.PatientsReadPD))
	if err != nil {
		slog.Warn("gateway: items to push not readable", "path", k.path, "err", err)
		return nil
	}
	masked, err := g.fetchItems(ctx, k.path, idList, principal.System(k.perm))
	if err != nil {
		slog.Warn("gateway: items to push not readable", "path", k.path, "err", err)
		return nil
	}
	seesPD := func(p []string) bool { return contains(p, k.perm) && contains(p, perm.PatientsReadPD) }
	seesMasked := func(p []string) bool { return contains(p, k.perm) && !contains(p, perm.PatientsReadPD) }
	// A call's state changes several times a second while it connects;
	// the screens need only its latest state, so a batch sends one frame a
	// call (the data is fetched fresh, so it is the latest anyway).
	if k.path == "/calls" {
		last := map[string]int{}
		for i, e := range batch {
			last[idOf(e)] = i
		}
		kept := batch[:0:0]
		for i, e := range batch {
			if last[idOf(e)] == i {
				kept = append(kept, e)
			}
		}
		batch = kept
	}
	var out []outFrame
	for _, e := range batch {
		id := idOf(e)
		typ := strings.TrimPrefix(e.Type, "contactcenter.")
		only := func(p []string) bool { return true }
		if typ == "task.escalated" {
			// Overdue work goes up to whoever watches the board.
			only = func(p []string) bool { return contains(p, perm.BoardRead) }
		}
		if data, ok := full[id]; ok {
			frame, _ := json.Marshal(Frame{Type: typ, Data: data})
			out = append(out, outFrame{frame, func(p []string) bool { return seesPD(p) && only(p) }})
		}
		if data, ok := masked[id]; ok {
			frame, _ := json.Marshal(Frame{Type: typ, Data: data})
			out = append(out, outFrame{frame, func(p []string) bool { return seesMasked(p) && only(p) }})
		}
	}
	return out
}

// pushPopup sends the incoming-call card to the operator whose phone
// rings, fetched with that operator's own permissions (so masked as they
// may see it, and audited as their access).
func (g *Gateway) pushPopup(ctx context.Context, e events.Envelope) {
	var d struct {
		CallID     string `json:"call_id"`
		OperatorID string `json:"operator_id"`
	}
	if json.Unmarshal(e.Data, &d) != nil || d.CallID == "" || d.OperatorID == "" {
		return
	}
	u, ok := g.hub.user(d.OperatorID)
	if !ok || !contains(u.Permissions, perm.CallsRead) {
		return
	}
	p := principal.Principal{UserID: u.ID, Login: u.Login, Role: u.Role, Permissions: u.Permissions}
	var pop json.RawMessage
	if err := g.cc.call(ctx, http.MethodGet, "/calls/"+url.PathEscape(d.CallID)+"/popup", p, nil, &pop); err != nil {
		slog.Warn("gateway: incoming-call card not readable", "err", err)
		return
	}
	frame, _ := json.Marshal(Frame{Type: "call.ringing", Data: pop})
	g.hub.sendTo(d.OperatorID, frame)
}

func (g *Gateway) fetchRequests(ctx context.Context, idList []string, p principal.Principal) (map[string]json.RawMessage, error) {
	return g.fetchItems(ctx, "/requests", idList, p)
}

func (g *Gateway) fetchItems(ctx context.Context, path string, idList []string, p principal.Principal) (map[string]json.RawMessage, error) {
	var page struct {
		Items []json.RawMessage `json:"items"`
	}
	q := path + "?limit=200&ids=" + url.QueryEscape(strings.Join(idList, ","))
	if err := g.cc.call(ctx, http.MethodGet, q, p, nil, &page); err != nil {
		return nil, err
	}
	byID := make(map[string]json.RawMessage, len(page.Items))
	for _, it := range page.Items {
		var r struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(it, &r)
		byID[r.ID] = it
	}
	return byID, nil
}

// followIdentity follows identity's events since the start and closes the
// WebSockets whose credential ended (blocked user, revoked session or
// token) or whose permissions changed. Authentication is checked once, at
// connect; this is what keeps a blocked user from watching the inbox.
func (g *Gateway) followIdentity(ctx context.Context) {
	g.follow(ctx, "identity.>", g.applyIdentityEvent)
}

func (g *Gateway) applyIdentityEvent(e events.Envelope) {
	var d struct {
		UserID    string `json:"user_id"`
		SessionID string `json:"session_id"`
		TokenID   string `json:"token_id"`
		RoleID    string `json:"role_id"`
		Role      string `json:"role"`
		Blocked   bool   `json:"blocked"`
	}
	if json.Unmarshal(e.Data, &d) != nil {
		return
	}
	ofUser := func(c *wsClient) bool { return d.UserID != "" && c.user.ID == d.UserID }
	switch e.Type {
	case "identity.user.blocked":
		g.hub.closeWhere(ofUser, CloseSessionEnded, "user blocked")
	case "identity.session.revoked":
		g.hub.closeWhere(func(c *wsClient) bool { return d.SessionID != "" && c.sessionID == d.SessionID }, CloseSessionEnded, "session revoked")
	case "identity.token.revoked":
		g.hub.closeWhere(func(c *wsClient) bool { return d.TokenID != "" && c.tokenID == d.TokenID }, CloseSessionEnded, "token revoked")
	case "identity.user.updated":
		if d.Blocked {
			g.hub.closeWhere(ofUser, CloseSessionEnded, "user blocked")
			return
		}
		g.hub.closeWhere(func(c *wsClient) bool { return ofUser(c) && c.user.Role != d.Role }, ClosePermissionsChanged, "role changed")
	case "identity.user.two_factor_disabled":
		g.hub.closeWhere(ofUser, ClosePermissionsChanged, "two-factor disabled")
	case "identity.role.updated":
		g.hub.closeWhere(func(c *wsClient) bool { return d.RoleID != "" && c.user.Role == d.RoleID }, ClosePermissionsChanged, "role changed")
	}
}
