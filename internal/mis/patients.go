package mis

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/okno-crm/okno/internal/auditlog"
	"github.com/okno-crm/okno/internal/events"
	"github.com/okno-crm/okno/internal/ids"
	"github.com/okno-crm/okno/internal/mask"
	"github.com/okno-crm/okno/internal/mis/match"
	"github.com/okno-crm/okno/internal/perm"
	"github.com/okno-crm/okno/internal/phone"
	"github.com/okno-crm/okno/internal/principal"
	"github.com/okno-crm/okno/internal/problem"
	"github.com/okno-crm/okno/internal/store"
)

// Patients are personal data kept by the MIS: the mis service stores only
// their ids and the links to contacts, and reads names, phones and birth
// dates live, holding them in memory for at most PatientCacheTTL.
const (
	PatientCacheTTL    = 60 * time.Second
	patientCacheMax    = 2000
	maxMatchCandidates = 10
	// minMatchConfidence hides candidates that share nothing but a word
	// (those on the contact's phone are always shown).
	minMatchConfidence = 0.3
	matchQueryLimit    = 20
	cardPastLimit      = 20
	// CardWindow is how far back and ahead the card reads a patient's
	// appointments from the MIS.
	CardWindow = 365 * 24 * time.Hour
)

// ReasonIdentifier: the candidate is the patient Okno registered (or booked
// as) for this very contact.
const ReasonIdentifier = "identifier"

// PatientView is a patient as the API shows them: masked for a viewer
// without patients.read_pd ("Ив***", "+7 912 ***-**-01", the birth year).
type PatientView struct {
	ID        string   `json:"id"`
	Family    string   `json:"family"`
	Given     string   `json:"given"`
	Middle    string   `json:"middle"`
	BirthDate string   `json:"birth_date"`
	Gender    string   `json:"gender"`
	Phones    []string `json:"phones"`
	Emails    []string `json:"emails"`
	Masked    bool     `json:"masked"`
}

func viewPatient(p principal.Principal, pt Patient) PatientView {
	v := PatientView{ID: pt.ID, Family: pt.Family, Given: pt.Given, Middle: pt.Middle, BirthDate: pt.BirthDate, Gender: pt.Gender,
		Phones: append([]string{}, pt.Phones...), Emails: append([]string{}, pt.Emails...)}
	if p.Can(perm.PatientsReadPD) {
		return v
	}
	v.Family, v.Given, v.Middle, v.BirthDate = mask.Name(v.Family), mask.Name(v.Given), mask.Name(v.Middle), mask.BirthDate(v.BirthDate)
	for i := range v.Phones {
		v.Phones[i] = mask.Phone(v.Phones[i])
	}
	for i := range v.Emails {
		v.Emails[i] = mask.Email(v.Emails[i])
	}
	v.Masked = true
	return v
}

// viewedPatientFields names what a viewer saw, for the audit record.
func viewedPatientFields(p principal.Principal) []string {
	if p.Can(perm.PatientsReadPD) {
		return []string{"patient.name", "patient.birth_date", "patient.phone", "patient.email"}
	}
	return []string{"patient.name.masked", "patient.birth_date.masked", "patient.phone.masked", "patient.email.masked"}
}

// patientCache holds patients read from the MIS for a minute, in memory
// only: the card and the matching step read the same few patients again
// and again during one call.
type patientCache struct {
	mu sync.Mutex
	m  map[string]cachedPatient
}

type cachedPatient struct {
	p  Patient
	at time.Time
}

func (c *patientCache) get(id string, now time.Time) (Patient, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[id]
	if !ok || now.Sub(e.at) >= PatientCacheTTL || now.Before(e.at) {
		return Patient{}, false
	}
	return e.p, true
}

func (c *patientCache) put(p Patient, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]cachedPatient{}
	}
	if len(c.m) >= patientCacheMax {
		for id, e := range c.m {
			if now.Sub(e.at) >= PatientCacheTTL {
				delete(c.m, id)
			}
		}
		if len(c.m) >= patientCacheMax {
			clear(c.m)
		}
	}
	c.m[p.ID] = cachedPatient{p: p, at: now}
}

