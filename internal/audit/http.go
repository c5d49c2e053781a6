package audit

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/okno-crm/okno/internal/auditlog"
	"github.com/okno-crm/okno/internal/ids"
	"github.com/okno-crm/okno/internal/perm"
	"github.com/okno-crm/okno/internal/principal"
	"github.com/okno-crm/okno/internal/problem"
)

// MaxExportRows bounds one CSV export; the X-Okno-Next-Cursor header of a
// cut export continues it.
const MaxExportRows = 100000

// exportPage is how many rows an export reads per query: short reads keep
// a slow client from holding a database snapshot open for the whole download.
const exportPage = MaxLimit

// Handler is the audit service's internal HTTP API, called by the gateway.
func (s *Service) Handler(internalToken string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /audit", principal.Require(perm.AuditRead, s.handleList))
	mux.HandleFunc("GET /audit/export.csv", principal.Require(perm.AuditRead, s.handleExport))
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := s.DB.Ping(r.Context()); err != nil {
			problem.Write(w, r, problem.New(problem.Unavailable, "audit database unavailable"))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return principal.Middleware(internalToken, mux)
}

// ListResponse is a page of records.
type ListResponse struct {
	Items      []Entry `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

const maxParamLen = 200

// parseFilter reads the search parameters shared by the list and the
// export. "actor" is a user id (or "system") when it looks like one and a
// login otherwise: staff search by login, links from other pages carry ids.
func parseFilter(q url.Values, defLimit, maxLimit int) (Filter, []problem.FieldError) {
	f := Filter{ObjectID: q.Get("object"), ObjectType: q.Get("object_type"), Action: q.Get("action"), Limit: defLimit}
	var fe []problem.FieldError
	actor := q.Get("actor")
	if actor == "system" || ids.Valid(actor) {
		f.ActorID = actor
	} else {
		f.ActorLogin = actor
	}
	for _, p := range []string{"actor", "object", "object_type", "action"} {
		if v := q.Get(p); len(v) > maxParamLen || !utf8.ValidString(v) {
			fe = append(fe, problem.FieldError{Field: p, Message: fmt.Sprintf("must be valid text of at most %d bytes", maxParamLen)})
		}
	}
	for _, p := range []struct {
		name string
		t    *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				fe = append(fe, problem.FieldError{Field: p.name, Message: "must be an RFC 3339 time, e.g. 2026-11-21T09:00:00Z"})
			}
			*p.t = t
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		fe = append(fe, problem.FieldError{Field: "to", Message: "must be later than from"})
	}
	if v := q.Get("cursor"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			fe = append(fe, problem.FieldError{Field: "cursor", Message: "is not a cursor this API gave"})
		}
		f.Before = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			fe = append(fe, problem.FieldError{Field: "limit", Message: fmt.Sprintf("must be a number from 1 to %d", maxLimit)})
		}
		f.Limit = n
	}
	return f, fe
}

func (s *Service) handleList(w http.ResponseWriter, r *http.Request) {
	f, fe := parseFilter(r.URL.Query(), DefaultLimit, MaxLimit)
	if len(fe) > 0 {
		problem.Write(w, r, problem.Fields(fe))
		return
	}
	items, next, err := s.Find(r.Context(), f)
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	resp := ListResponse{Items: items}
	if next != "" {
		resp.NextCursor = &next
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(resp)
}

var csvHeader = []string{
	"seq", "at", "recorded_at", "service", "actor_id", "actor_login", "actor_role", "client_addr",
	"action", "object_type", "object_id", "fields", "outcome", "details", "event_id", "prev_hash", "hash",
}

// handleExport streams the selected records as CSV, newest first. The
// export is itself audited before anything is sent, and covers the trail as
// it stood then: its own record and later ones are left out, so that the
// row count and the continuation cursor are exact.
func (s *Service) handleExport(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, fe := parseFilter(q, MaxExportRows, MaxExportRows)
	if len(fe) > 0 {
		problem.Write(w, r, problem.Fields(fe))
		return
	}
	p := principal.From(r.Context())
	details := map[string]string{}
	for _, k := range []string{"actor", "object", "object_type", "action", "from", "to", "cursor", "limit"} {
		if v := q.Get(k); v != "" {
			details[k] = v
		}
	}
	own, err := s.record(r.Context(), auditlog.Record{
		At: s.Now(), ActorID: p.UserID, ActorLogin: p.Login, ActorRole: p.Role, ClientAddr: p.ClientAddr, Action: "audit.exported",
		ObjectType: "audit", Outcome: auditlog.OutcomeSuccess, Details: details,
	})
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	if f.Before == 0 || f.Before > own {
		f.Before = own
	}
	rowsMax := f.Limit
	last, more, err := s.nth(r.Context(), f, rowsMax)
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="okno-audit-`+s.Now().UTC().Format("20060102-150405")+`.csv"`)
	h.Set("Cache-Control", "no-store")
	if more {
		h.Set("X-Okno-Next-Cursor", strconv.FormatInt(last, 10))
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // RFC 4180
	_ = cw.Write(csvHeader)
	rc := http.NewResponseController(w)
	for sent := 0; sent < rowsMax; {
		f.Limit = min(exportPage, rowsMax-sent)
		items, next, err := s.Find(r.Context(), f)
		if err != nil {
			// The status line is gone; aborting the connection tells the
			// client the file is incomplete instead of ending it quietly.
			slog.ErrorContext(r.Context(), "audit export failed", "err", err)
			panic(http.ErrAbortHandler)
		}
		for _, e := range items {
			_ = cw.Write(csvRow(e))
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return // the client went away
		}
		_ = rc.Flush()
		sent += len(items)
		if next == "" || r.Context().Err() != nil {
			return
		}
		f.Before, _ = strconv.ParseInt(next, 10, 64)
	}
}

func csvRow(e Entry) []string {
	details, _ := json.Marshal(e.Details)
	row := []string{
		strconv.FormatInt(e.Seq, 10), e.At.UTC().Format(time.RFC3339Nano), e.RecordedAt.UTC().Format(time.RFC3339Nano),
		e.Service, e.ActorID, e.ActorLogin, e.ActorRole, e.ClientAddr, e.Action, e.ObjectType, e.ObjectID,
		strings.Join(e.Fields, ";"), e.Outcome, string(details), e.EventID, e.PrevHash, e.Hash,
	}
	for i, c := range row {
		row[i] = defuse(c)
	}
	return row
}

// defuse keeps a spreadsheet from running a cell as a formula (CSV
// injection): text starting with = + - @ (or a tab or carriage return,
// which some spreadsheets skip before looking) gets a leading quote, which
// makes it plain text. Values come from other services and, through them,
// from whoever typed a login.
func defuse(c string) string {
	if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
		return "'" + c
	}
	return c
}
