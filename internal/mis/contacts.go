package mis

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/okno-crm/okno/internal/ids"
	"github.com/okno-crm/okno/internal/principal"
	"github.com/okno-crm/okno/internal/problem"
)

// ContactInfo is what the contact center tells the mis service about one of
// its contacts, unmasked, to find or register the contact as an MIS patient.
// It is held in memory for the one call that needs it, never stored.
type ContactInfo struct {
	ID string `json:"id"`
	// Name is the name as typed; Family, Given and Middle when the contact
	// center knows the parts.
	Name      string   `json:"name"`
	Family    string   `json:"family"`
	Given     string   `json:"given"`
	Middle    string   `json:"middle"`
	Phones    []string `json:"phones"`
	Emails    []string `json:"emails"`
	BirthDate string   `json:"birth_date"` // YYYY-MM-DD or empty
	// MergedInto is the contact this one was merged into, or empty. A
	// merged contact comes with its id and MergedInto only: its data lives
	// on with the survivor, which is read instead.
	MergedInto string `json:"merged_into"`
}

// Purposes the contact center records in its audit of a read. Linking and
// booking only ask whether the contact still stands or was merged into
// another (ids only, no personal data); matching and registering need the
// contact's data.
const (
	PurposeMatch    = "patient_match"
	PurposeRegister = "patient_register"
	PurposeLink     = "patient_link"
	PurposeBook     = "appointment_book"
)

// ContactReader reads a contact for the caller p, who must be allowed to
// read contacts; the contact center audits the read under p with the
// purpose. An unknown contact is problem.NotFound.
type ContactReader interface {
	Contact(ctx context.Context, p principal.Principal, id, purpose string) (ContactInfo, error)
}

// ContactPath is the contact center's internal endpoint the HTTP reader
// calls: GET /internal/contacts/{id}?purpose=… with the internal token and
// the caller's principal. It is never routed by the gateway (the "internal"
// prefix keeps it apart from any public /contacts/{id}), because it answers
// unmasked whatever the caller's role.
const ContactPath = "/internal/contacts/"

// HTTPContactReader reads contacts from the contact center's internal API.
type HTTPContactReader struct {
	BaseURL *url.URL     // the contact center, e.g. http://contactcenter.inproc
	Token   string       // the internal token
	HTTP    *http.Client // nil: a client with a 5 s time-out
}

var _ ContactReader = (*HTTPContactReader)(nil)

// Contact implements ContactReader.
func (r *HTTPContactReader) Contact(ctx context.Context, p principal.Principal, id, purpose string) (ContactInfo, error) {
	hc := r.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 5 * time.Second}
	}
	u := *r.BaseURL
	u.Path = strings.TrimSuffix(u.Path, "/") + ContactPath + url.PathEscape(id)
	u.RawQuery = url.Values{"purpose": {purpose}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return ContactInfo{}, err
	}
	req.Header.Set("Accept", "application/json")
	principal.Set(req.Header, r.Token, p)
	resp, err := hc.Do(req)
	if err != nil {
		return ContactInfo{}, &problem.Error{Code: problem.Unavailable, Message: "the contact center is unavailable", Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return ContactInfo{}, &problem.Error{Code: problem.Unavailable, Message: "the contact center is unavailable", Err: err}
	}
	switch {
	case resp.StatusCode == http.StatusNotFound && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json"):
		return ContactInfo{}, problem.Field("contact_id", "no such contact")
	case resp.StatusCode == http.StatusNotFound:
		// A plain 404 is the router's: a contact center older than this endpoint.
		return ContactInfo{}, &problem.Error{Code: problem.Unavailable, Message: fmt.Sprintf("the contact center does not serve contact lookups yet (%s{id})", ContactPath)}
	case resp.StatusCode == http.StatusForbidden:
		return ContactInfo{}, problem.New(problem.Forbidden, "reading the contact needs the permission contacts.read")
	case resp.StatusCode == http.StatusServiceUnavailable && len(body) > 0:
		var b problem.Body
		_ = json.Unmarshal(body, &b)
		return ContactInfo{}, &problem.Error{Code: problem.Unavailable, Message: fmt.Sprintf("the contact center is unavailable: %s", b.Detail)}
	case resp.StatusCode != http.StatusOK:
		return ContactInfo{}, &problem.Error{Code: problem.Unavailable, Message: "the contact center is unavailable",
			Err: fmt.Errorf("contact center answered %d", resp.StatusCode)}
	}
	var c ContactInfo
	if err := json.Unmarshal(body, &c); err != nil || c.ID != id || (c.MergedInto != "" && (!ids.Valid(c.MergedInto) || c.MergedInto == id)) {
		return ContactInfo{}, &problem.Error{Code: problem.Unavailable, Message: "the contact center answered nonsense",
			Err: fmt.Errorf("contact center: decode contact: %v", err)}
	}
	return c, nil
}

// maxMergeHops bounds the merges followed from the contact a caller names to
// the card standing now. The contact center merges neither a merged card
// nor into one, so a chain grows only when a survivor is merged in turn.
const maxMergeHops = 4

// standingContact reads the contact for p with the purpose and, when it was
// merged, follows the merges to the card that stands now: a screen opened
// before a merge still names the old card, and the person it meant is the
// survivor's. It answers the standing card and the ids from the one named
// to it, the named one first (a single id when it was never merged).
func (s *Service) standingContact(ctx context.Context, p principal.Principal, id, purpose string) (ContactInfo, []string, error) {
	cr, err := s.contacts()
	if err != nil {
		return ContactInfo{}, nil, err
	}
	chain := []string{id}
	for {
		c, err := cr.Contact(ctx, p, id, purpose)
		if err != nil {
			return ContactInfo{}, nil, err
		}
		if c.MergedInto == "" {
			return c, chain, nil
		}
		if len(chain) > maxMergeHops || slices.Contains(chain, c.MergedInto) {
			return ContactInfo{}, nil, problem.New(problem.Conflict, "the contact was merged into another card, and that one again: open the surviving card and retry")
		}
		id = c.MergedInto
		chain = append(chain, id)
	}
}

// mergeChain is standingContact's chain for a call that needs no data of the
// contact (linking, booking). Without a contact reader (okno serve mis with
// no OKNO_CONTACTCENTER_URL) merges cannot be told: the contact is taken as
// named, as before merges were followed, and the merge event still moves
// what was stored before it arrives.
func (s *Service) mergeChain(ctx context.Context, p principal.Principal, id, purpose string) ([]string, error) {
	if s.Contacts == nil {
		return []string{id}, nil
	}
	_, chain, err := s.standingContact(ctx, p, id, purpose)
	return chain, err
}