// patient reads a patient through the minute-long cache.
func (s *Service) patient(ctx context.Context, id string) (Patient, error) {
	now := s.Now()
	if p, ok := s.patients.get(id, now); ok {
		return p, nil
	}
	c, err := s.client()
	if err != nil {
		return Patient{}, err
	}
	p, err := c.Patient(ctx, id)
	if err != nil {
		return Patient{}, err
	}
	s.patients.put(p, now)
	return p, nil
}

func (s *Service) contacts() (ContactReader, error) {
	if s.Contacts == nil {
		return nil, problem.New(problem.Unavailable, "the mis service cannot reach the contact center")
	}
	return s.Contacts, nil
}

// Candidate is a patient who may be the contact.
type Candidate struct {
	Patient    PatientView `json:"patient"`
	Confidence float64     `json:"confidence"`
	Reasons    []string    `json:"reasons"`
	Linked     bool        `json:"linked"`
}

// MatchAnswer is the matching step: candidates best first, and the ids of
// the patients already linked to the contact.
type MatchAnswer struct {
	Candidates []Candidate `json:"candidates"`
	Linked     []string    `json:"linked"`
}

// MatchPatients looks the contact up in the MIS by its phones, its name and
// birth date, and by the identifier Okno registers contacts under, and
// ranks what it finds (package match). It links nothing: linking is the
// caller's explicit decision.
func (s *Service) MatchPatients(ctx context.Context, p principal.Principal, contactID string) (MatchAnswer, error) {
	if !ids.Valid(contactID) {
		return MatchAnswer{}, problem.Field("contact_id", "must be a contact id")
	}
	if _, err := s.contacts(); err != nil {
		return MatchAnswer{}, err
	}
	c, err := s.client()
	if err != nil {
		return MatchAnswer{}, err
	}
	// A merged card is matched as the survivor it became.
	contact, chain, err := s.standingContact(ctx, p, contactID, PurposeMatch)
	if err != nil {
		return MatchAnswer{}, err
	}
	contactID = contact.ID
	found := map[string]Patient{}
	own := map[string]bool{}
	var order []string
	add := func(list []Patient) {
		for _, pt := range list {
			if _, ok := found[pt.ID]; !ok && pt.ID != "" {
				found[pt.ID] = pt
				order = append(order, pt.ID)
			}
		}
	}
	for _, q := range matchQueries(contact) {
		list, err := c.FindPatients(ctx, q)
		if err != nil {
			return MatchAnswer{}, err
		}
		if q.Identifier.Value != "" {
			for _, pt := range list {
				own[pt.ID] = true
			}
		}
		add(list)
	}
	linked, err := s.linkedPatientsOf(ctx, chain)
	if err != nil {
		return MatchAnswer{}, err
	}
	isLinked := map[string]bool{}
	for _, id := range linked {
		isLinked[id] = true
	}
	cands := make([]match.Candidate, 0, len(order))
	now := s.Now()
	for _, id := range order {
		pt := found[id]
		s.patients.put(pt, now)
		cands = append(cands, match.Candidate{ID: pt.ID, Family: pt.Family, Given: pt.Given, Middle: pt.Middle, BirthDate: pt.BirthDate, Phones: pt.Phones})
	}
	ranked := match.Rank(match.Contact{Name: contact.Name, Family: contact.Family, Given: contact.Given, Middle: contact.Middle,
		BirthDate: contact.BirthDate, Phones: contact.Phones}, cands)
	ans := MatchAnswer{Candidates: []Candidate{}, Linked: linked}
	for _, r := range ranked {
		if own[r.ID] {
			r.Confidence = 1
			r.Reasons = append([]string{ReasonIdentifier}, r.Reasons...)
		}
		// A patient on the contact's phone is always shown: a family shares
		// one, and the operator tells mother from son.
		if r.Confidence < minMatchConfidence && !isLinked[r.ID] && !slices.Contains(r.Reasons, match.ReasonPhone) {
			continue
		}
		ans.Candidates = append(ans.Candidates, Candidate{Patient: viewPatient(p, found[r.ID]), Confidence: r.Confidence,
			Reasons: r.Reasons, Linked: isLinked[r.ID]})
	}
	// The identifier's own patient comes first, then as ranked.
	sort.SliceStable(ans.Candidates, func(i, j int) bool { return ans.Candidates[i].Confidence > ans.Candidates[j].Confidence })
	if len(ans.Candidates) > maxMatchCandidates {
		ans.Candidates = ans.Candidates[:maxMatchCandidates]
	}
	if err := s.auditRead(ctx, auditObject(p, s.Now().UTC(), "patient.match", "contact", contactID,
		map[string]string{"candidates": strconv.Itoa(len(ans.Candidates))}, auditlog.OutcomeSuccess)); err != nil {
		return MatchAnswer{}, err
	}
	return ans, nil
}

