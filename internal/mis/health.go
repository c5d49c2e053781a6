package mis

import (
	"context"
	"database/sql"
	"log/slog"
	"net/url"
	"time"

	"github.com/okno-crm/okno/internal/auditlog"
	"github.com/okno-crm/okno/internal/mis/fhir"
	"github.com/okno-crm/okno/internal/principal"
)

// Health is what the administrator's MIS page shows: which MIS, whether
// calls to it are let through, how fresh the cache is and where the status
// feed stands. No credentials, no patient data.
type Health struct {
	Kind             string      `json:"kind"`
	BaseURL          string      `json:"base_url"`
	Breaker          string      `json:"breaker"`
	LastRefreshAt    *time.Time  `json:"last_refresh_at"`
	LastRefreshError string      `json:"last_refresh_error"`
	Feed             FeedState   `json:"feed"`
	Counts           CacheCounts `json:"counts"`
}

// CacheCounts count the cached reference data.
type CacheCounts struct {
	Branches    int `json:"branches"`
	Specialties int `json:"specialties"`
	Doctors     int `json:"doctors"`
	Services    int `json:"services"`
}

// breakerReporter is an adapter with a circuit breaker (the FHIR one).
type breakerReporter interface{ Breaker() *Breaker }

// Pinger is an adapter with a cheap live probe (FHIR: GET /metadata). An
// adapter without one is probed by reading its branches.
type Pinger interface {
	Ping(ctx context.Context) error
}

// capabilityReader is a FHIR adapter: GET /metadata is its cheap probe.
type capabilityReader interface {
	Capability(ctx context.Context) (*fhir.CapabilityStatement, error)
}

// Health reads the service's health.
func (s *Service) Health(ctx context.Context) (Health, error) {
	h := Health{Kind: s.Kind, BaseURL: redactURL(s.BaseURL), Breaker: "closed"}
	if s.Client == nil {
		h.Kind = "none"
	} else if br, ok := s.Client.(breakerReporter); ok && br.Breaker() != nil && br.Breaker().Open() {
		h.Breaker = "open"
	}
	at, err := s.RefreshedAt(ctx)
	if err != nil {
		return h, err
	}
	if !at.IsZero() {
		h.LastRefreshAt = &at
	}
	s.state.Lock()
	h.LastRefreshError = s.state.refreshError
	s.state.Unlock()
	if h.Feed, err = s.Feed(ctx); err != nil {
		return h, err
	}
	for _, c := range []struct {
		table string
		dst   *int
	}{{"branches", &h.Counts.Branches}, {"specialties", &h.Counts.Specialties}, {"doctors", &h.Counts.Doctors}, {"services", &h.Counts.Services}} {
		if err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+c.table).Scan(c.dst); err != nil {
			return h, err
		}
	}
	return h, nil
}

// redactURL drops credentials, query and fragment from a URL for display.
func redactURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

// CheckResult is one live probe of the MIS.
type CheckResult struct {
	OK        bool   `json:"ok"`
	LatencyMS int64  `json:"latency_ms"`
	Error     string `json:"error,omitempty"`
}

// Check probes the MIS now, through the adapter (and its breaker).
func (s *Service) Check(ctx context.Context) CheckResult {
	c, err := s.client()
	if err != nil {
		return CheckResult{Error: problemMessage(err)}
	}
	start := time.Now()
	switch probe := c.(type) {
	case Pinger:
		err = probe.Ping(ctx)
	case capabilityReader:
		_, err = probe.Capability(ctx)
	default:
		_, err = c.Branches(ctx)
	}
	r := CheckResult{OK: err == nil, LatencyMS: time.Since(start).Milliseconds()}
	if err != nil {
		r.Error = problemMessage(err)
	}
	return r
}

// RefreshLater starts a refresh of the cache in the background (at most one
// runs at a time) and records who asked for it.
func (s *Service) RefreshLater(ctx context.Context, p principal.Principal) error {
	now := s.Now().UTC()
	if err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		return auditlog.Emit(ctx, tx, ServiceName, auditObject(p, now, "mis.refresh", "mis", s.Kind, nil, auditlog.OutcomeSuccess))
	}); err != nil {
		return err
	}
	s.committed()
	go func() {
		rctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := s.Refresh(rctx); err != nil {
			slog.Warn("mis: cache refresh asked by an administrator failed", "err", err)
		}
	}()
	return nil
}
