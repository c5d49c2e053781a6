package contactcenter

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/okno-crm/okno/internal/ids"
	"github.com/okno-crm/okno/internal/problem"
	"github.com/okno-crm/okno/internal/telephony"
)

// PBX integration kinds.
const (
	PBXGeneric  = telephony.ProviderGeneric
	PBXMango    = telephony.ProviderMango
	PBXZadarma  = telephony.ProviderZadarma
	PBXAsterisk = telephony.ProviderAsterisk
)

// PBXKinds lists the kinds an administrator may add.
var PBXKinds = []string{PBXGeneric, PBXMango, PBXZadarma, PBXAsterisk}

// PBXSettings are an integration's settings that are not secret.
type PBXSettings struct {
	// Mango: the VPBX's unique code (vpbx_api_key); it is sent in every
	// delivery, so it identifies rather than protects.
	MangoAPIKey string `json:"mango_api_key,omitempty"`
	// Zadarma: the API key paired with the secret (for click-to-call).
	ZadarmaKey string `json:"zadarma_key,omitempty"`
	// Asterisk: the AMI address and user; click-to-call rings
	// OriginateChannel (with {ext} replaced by the operator's extension)
	// and sends it to the number in OriginateContext.
	AMIAddr          string `json:"ami_addr,omitempty"`
	AMIUsername      string `json:"ami_username,omitempty"`
	OriginateChannel string `json:"originate_channel,omitempty"`
	OriginateContext string `json:"originate_context,omitempty"`
	// APIBase overrides the provider's API address (a test peer, a
	// regional endpoint).
	APIBase string `json:"api_base,omitempty"`
}

// PBXIntegration is one PBX connected to Okno.
type PBXIntegration struct {
	ID         string      `json:"id"`
	Kind       string      `json:"kind"`
	Name       string      `json:"name"`
	QueueID    string      `json:"queue_id"`
	Settings   PBXSettings `json:"settings"`
	Active     bool        `json:"active"`
	WebhookURL string      `json:"webhook_url,omitempty"`
	// Secret is shown once, in the answer that created (or rotated) it.
	Secret    string    `json:"secret,omitempty"`
	HasSecret bool      `json:"has_secret"`
	CreatedAt time.Time `json:"created_at"`

	webhookKey string
	secret     string // plaintext, only inside the service
}

// NewPBX is an administrator's request to connect a PBX.
type NewPBX struct {
	Kind     string      `json:"kind"`
	Name     string      `json:"name"`
	QueueID  string      `json:"queue_id"`
	Secret   string      `json:"secret"` // Mango salt, Zadarma secret, AMI password; generated for generic
	Settings PBXSettings `json:"settings"`
}