// matchQueries are the MIS searches that may find the contact: its own
// identifier, each phone, each word of the name as a family name (exactly,
// and by its first three letters so that a typo further on is still found),
// and the birth date.
func matchQueries(c ContactInfo) []PatientQuery {
	qs := []PatientQuery{{Identifier: Identifier{System: ContactIdentifierSystem, Value: c.ID}, Limit: matchQueryLimit}}
	seen := map[string]bool{}
	for _, raw := range c.Phones {
		if n, err := phone.Normalize(raw); err == nil && !seen[n] && len(seen) < 3 {
			seen[n] = true
			qs = append(qs, PatientQuery{Phone: n, Limit: matchQueryLimit})
		}
	}
	var families []string
	if c.Family != "" {
		families = []string{c.Family}
	} else {
		for _, w := range strings.Fields(c.Name) {
			if len(families) == 2 {
				break
			}
			if len([]rune(w)) >= 2 {
				families = append(families, w)
			}
		}
	}
	prefixes := map[string]bool{}
	for _, f := range families {
		qs = append(qs, PatientQuery{Family: f, Limit: matchQueryLimit})
		if r := []rune(match.Normalize(f)); len(r) >= 5 && !prefixes[string(r[:3])] {
			prefixes[string(r[:3])] = true
			qs = append(qs, PatientQuery{Family: string(r[:3]), Limit: 2 * matchQueryLimit})
		}
	}
	if c.BirthDate != "" {
		qs = append(qs, PatientQuery{BirthDate: c.BirthDate, Limit: 2 * matchQueryLimit})
	}
	return qs
}

// Link is a contact linked to an MIS patient.
type Link struct {
	ID        string    `json:"id"`
	ContactID string    `json:"contact_id"`
	PatientID string    `json:"patient_id"`
	LinkedBy  string    `json:"linked_by"`
	LinkedAt  time.Time `json:"linked_at"`
}

// linkedPatients lists the patient ids linked to the contact, oldest link
// first.
func (s *Service) linkedPatients(ctx context.Context, contactID string) ([]string, error) {
	links, err := s.links(ctx, contactID)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(links))
	for _, l := range links {
		out = append(out, l.PatientID)
	}
	return out, nil
}

