package contactcenter

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/okno-crm/okno/internal/ids"
	"github.com/okno-crm/okno/internal/problem"
	"github.com/okno-crm/okno/internal/telephony"
)

// amiRunner keeps one AMI connection per active Asterisk integration.
type amiRunner struct {
	mu      sync.Mutex
	running map[string]*amiConn
	changed chan struct{}
}

type amiConn struct {
	client *telephony.AMIClient
	cancel context.CancelFunc
	secret string
	addr   string
}

func (s *Service) pbxChanged() {
	select {
	case s.ami.changed <- struct{}{}:
	default:
	}
}

// runAMI connects to every active Asterisk integration and keeps the set of
// connections in step with the integrations until ctx ends.
func (s *Service) runAMI(ctx context.Context) {
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		if err := s.reconcileAMI(ctx); err != nil && ctx.Err() == nil {
			slog.Warn("contactcenter: AMI integrations not read", "err", err)
		}
		select {
		case <-ctx.Done():
			s.ami.mu.Lock()
			for id, c := range s.ami.running {
				c.cancel()
				delete(s.ami.running, id)
			}
			s.ami.mu.Unlock()
			return
		case <-s.ami.changed:
		case <-t.C:
		}
	}
}

func (s *Service) reconcileAMI(ctx context.Context) error {
	list, err := s.ListPBX(ctx)
	if err != nil {
		return err
	}
	s.ami.mu.Lock()
	defer s.ami.mu.Unlock()
	if s.ami.running == nil {
		s.ami.running = map[string]*amiConn{}
	}
	want := map[string]PBXIntegration{}
	for _, p := range list {
		if p.Kind == PBXAsterisk && p.Active && p.secret != "" {
			want[p.ID] = p
		}
	}
	for id, c := range s.ami.running {
		if p, ok := want[id]; !ok || p.secret != c.secret || p.Settings.AMIAddr != c.addr {
			c.cancel()
			delete(s.ami.running, id)
		}
	}
	for id, p := range want {
		if _, ok := s.ami.running[id]; ok {
			continue
		}
		cctx, cancel := context.WithCancel(ctx)
		p := p
		client := telephony.NewAMIClient(telephony.AMIConfig{
			Addr: p.Settings.AMIAddr, Username: p.Settings.AMIUsername, Secret: p.secret, Now: s.Now,
			OnEvent: func(e telephony.Event) { s.enqueueCallEvent(p, e) },
			OnConnection: func(err error) {
				if err != nil {
					slog.Warn("contactcenter: AMI connection ended", "integration", p.ID, "err", err)
				}
			},
		})
		s.ami.running[id] = &amiConn{client: client, cancel: cancel, secret: p.secret, addr: p.Settings.AMIAddr}
		go func() {
			if err := client.Run(cctx); errors.Is(err, telephony.ErrAMIAuth) {
				slog.Error("contactcenter: the AMI refused the integration's credentials", "integration", p.ID)
			}
		}()
	}
	return nil
}

// DialInput is a click-to-call: the operator's phone rings first, then the
// PBX dials the contact.
type DialInput struct {
	ContactID     string `json:"contact_id"`
	IntegrationID string `json:"integration_id"`
}

// Dial places a click-to-call through the PBX that can: the chosen
// integration, else the first active one able to place calls.
func (s *Service) Dial(ctx context.Context, userID string, in DialInput) error {
	if !ids.Valid(in.ContactID) {
		return problem.Field("contact_id", "required: a contact id")
	}
	if in.IntegrationID != "" && !ids.Valid(in.IntegrationID) {
		return problem.Field("integration_id", "not an integration id")
	}
	c, err := s.FindContactByID(ctx, in.ContactID)
	if err != nil {
		return err
	}
	if c.Phone == "" {
		return problem.Field("contact_id", "the contact has no phone number")
	}
	var ext string
	err = s.DB.R.QueryRowContext(ctx, `SELECT extension FROM operator_state WHERE user_id = $1`, userID).Scan(&ext)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if ext == "" {
		return problem.New(problem.Conflict, "you have no telephone extension; an administrator sets it on the operators page")
	}
	list, err := s.ListPBX(ctx)
	if err != nil {
		return err
	}
	var p *PBXIntegration
	for i := range list {
		if !list[i].Active || list[i].Kind == PBXGeneric || (in.IntegrationID != "" && list[i].ID != in.IntegrationID) {
			continue
		}
		p = &list[i]
		break
	}
	if p == nil {
		return problem.New(problem.Conflict, "no connected PBX can place calls from Okno (a generic webhook only reports calls)")
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	number := strings.TrimPrefix(c.Phone, "+")
	switch p.Kind {
	case PBXAsterisk:
		s.ami.mu.Lock()
		conn := s.ami.running[p.ID]
		s.ami.mu.Unlock()
		if conn == nil {
			return problem.New(problem.Unavailable, "the Asterisk connection is not up; try again shortly")
		}
		channel := strings.ReplaceAll(p.Settings.OriginateChannel, "{ext}", ext)
		if channel == "" {
			channel = "PJSIP/" + ext
		}
		octx := p.Settings.OriginateContext
		if octx == "" {
			octx = "from-internal"
		}
		_, err = conn.client.Originate(ctx, telephony.OriginateRequest{Channel: channel, Exten: number, Context: octx, Timeout: 30 * time.Second})
	case PBXMango:
		api := &telephony.MangoAPI{BaseURL: p.Settings.APIBase, Mango: &telephony.Mango{APIKey: p.Settings.MangoAPIKey, Salt: p.secret}}
		err = api.Callback(ctx, ids.New(), ext, number)
	case PBXZadarma:
		api := &telephony.ZadarmaAPI{BaseURL: p.Settings.APIBase, Key: p.Settings.ZadarmaKey, Secret: p.secret}
		err = api.Callback(ctx, ext, c.Phone)
	}
	if err != nil {
		slog.Warn("contactcenter: click-to-call refused by the PBX", "integration", p.ID, "kind", p.Kind, "err", err)
		return problem.New(problem.Unavailable, "the PBX did not place the call; try again or dial by hand")
	}
	return nil
}