func newWebhookSecret() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return telephony.NewWebhookSecret(b)
}

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (in *NewPBX) validate() []problem.FieldError {
	var fe []problem.FieldError
	bad := func(f, m string) { fe = append(fe, problem.FieldError{Field: f, Message: m}) }
	switch in.Kind {
	case PBXGeneric, PBXMango, PBXZadarma, PBXAsterisk:
	case "":
		bad("kind", "required")
	default:
		bad("kind", fmt.Sprintf("must be one of %s", strings.Join(PBXKinds, ", ")))
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len(in.Name) > 100 {
		bad("name", "required, at most 100 characters")
	}
	if in.QueueID != "" && !ids.Valid(in.QueueID) {
		bad("queue_id", "not a queue id")
	}
	st := in.Settings
	if len(in.Secret) > 500 {
		bad("secret", "at most 500 characters")
	}
	switch in.Kind {
	case PBXGeneric:
		if in.Secret != "" {
			if _, err := telephony.ParseWebhookSecret(in.Secret); err != nil {
				bad("secret", "must be a Standard Webhooks secret whsec_<base64>, or empty to have one generated")
			}
		}
	case PBXMango:
		if st.MangoAPIKey == "" {
			bad("settings.mango_api_key", "required: the VPBX's unique code from the Mango Office account")
		}
		if in.Secret == "" {
			bad("secret", "required: the VPBX's signing key (salt) from the Mango Office account")
		}
	case PBXZadarma:
		if in.Secret == "" {
			bad("secret", "required: the API secret from the Zadarma account")
		}
	case PBXAsterisk:
		if st.AMIAddr == "" {
			bad("settings.ami_addr", "required: host:port of the Asterisk Manager Interface")
		}
		if st.AMIUsername == "" {
			bad("settings.ami_username", "required")
		}
		if in.Secret == "" {
			bad("secret", "required: the AMI user's secret")
		}
		if st.OriginateChannel != "" && !strings.Contains(st.OriginateChannel, "{ext}") {
			bad("settings.originate_channel", "must contain {ext}, e.g. PJSIP/{ext}")
		}
	}
	if st.APIBase != "" && !strings.HasPrefix(st.APIBase, "https://") && !strings.HasPrefix(st.APIBase, "http://127.0.0.1") {
		bad("settings.api_base", "must be an https:// address")
	}
	return fe
}

// CreatePBX connects a PBX. A generic integration gets a generated
// whsec_ secret unless one is given; the answer carries it once.
func (s *Service) CreatePBX(ctx context.Context, actorID string, in NewPBX) (PBXIntegration, error) {
	if fe := in.validate(); len(fe) > 0 {
		return PBXIntegration{}, problem.Fields(fe)
	}
	if in.Kind == PBXGeneric && in.Secret == "" {
		in.Secret = newWebhookSecret()
	}
	if in.QueueID != "" {
		if _, err := s.queue(ctx, s.DB.R, in.QueueID); err != nil {
			return PBXIntegration{}, problem.Fields([]problem.FieldError{{Field: "queue_id", Message: "no such queue"}})
		}
	}
	now := s.Now().UTC()
	p := PBXIntegration{ID: ids.New(), Kind: in.Kind, Name: in.Name, QueueID: in.QueueID, Settings: in.Settings,
		Active: true, CreatedAt: now, webhookKey: randomToken(18), secret: in.Secret}
	ring, err := s.keys.Ring(ctx)
	if err != nil {
		return PBXIntegration{}, err
	}
	sealed, err := ring.Seal(in.Secret, aad("pbx_integrations", p.ID, "secret"))
	if err != nil {
		return PBXIntegration{}, err
	}
	settings, _ := json.Marshal(in.Settings)
	_, err = s.DB.W.ExecContext(ctx, `INSERT INTO pbx_integrations (id, kind, name, webhook_key, secret_sealed, settings, queue_id, active, created_by, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, TRUE, $8, $9, $9)`, p.ID, p.Kind, p.Name, p.webhookKey, sealed, string(settings), p.QueueID, actorID, now)
	if err != nil {
		return PBXIntegration{}, fmt.Errorf("contactcenter: create PBX integration: %w", err)
	}
	s.pbxCache.drop()
	p.HasSecret = true
	p.WebhookURL = s.webhookURL(p)
	p.Secret = in.Secret
	s.pbxChanged()
	return p, nil
}

// webhookURL is where the PBX posts. The key in the path is random and
// only names the integration; every delivery must still be signed.
func (s *Service) webhookURL(p PBXIntegration) string {
	if p.Kind == PBXAsterisk {
		return "" // Okno connects to the AMI; nothing posts to us
	}
	return strings.TrimRight(s.PublicURL, "/") + "/api/v1/telephony/webhooks/" + p.webhookKey
}

const pbxSelect = `SELECT id, kind, name, webhook_key, secret_sealed, settings, queue_id, active, created_at FROM pbx_integrations`

func (s *Service) scanPBX(ctx context.Context, row interface{ Scan(...any) error }) (PBXIntegration, error) {
	var p PBXIntegration
	var sealed, settings string
	if err := row.Scan(&p.ID, &p.Kind, &p.Name, &p.webhookKey, &sealed, &settings, &p.QueueID, &p.Active, &p.CreatedAt); err != nil {
		return PBXIntegration{}, err
	}
	if err := json.Unmarshal([]byte(settings), &p.Settings); err != nil {
		return PBXIntegration{}, fmt.Errorf("contactcenter: PBX %s settings: %w", p.ID, err)
	}
	ring, err := s.keys.Ring(ctx)
	if err != nil {
		return PBXIntegration{}, err
	}
	if p.secret, err = ring.Open(sealed, aad("pbx_integrations", p.ID, "secret")); err != nil {
		return PBXIntegration{}, fmt.Errorf("contactcenter: PBX %s secret: %w", p.ID, err)
	}
	p.HasSecret = p.secret != ""
	p.WebhookURL = s.webhookURL(p)
	p.CreatedAt = p.CreatedAt.UTC()
	return p, nil
}

// ListPBX lists the integrations, without their secrets.
func (s *Service) ListPBX(ctx context.Context) ([]PBXIntegration, error) {
	rows, err := s.DB.R.QueryContext(ctx, pbxSelect+` ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("contactcenter: list PBX integrations: %w", err)
	}
	defer rows.Close()
	out := []PBXIntegration{}
	for rows.Next() {
		p, err := s.scanPBX(ctx, rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// PBXPatch changes an integration: name, queue, active, or a new secret.
type PBXPatch struct {
	Name    *string `json:"name"`
	QueueID *string `json:"queue_id"`
	Active  *bool   `json:"active"`
	Secret  *string `json:"secret"`
}

// UpdatePBX applies a patch.
func (s *Service) UpdatePBX(ctx context.Context, id string, in PBXPatch) (PBXIntegration, error) {
	p, err := s.scanPBX(ctx, s.DB.R.QueryRowContext(ctx, pbxSelect+` WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return PBXIntegration{}, problem.New(problem.NotFound, "no such PBX integration")
	}
	if err != nil {
		return PBXIntegration{}, err
	}
	nw := NewPBX{Kind: p.Kind, Name: p.Name, QueueID: p.QueueID, Secret: p.secret, Settings: p.Settings}
	if in.Name != nil {
		nw.Name = *in.Name
	}
	if in.QueueID != nil {
		nw.QueueID = *in.QueueID
	}
	if in.Secret != nil {
		nw.Secret = *in.Secret
		if p.Kind == PBXGeneric && nw.Secret == "" {
			nw.Secret = newWebhookSecret()
		}
	}
	if fe := nw.validate(); len(fe) > 0 {
		return PBXIntegration{}, problem.Fields(fe)
	}
	if in.Active != nil {
		p.Active = *in.Active
	}
	ring, err := s.keys.Ring(ctx)
	if err != nil {
		return PBXIntegration{}, err
	}
	sealed, err := ring.Seal(nw.Secret, aad("pbx_integrations", p.ID, "secret"))
	if err != nil {
		return PBXIntegration{}, err
	}
	if _, err := s.DB.W.ExecContext(ctx, `UPDATE pbx_integrations SET name = $2, queue_id = $3, active = $4, secret_sealed = $5, updated_at = $6 WHERE id = $1`,
		id, nw.Name, nw.QueueID, p.Active, sealed, s.Now().UTC()); err != nil {
		return PBXIntegration{}, fmt.Errorf("contactcenter: update PBX integration: %w", err)
	}
	s.pbxCache.drop()
	s.pbxChanged()
	p.Name, p.QueueID = nw.Name, nw.QueueID
	if in.Secret != nil {
		p.Secret = nw.Secret
	}
	return p, nil
}

// PBXByWebhookKey finds an active integration by its webhook key.
func (s *Service) PBXByWebhookKey(ctx context.Context, key string) (PBXIntegration, error) {
	// Every delivery needs its integration's secret.
	byKey, err := s.pbxCache.get(s.Now(), func() (map[string]PBXIntegration, error) {
		all, err := s.ListPBX(ctx)
		if err != nil {
			return nil, err
		}
		m := make(map[string]PBXIntegration, len(all))
		for _, p := range all {
			m[p.webhookKey] = p
		}
		return m, nil
	})
	if err != nil {
		return PBXIntegration{}, err
	}
	p, ok := byKey[key]
	if !ok || !p.Active {
		return PBXIntegration{}, problem.New(problem.NotFound, "no such webhook")
	}
	return p, nil
}

// PBXByID returns an integration with its secret, for the adapters.
func (s *Service) PBXByID(ctx context.Context, id string) (PBXIntegration, error) {
	p, err := s.scanPBX(ctx, s.DB.R.QueryRowContext(ctx, pbxSelect+` WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return PBXIntegration{}, problem.New(problem.NotFound, "no such PBX integration")
	}
	return p, err
}

// SigningSecret is the integration's secret, for in-process callers that
// play the PBX's part (the demo's simulated PBX, benchmarks).
func (p PBXIntegration) SigningSecret() string { return p.secret }

// WebhookPath is the path part of the webhook URL.
func (p PBXIntegration) WebhookPath() string {
	if p.webhookKey == "" {
		return ""
	}
	return "/api/v1/telephony/webhooks/" + p.webhookKey
}