// linkedPatientsOf lists the patients linked to the standing contact of a
// merge chain (the last id), then those still linked to the cards merged
// into it: until the mis service has followed the merge event, their links
// are still theirs, and they are the same person's.
func (s *Service) linkedPatientsOf(ctx context.Context, chain []string) ([]string, error) {
	out := []string{}
	for i := len(chain) - 1; i >= 0; i-- {
		list, err := s.linkedPatients(ctx, chain[i])
		if err != nil {
			return nil, err
		}
		for _, id := range list {
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out, nil
}

// links lists the contact's active links, oldest first.
func (s *Service) links(ctx context.Context, contactID string) ([]Link, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id, contact_id, patient_id, linked_by, linked_at FROM patient_links
WHERE contact_id = $1 AND unlinked_at IS NULL ORDER BY linked_at, id`, contactID)
	if err != nil {
		return nil, fmt.Errorf("mis: links: %w", err)
	}
	defer rows.Close()
	out := []Link{}
	for rows.Next() {
		var l Link
		if err := rows.Scan(&l.ID, &l.ContactID, &l.PatientID, &l.LinkedBy, &l.LinkedAt); err != nil {
			return nil, err
		}
		l.LinkedAt = l.LinkedAt.UTC()
		out = append(out, l)
	}
	return out, rows.Err()
}

func findActiveLink(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, contactID, patientID string) (Link, error) {
	var l Link
	err := q.QueryRowContext(ctx, `SELECT id, contact_id, patient_id, linked_by, linked_at FROM patient_links
WHERE contact_id = $1 AND patient_id = $2 AND unlinked_at IS NULL`, contactID, patientID).Scan(&l.ID, &l.ContactID, &l.PatientID, &l.LinkedBy, &l.LinkedAt)
	l.LinkedAt = l.LinkedAt.UTC()
	return l, err
}

// LinkPatient links the contact to the MIS patient, who must exist in the
// MIS. Linking a pair already linked answers the existing link (created
// false). The link, its event and its audit record are stored together;
// then the patient's appointments are read into Okno (best effort), so
// that the contact's list shows them at once.
//
// A contact merged into another is linked as the survivor, and the answer
// is the link as stored (its contact_id the survivor's). The operator
// meant the person, and the merge said the two cards are one person: a
// link made a moment before the merge is moved to the survivor by the
// merge event, and one made a moment after ends the same way rather than
// on a card nobody opens. Refusing would only send the operator to reopen
// the card and click again.
func (s *Service) LinkPatient(ctx context.Context, p principal.Principal, contactID, patientID string) (Link, bool, error) {
	if err := checkLink(contactID, patientID); err != nil {
		return Link{}, false, err
	}
	chain, err := s.mergeChain(ctx, p, contactID, PurposeLink)
	if err != nil {
		return Link{}, false, err
	}
	return s.link(ctx, p, chain[len(chain)-1], patientID, "patient.linked", contactID)
}

func checkLink(contactID, patientID string) error {
	var fe []problem.FieldError
	if !ids.Valid(contactID) {
		fe = append(fe, problem.FieldError{Field: "contact_id", Message: "must be a contact id"})
	}
	if !misID.MatchString(patientID) {
		fe = append(fe, problem.FieldError{Field: "patient_id", Message: "must be an MIS patient id"})
	}
	if len(fe) > 0 {
		return problem.Fields(fe)
	}
	return nil
}

// link links contactID, the standing card, to the patient; requested is
// the contact the caller named, recorded in the audit when a merge made
// them differ.
func (s *Service) link(ctx context.Context, p principal.Principal, contactID, patientID, action, requested string) (Link, bool, error) {
	if err := checkLink(contactID, patientID); err != nil {
		return Link{}, false, err
	}
	if _, err := s.patient(ctx, patientID); errors.Is(err, ErrNotFound) {
		return Link{}, false, problem.Field("patient_id", "the MIS does not know this patient")
	} else if err != nil {
		return Link{}, false, err
	}
	now := s.Now().UTC().Truncate(time.Microsecond)
	l := Link{ID: ids.NewAt(now), ContactID: contactID, PatientID: patientID, LinkedBy: p.UserID, LinkedAt: now}
	created := false
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		existing, err := findActiveLink(ctx, tx, contactID, patientID)
		if err == nil {
			l = existing
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("mis: find link: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO patient_links (id, contact_id, patient_id, linked_by, linked_at) VALUES ($1, $2, $3, $4, $5)`,
			l.ID, contactID, patientID, p.UserID, now); err != nil {
			return fmt.Errorf("mis: store link: %w", err)
		}
		created = true
		if _, err := events.Add(ctx, tx, SubjectLinked, now, linkEvent(l)); err != nil {
			return err
		}
		details := map[string]string{"contact_id": contactID, "patient_id": patientID}
		if requested != contactID {
			details["requested_contact_id"] = requested
		}
		return auditlog.Emit(ctx, tx, ServiceName, auditObject(p, now, action, "patient_link", l.ID, details, auditlog.OutcomeSuccess))
	})
	if store.IsUniqueViolation(err) {
		// Linked by a concurrent call: answer its link.
		existing, ferr := findActiveLink(ctx, s.DB.R, contactID, patientID)
		if ferr != nil {
			return Link{}, false, fmt.Errorf("mis: link raced: %w", ferr)
		}
		return existing, false, nil
	}
	if err != nil {
		return Link{}, false, err
	}
	if created {
		s.committed()
		if _, err := s.patientAppointments(ctx, contactID, patientID); err != nil && ctx.Err() == nil {
			slog.Warn("mis: the newly linked patient's appointments could not be read; the change feed will bring them", "err", err)
		}
	}
	return l, created, nil
}

