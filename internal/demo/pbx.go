package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/okno-crm/okno/internal/contactcenter"
	"github.com/okno-crm/okno/internal/identity"
	"github.com/okno-crm/okno/internal/ids"
	"github.com/okno-crm/okno/internal/telephony"
)

// PBXName names the demo's simulated PBX among the integrations.
const PBXName = "Демо-АТС (симулятор)"

// Extensions are the demo staff's telephone extensions.
var Extensions = map[string]string{"operator": "101", "supervisor": "102"}

// PBX is the demo's simulated telephone exchange: it places believable
// calls — answered, missed, given up in the queue — through Okno's own
// generic webhook, signed exactly as a real PBX would sign them, so that a
// newcomer sees the window come alive over the real path.
type PBX struct {
	BaseURL string        // where Okno listens, e.g. http://127.0.0.1:8080
	Every   time.Duration // mean time between calls
	pbx     contactcenter.PBXIntegration
	client  *http.Client
	rng     *mrand.Rand
}

// SetupPBX connects the simulated PBX (once) and gives the demo staff their
// extensions.
func SetupPBX(ctx context.Context, id *identity.Service, cc *contactcenter.Service, baseURL string) (*PBX, error) {
	list, err := cc.ListPBX(ctx)
	if err != nil {
		return nil, err
	}
	var p contactcenter.PBXIntegration
	for _, it := range list {
		if it.Name == PBXName && it.Kind == contactcenter.PBXGeneric && it.Active {
			p = it
		}
	}
	if p.ID == "" {
		if p, err = cc.CreatePBX(ctx, "demo", contactcenter.NewPBX{Kind: contactcenter.PBXGeneric, Name: PBXName}); err != nil {
			return nil, err
		}
	}
	if id != nil {
		for login, ext := range Extensions {
			u, err := id.FindUserByLogin(ctx, login)
			if err != nil {
				continue // the demo users were replaced by the clinic's own
			}
			if err := cc.SetExtension(ctx, u.ID, ext); err != nil {
				slog.Warn("demo: extension not set", "err", err)
			}
		}
	}
	return &PBX{BaseURL: baseURL, Every: 8 * time.Second, pbx: p, client: &http.Client{Timeout: 5 * time.Second},
		rng: mrand.New(mrand.NewPCG(uint64(time.Now().UnixNano()), 7))}, nil
}

// Run places calls until ctx ends.
func (x *PBX) Run(ctx context.Context) {
	// A few regulars call more than once, so that misses merge into one
	// callback and the pop-up shows their history.
	regulars := make([]string, 6)
	for i := range regulars {
		regulars[i] = x.number()
	}
	for {
		wait := x.Every/2 + time.Duration(x.rng.Int64N(int64(x.Every)))
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		from := x.number()
		if x.rng.IntN(3) == 0 {
			from = regulars[x.rng.IntN(len(regulars))]
		}
		go x.call(ctx, from)
	}
}

func (x *PBX) number() string {
	return fmt.Sprintf("+7912%07d", x.rng.IntN(10_000_000))
}

// call plays one call: it rings an operator; most are answered and talked
// through, some ring out unanswered, some callers give up in the queue.
func (x *PBX) call(ctx context.Context, from string) {
	callID := "demo-" + ids.New()
	ext := "101"
	if x.rng.IntN(3) == 0 {
		ext = "102"
	}
	line := "+73432000000"
	send := func(typ string, kv ...string) bool {
		ev := map[string]string{"type": typ, "call_id": callID, "direction": "inbound", "from": from, "to": line,
			"at": time.Now().UTC().Format(time.RFC3339Nano)}
		for i := 0; i+1 < len(kv); i += 2 {
			ev[kv[i]] = kv[i+1]
		}
		return x.deliver(ctx, ev) == nil
	}
	pause := func(min, spread time.Duration) bool {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(min + time.Duration(x.rng.Int64N(int64(spread)))):
			return true
		}
	}
	if !send(telephony.TypeStarted) || !pause(time.Second, time.Second) {
		return
	}
	switch r := x.rng.IntN(100); {
	case r < 15: // gave up while waiting in the queue
		pause(3*time.Second, 5*time.Second)
		send(telephony.TypeEnded, "result", telephony.ResultAbandoned)
	case r < 40: // rang out
		send(telephony.TypeRinging, "extension", ext)
		pause(10*time.Second, 10*time.Second)
		send(telephony.TypeEnded, "result", telephony.ResultMissed, "extension", ext)
	default:
		send(telephony.TypeRinging, "extension", ext)
		if !pause(3*time.Second, 5*time.Second) {
			return
		}
		send(telephony.TypeAnswered, "extension", ext)
		if !pause(15*time.Second, 45*time.Second) {
			return
		}
		send(telephony.TypeEnded, "result", telephony.ResultAnswered, "extension", ext)
		send(telephony.TypeRecordingReady, "recording_url", x.BaseURL+"/demo/recordings/"+callID+".mp3")
	}
}

// deliver posts one event signed as Standard Webhooks says.
func (x *PBX) deliver(ctx context.Context, ev map[string]string) error {
	body, _ := json.Marshal(ev)
	id := "msg_" + ids.New()
	ts := time.Now().Unix()
	sig, err := telephony.SignStandardWebhook(x.pbx.SigningSecret(), id, ts, body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, x.BaseURL+x.pbx.WebhookPath(), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(telephony.HeaderWebhookID, id)
	req.Header.Set(telephony.HeaderWebhookTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(telephony.HeaderWebhookSignature, sig)
	resp, err := x.client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("demo PBX: Okno answered %d", resp.StatusCode)
	}
	return nil
}