func linkEvent(l Link) map[string]string {
	return map[string]string{"link_id": l.ID, "contact_id": l.ContactID, "patient_id": l.PatientID}
}

// UnlinkPatient ends a link. Ending one already ended is no change; an
// unknown link is not found.
func (s *Service) UnlinkPatient(ctx context.Context, p principal.Principal, linkID string) error {
	if !ids.Valid(linkID) {
		return problem.New(problem.NotFound, "no such link")
	}
	now := s.Now().UTC().Truncate(time.Microsecond)
	changed := false
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		var l Link
		var unlinked sql.NullTime
		err := tx.QueryRowContext(ctx, `SELECT id, contact_id, patient_id, unlinked_at FROM patient_links WHERE id = $1`, linkID).
			Scan(&l.ID, &l.ContactID, &l.PatientID, &unlinked)
		if errors.Is(err, sql.ErrNoRows) {
			return problem.New(problem.NotFound, "no such link")
		}
		if err != nil {
			return fmt.Errorf("mis: find link: %w", err)
		}
		if unlinked.Valid {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE patient_links SET unlinked_by = $2, unlinked_at = $3 WHERE id = $1`, linkID, p.UserID, now); err != nil {
			return fmt.Errorf("mis: unlink: %w", err)
		}
		changed = true
		if _, err := events.Add(ctx, tx, SubjectUnlinked, now, linkEvent(l)); err != nil {
			return err
		}
		return auditlog.Emit(ctx, tx, ServiceName, auditObject(p, now, "patient.unlinked", "patient_link", linkID,
			map[string]string{"contact_id": l.ContactID, "patient_id": l.PatientID}, auditlog.OutcomeSuccess))
	})
	if err == nil && changed {
		s.committed()
	}
	return err
}

// bookingPatient is the patient a booking for the contact is made for: the
// one asked for, which must be linked to the contact, or the contact's only
// linked patient, or none. The contact is a merge chain (linkedPatientsOf).
func (s *Service) bookingPatient(ctx context.Context, chain []string, patientID string) (string, error) {
	linked, err := s.linkedPatientsOf(ctx, chain)
	if err != nil {
		return "", err
	}
	if patientID != "" {
		for _, id := range linked {
			if id == patientID {
				return id, nil
			}
		}
		return "", problem.Field("patient_id", "is not linked to this contact")
	}
	switch len(linked) {
	case 0:
		return "", nil
	case 1:
		return linked[0], nil
	}
	return "", problem.Field("patient_id", "the contact is linked to several patients: choose the one to book for")
}

// CardAppointments are a patient's appointments for the card.
type CardAppointments struct {
	Upcoming []Appointment `json:"upcoming"`
	Past     []Appointment `json:"past"`
}

// CardPatient is one patient linked to a contact, as the card shows them.
// Unavailable says the MIS could not be read: the patient is then only an
// id and the appointments are those Okno keeps.
type CardPatient struct {
	LinkID       string           `json:"link_id"`
	LinkedAt     time.Time        `json:"linked_at"`
	Patient      PatientView      `json:"patient"`
	Appointments CardAppointments `json:"appointments"`
	Unavailable  bool             `json:"unavailable"`
}

// ContactPatients is the contact's card: the linked patients, read live
// from the MIS and masked for the viewer, with their upcoming and past
// appointments. An MIS that cannot be read leaves each patient an id with
// the appointments Okno keeps, rather than no card at all.
func (s *Service) ContactPatients(ctx context.Context, p principal.Principal, contactID string) ([]CardPatient, error) {
	if !ids.Valid(contactID) {
		return nil, problem.New(problem.NotFound, "no such contact")
	}
	links, err := s.links(ctx, contactID)
	if err != nil {
		return nil, err
	}
	out := make([]CardPatient, 0, len(links))
	now := s.Now().UTC()
	for _, l := range links {
		item := CardPatient{LinkID: l.ID, LinkedAt: l.LinkedAt, Patient: PatientView{ID: l.PatientID, Phones: []string{}, Emails: []string{}}}
		pt, perr := s.patient(ctx, l.PatientID)
		var appts []Appointment
		if perr == nil {
			appts, perr = s.patientAppointments(ctx, contactID, l.PatientID)
		}
		if perr != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			item.Unavailable = true
			if appts, err = s.storedPatientAppointments(ctx, l.PatientID); err != nil {
				return nil, err
			}
		} else {
			item.Patient = viewPatient(p, pt)
		}
		item.Appointments = splitCard(appts, now)
		out = append(out, item)
	}
	if err := s.auditRead(ctx, auditObject(p, now, "patient.read", "contact", contactID,
		map[string]string{"patients": strconv.Itoa(len(out))}, auditlog.OutcomeSuccess)); err != nil {
		return nil, err
	}
	return out, nil
}

// splitCard puts appointments not begun and still going ahead first
// (soonest first), the rest in the history (latest first, at most
// cardPastLimit).
func splitCard(appts []Appointment, now time.Time) CardAppointments {
	ca := CardAppointments{Upcoming: []Appointment{}, Past: []Appointment{}}
	for _, a := range appts {
		if a.Start.After(now) && (a.Status == ApptBooked || a.Status == ApptConfirmed || a.Status == ApptArrived) {
			ca.Upcoming = append(ca.Upcoming, a)
		} else {
			ca.Past = append(ca.Past, a)
		}
	}
	sort.SliceStable(ca.Upcoming, func(i, j int) bool { return ca.Upcoming[i].Start.Before(ca.Upcoming[j].Start) })
	sort.SliceStable(ca.Past, func(i, j int) bool { return ca.Past[i].Start.After(ca.Past[j].Start) })
	if len(ca.Past) > cardPastLimit {
		ca.Past = ca.Past[:cardPastLimit]
	}
	return ca
}

// patientAppointments reads the patient's appointments from the MIS, takes
// those Okno does not keep yet into its table (so that they get Okno ids,
// can be moved or cancelled from the window and follow the change feed),
// and answers them as the MIS has them now with Okno's ids.
func (s *Service) patientAppointments(ctx context.Context, contactID, patientID string) ([]Appointment, error) {
	c, err := s.client()
	if err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	list, err := c.PatientAppointments(ctx, patientID, now.Add(-CardWindow), now.Add(CardWindow))
	if err != nil {
		return nil, err
	}
	if err := s.adopt(ctx, contactID, list); err != nil {
		return nil, err
	}
	n, err := s.names(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Appointment, 0, len(list))
	for _, ma := range list {
		if ma.MISID == "" || !knownStatus(ma.Status) {
			continue
		}
		a, err := scanAppointmentRow(s.DB.R.QueryRowContext(ctx, `SELECT `+apptCols+` FROM appointments WHERE mis_id = $1`, ma.MISID), n)
		if err != nil {
			return nil, fmt.Errorf("mis: adopted appointment: %w", err)
		}
		// The MIS's word on status and time is the freshest: the feed may
		// not have brought it yet.
		a.Status = ma.Status
		if !ma.Start.IsZero() {
			a.Start, a.End = ma.Start.UTC(), ma.End.UTC()
		}
		out = append(out, a)
	}
	return out, nil
}

// adopt inserts the MIS appointments Okno does not keep yet, for the
// contact, without announcing them: they are not news, only news to Okno.
func (s *Service) adopt(ctx context.Context, contactID string, list []MISAppointment) error {
	if len(list) == 0 {
		return nil
	}
	now := s.Now().UTC().Truncate(time.Microsecond)
	return s.DB.InTx(ctx, func(tx *sql.Tx) error {
		for _, ma := range list {
			if ma.MISID == "" || !knownStatus(ma.Status) {
				continue
			}
			if _, err := insertMISAppointment(ctx, tx, ids.NewAt(now), contactID, ma, now); err != nil {
				return err
			}
		}
		return nil
	})
}

// insertMISAppointment stores an appointment made in the MIS unless Okno
// keeps it already (by its MIS id), and tells whether it did.
func insertMISAppointment(ctx context.Context, tx *sql.Tx, id, contactID string, ma MISAppointment, now time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO appointments (id, mis_id, slot_id, contact_id, request_id, status, start_at, end_at,
  doctor_id, branch_id, specialty_id, booked_by, booked_at, updated_at, patient_id, source, version, mis_updated_at)
VALUES ($1, $2, $3, $4, '', $5, $6, $7, $8, $9, $10, '', $11, $11, $12, $13, $14, $15)
ON CONFLICT (mis_id) DO NOTHING`,
		id, ma.MISID, ma.SlotID, contactID, ma.Status, ma.Start.UTC(), ma.End.UTC(), ma.DoctorID, ma.BranchID, ma.SpecialtyID,
		now, ma.PatientID, SourceMIS, ma.Version, nullTime(ma.UpdatedAt))
	if err != nil {
		return false, fmt.Errorf("mis: store MIS appointment: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func nullTime(t time.Time) sql.NullTime {
	if t.IsZero() {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: t.UTC(), Valid: true}
}

// storedPatientAppointments are the patient's appointments Okno keeps.
func (s *Service) storedPatientAppointments(ctx context.Context, patientID string) ([]Appointment, error) {
	return s.queryAppointments(ctx, `SELECT `+apptCols+` FROM appointments WHERE patient_id = $1 ORDER BY start_at DESC LIMIT 200`, patientID)
}

func (s *Service) queryAppointments(ctx context.Context, q string, args ...any) ([]Appointment, error) {
	n, err := s.names(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.DB.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("mis: appointments: %w", err)
	}
	defer rows.Close()
	out := []Appointment{}
	for rows.Next() {
		a, err := scanAppointmentRow(rows, n)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// RegisterPatient registers the contact as a new patient of the MIS
// (conditionally on the contact's identifier, so a retry registers no
// second one) and links it. The contact's name must have a family and a
// given name. A contact merged into another is registered as the survivor
// (its name, phones and identifier) and linked to it, as LinkPatient does.
func (s *Service) RegisterPatient(ctx context.Context, p principal.Principal, contactID string) (PatientView, Link, error) {
	if !ids.Valid(contactID) {
		return PatientView{}, Link{}, problem.Field("contact_id", "must be a contact id")
	}
	if _, err := s.contacts(); err != nil {
		return PatientView{}, Link{}, err
	}
	c, err := s.client()
	if err != nil {
		return PatientView{}, Link{}, err
	}
	requested := contactID
	contact, _, err := s.standingContact(ctx, p, contactID, PurposeRegister)
	if err != nil {
		return PatientView{}, Link{}, err
	}
	contactID = contact.ID
	np := NewPatient{ContactID: contactID, Family: contact.Family, Given: contact.Given, Middle: contact.Middle, BirthDate: contact.BirthDate}
	if np.Family == "" && np.Given == "" {
		words := strings.Fields(contact.Name)
		if len(words) >= 2 {
			np.Family, np.Given = words[0], words[1]
			np.Middle = strings.Join(words[2:], " ")
		}
	}
	if np.Family == "" || np.Given == "" {
		return PatientView{}, Link{}, problem.Field("contact_id", "the contact's name needs a family and a given name to register a patient: correct the contact first")
	}
	for _, raw := range contact.Phones {
		if n, err := phone.Normalize(raw); err == nil {
			np.Phone = n
			break
		}
	}
	if len(contact.Emails) > 0 {
		np.Email = contact.Emails[0]
	}
	pt, err := c.CreatePatient(ctx, np)
	if err != nil {
		return PatientView{}, Link{}, err
	}
	s.patients.put(pt, s.Now())
	l, _, err := s.link(ctx, p, contactID, pt.ID, "patient.registered", requested)
	if err != nil {
		return PatientView{}, Link{}, err
	}
	return viewPatient(p, pt), l, nil
}
