package mis

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/okno-crm/okno/internal/mis/fhir"
	"github.com/okno-crm/okno/internal/problem"
)

// Change feed limits.
const (
	defaultChangeLimit = 100
	maxChangeLimit     = 1000
	// changeLookback is where a feed without a cursor starts: the day before,
	// so that a first start or a lost cursor still sees today's changes.
	changeLookback  = 24 * time.Hour
	appointmentPage = 100
)

// apptStatus maps R4 appointment statuses to Okno's. A waitlisted request
// holds no time yet but is the patient's live request, like pending.
func apptStatus(s string) (string, bool) {
	switch s {
	case fhir.AppointmentBooked, fhir.AppointmentPending, fhir.AppointmentProposed, fhir.AppointmentWaitlist:
		return ApptBooked, true
	case fhir.AppointmentArrived, fhir.AppointmentCheckedIn:
		return ApptArrived, true
	case fhir.AppointmentFulfilled:
		return ApptCompleted, true
	case fhir.AppointmentNoShow:
		return ApptNoShow, true
	case fhir.AppointmentCancelled, fhir.AppointmentEnteredInError:
		return ApptCancelled, true
	}
	return "", false
}

// appointmentFrom validates and maps an Appointment. Whose it is comes from
// its participants: a PractitionerRole names doctor, branch and specialty
// through the role index; a Practitioner or a Location participant names
// the doctor or branch directly; the Appointment's own specialty fills in.
func (c *FHIRClient) appointmentFrom(a *fhir.Appointment, idx *scheduleIndex) (MISAppointment, error) {
	if a.ID == "" {
		return MISAppointment{}, badAnswer("Appointment without an id")
	}
	status, ok := apptStatus(a.Status)
	if !ok {
		return MISAppointment{}, badAnswer("Appointment/%s has status %q", a.ID, a.Status)
	}
	out := MISAppointment{MISID: a.ID, Status: status, SlotID: slotOf(a)}
	for _, f := range []struct {
		s   string
		dst *time.Time
	}{{a.Start, &out.Start}, {a.End, &out.End}} {
		if f.s == "" {
			continue // a proposed or waitlisted appointment may have no time yet
		}
		t, _, err := fhir.ParseDateTime(f.s, time.UTC)
		if err != nil {
			return MISAppointment{}, badAnswer("Appointment/%s has a bad start or end", a.ID)
		}
		*f.dst = t.UTC()
	}
	if !out.Start.IsZero() && !out.End.IsZero() && out.End.Before(out.Start) {
		return MISAppointment{}, badAnswer("Appointment/%s ends before it starts", a.ID)
	}
	for _, p := range a.Participant {
		if p.Actor == nil {
			continue
		}
		t, id, ok := p.Actor.Split()
		if !ok {
			continue
		}
		switch t {
		case "Patient":
			if out.PatientID == "" {
				out.PatientID = id
			}
		case "PractitionerRole":
			if r, ok := idx.roles[id]; ok {
				out.DoctorID = cmpOr(out.DoctorID, r.doctorID)
				out.BranchID = cmpOr(out.BranchID, r.branchID)
				out.SpecialtyID = cmpOr(out.SpecialtyID, r.specialtyID)
			}
		case "Practitioner":
			out.DoctorID = cmpOr(out.DoctorID, id)
		case "Location":
			out.BranchID = cmpOr(out.BranchID, id)
		}
	}
	if out.SpecialtyID == "" {
		for _, cc := range a.Specialty {
			if sp, ok := c.specialtyOf(cc); ok {
				out.SpecialtyID = sp.ID
				break
			}
		}
	}
	if a.Meta != nil {
		out.Version = a.Meta.VersionID
		if a.Meta.LastUpdated != "" {
			t, _, err := fhir.ParseDateTime(a.Meta.LastUpdated, time.UTC)
			if err != nil {
				return MISAppointment{}, badAnswer("Appointment/%s has a bad meta.lastUpdated", a.ID)
			}
			out.UpdatedAt = t.UTC()
		}
	}
	if out.Version == "" && !out.UpdatedAt.IsZero() {
		out.Version = out.UpdatedAt.Format(time.RFC3339Nano)
	}
	return out, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// PatientAppointments lists the patient's appointments starting within
// [from, to), soonest first: GET Appointment?patient=Patient/x&date=ge…&
// date=lt…&_sort=date, every page.
func (c *FHIRClient) PatientAppointments(ctx context.Context, patientID string, from, to time.Time) ([]MISAppointment, error) {
	if !validID(patientID) {
		return nil, problem.Field("patient_id", "is not an MIS patient id")
	}
	if from.IsZero() || to.IsZero() || !to.After(from) {
		return nil, problem.Field("to", "the period must have a start and an end after it")
	}
	idx, err := c.index(ctx)
	if err != nil {
		return nil, err
	}
	v := url.Values{
		"patient": {"Patient/" + patientID},
		"date":    {"ge" + fhir.DateTime(from.UTC()), "lt" + fhir.DateTime(to.UTC())},
		"_sort":   {"date"},
		"_count":  {strconv.Itoa(min(appointmentPage, c.refPage))},
	}
	out := []MISAppointment{}
	err = c.search(ctx, "Appointment", v, 0, func(raw json.RawMessage) error {
		a, err := decodeEntry(raw, &fhir.Appointment{})
		if err != nil {
			return err
		}
		m, err := c.appointmentFrom(a, idx)
		if err != nil {
			return err
		}
		if m.PatientID != patientID || m.Start.IsZero() || m.Start.Before(from) || !m.Start.Before(to) {
			return badAnswer("Appointment/%s does not match the search", a.ID)
		}
		out = append(out, m)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out, nil
}

// Changes reads the appointments changed since the cursor, oldest change
// first: GET Appointment?_lastUpdated=ge<t>&_sort=_lastUpdated&_count=n.
//
// The cursor is the last meta.lastUpdated seen, to the millisecond, with the
// versions seen at that very millisecond: asking with ge and skipping those
// loses nothing when several changes share a stamp (a plain FHIR store
// stamps in milliseconds, and two writes can share one; a bulk load shares
// one among thousands), where gt would skip the rest of that millisecond.
// The versions seen are carried in the cursor up to maxCursorKeys; a single
// millisecond with more changes than that is passed with gt once read that
// far (only a bulk load makes one, and it is written whole by then). _count
// grows with the versions to skip, up to maxChangeCount; beyond that the
// next links are followed through pages already seen. The server's next
// links are never kept in the cursor: an offset link shifts when an entry
// of the result changes meanwhile, and a change would be skipped.
//
// Polling is the mechanism on purpose. An R4 server may offer Subscription
// with a rest-hook channel (medplum's server does), but a rest-hook needs an
// Okno URL the MIS can reach and a subscription kept alive on the MIS, which
// a clinic's network rarely allows, and a missed notification would still
// need this feed to catch up; polling needs only what every R4 server has.
// Deleted appointments do not appear (a search cannot show them); MIS
// cancel by status.
//
// A server that refuses _sort=_lastUpdated (400) is read without it from
// then on: every change since the cursor is fetched, sorted here, and the
// oldest returned — slower, still lossless. So is one caught ignoring it: a
// page out of order (each page asks for one change more than it returns, so
// that even a page of one has a pair to compare). A server that ignores
// _sort and happens to answer a page in order cannot be told from one that
// sorts; none of those we test against (the demo MIS, medplum) does.
func (c *FHIRClient) Changes(ctx context.Context, cursor string, limit int) (ChangePage, error) {
	if limit <= 0 {
		limit = defaultChangeLimit
	}
	limit = min(limit, maxChangeLimit)
	cur, err := parseCursor(cursor)
	if err != nil {
		return ChangePage{}, problem.Field("cursor", "is not a change feed cursor of this MIS")
	}
	if cursor == "" {
		cur.at = c.now().Add(-changeLookback).UTC().Truncate(time.Millisecond)
	}
	idx, err := c.index(ctx)
	if err != nil {
		return ChangePage{}, err
	}
	c.mu.Lock()
	unsorted := c.noSortByUpdated
	c.mu.Unlock()
	var changes []MISAppointment
	more := false
	if !unsorted {
		changes, more, err = c.changesSorted(ctx, idx, cur, limit)
		if err == errUnsortedFeed {
			c.mu.Lock()
			c.noSortByUpdated = true
			c.mu.Unlock()
			unsorted = true
		} else if err != nil {
			return ChangePage{}, err
		}
	}
	if unsorted {
		if changes, more, err = c.changesUnsorted(ctx, idx, cur, limit); err != nil {
			return ChangePage{}, err
		}
	}
	if changes == nil {
		changes = []MISAppointment{}
	}
	return ChangePage{Changes: changes, Next: cur.advance(changes).String(), More: more}, nil
}

// Change feed cursor bounds.
const (
	maxCursorKeys  = 5000
	maxChangeCount = 1000
)

var errUnsortedFeed = badAnswer("Appointment search: _sort=_lastUpdated refused or ignored")

// feedCursor is where the feed stands: at (a millisecond), the versions
// already returned at it, or after: at is passed entirely (gt).
type feedCursor struct {
	at    time.Time
	seen  map[string]bool
	after bool
}

// lastUpdatedParam is the _lastUpdated search value from the cursor on.
func (fc feedCursor) lastUpdatedParam() string {
	if fc.after {
		return "gt" + fhir.Instant(fc.at)
	}
	return "ge" + fhir.Instant(fc.at)
}

// skip reports whether the change was returned before.
func (fc feedCursor) skip(m MISAppointment) bool {
	return !fc.after && m.UpdatedAt.Truncate(time.Millisecond).Equal(fc.at) && fc.seen[changeKey(m)]
}

func changeKey(m MISAppointment) string {
	return url.QueryEscape(m.MISID) + "@" + url.QueryEscape(m.Version)
}

// advance is the cursor after the changes returned: at the millisecond of
// the last, with the versions returned at it (and those seen before at it
// when it has not moved on).
func (fc feedCursor) advance(changes []MISAppointment) feedCursor {
	if len(changes) == 0 {
		return fc
	}
	at := changes[len(changes)-1].UpdatedAt.Truncate(time.Millisecond)
	next := feedCursor{at: at, seen: map[string]bool{}}
	if at.Equal(fc.at) {
		if fc.after {
			return fc // cannot happen: gt returns nothing at fc.at
		}
		for k := range fc.seen {
			next.seen[k] = true
		}
	}
	for _, m := range changes {
		if m.UpdatedAt.Truncate(time.Millisecond).Equal(at) {
			next.seen[changeKey(m)] = true
		}
	}
	if len(next.seen) > maxCursorKeys {
		next.seen, next.after = nil, true
	}
	return next
}

// String is the cursor's text: "<instant>[ key,…]" or "<instant> >".
func (fc feedCursor) String() string {
	s := fhir.Instant(fc.at.UTC())
	if fc.after {
		return s + " >"
	}
	keys := make([]string, 0, len(fc.seen))
	for k := range fc.seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) > 0 {
		s += " " + strings.Join(keys, ",")
	}
	return s
}

// parseCursor reads a cursor's text; "" is the zero cursor.
func parseCursor(cursor string) (feedCursor, error) {
	fc := feedCursor{seen: map[string]bool{}}
	if cursor == "" {
		return fc, nil
	}
	at, keys, _ := strings.Cut(cursor, " ")
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return feedCursor{}, err
	}
	fc.at = t.UTC().Truncate(time.Millisecond)
	if keys == ">" {
		fc.seen, fc.after = nil, true
		return fc, nil
	}
	if keys != "" {
		for k := range strings.SplitSeq(keys, ",") {
			id, ver, ok := strings.Cut(k, "@")
			id, err1 := url.QueryUnescape(id)
			_, err2 := url.QueryUnescape(ver)
			if !ok || err1 != nil || err2 != nil || !validID(id) || len(ver) > 200 {
				return feedCursor{}, errBadCursor
			}
			fc.seen[k] = true
		}
	}
	if len(fc.seen) > maxCursorKeys {
		return feedCursor{}, errBadCursor
	}
	return fc, nil
}

var errBadCursor = errors.New("mis: bad change feed cursor")

// changeFrom validates one resource of the feed: an id, a known status, a
// lastUpdated not before the cursor.
func (c *FHIRClient) changeFrom(raw json.RawMessage, idx *scheduleIndex, cur feedCursor) (MISAppointment, error) {
	a, err := decodeEntry(raw, &fhir.Appointment{})
	if err != nil {
		return MISAppointment{}, err
	}
	if a.Meta == nil || a.Meta.LastUpdated == "" {
		return MISAppointment{}, badAnswer("Appointment/%s without meta.lastUpdated in the change feed", a.ID)
	}
	m, err := c.appointmentFrom(a, idx)
	if err != nil {
		return MISAppointment{}, err
	}
	ms := m.UpdatedAt.Truncate(time.Millisecond)
	if ms.Before(cur.at) || (cur.after && ms.Equal(cur.at)) {
		return MISAppointment{}, badAnswer("Appointment/%s changed before the cursor", a.ID)
	}
	return m, nil
}

// changesSorted reads one page sorted by the server, following next links
// only through pages of changes returned before.
func (c *FHIRClient) changesSorted(ctx context.Context, idx *scheduleIndex, cur feedCursor, limit int) ([]MISAppointment, bool, error) {
	v := url.Values{
		"_lastUpdated": {cur.lastUpdatedParam()},
		"_sort":        {"_lastUpdated"},
		// One more than needed: a look past the page says whether there is more, and
		// gives even a page of one a pair to check the order by.
		"_count": {strconv.Itoa(min(limit+len(cur.seen)+1, maxChangeCount))},
	}
	next := c.base + "/Appointment?" + v.Encode()
	var out []MISAppointment
	var last time.Time
	more := false
	for page := 0; next != ""; page++ {
		if page == maxPages {
			return nil, false, badAnswer("Appointment change feed: more than %d pages to skip", maxPages)
		}
		p, err := c.searchPage(ctx, "Appointment", next)
		if st := statusOf(err); st == http.StatusBadRequest && page == 0 {
			return nil, false, errUnsortedFeed
		} else if st != 0 {
			return nil, false, badAnswer("Appointment change feed: status %d", st)
		}
		if err != nil {
			return nil, false, err
		}
		for _, raw := range p.matches {
			m, err := c.changeFrom(raw, idx, cur)
			if err != nil {
				return nil, false, err
			}
			if m.UpdatedAt.Before(last) {
				return nil, false, errUnsortedFeed
			}
			last = m.UpdatedAt
			if cur.skip(m) {
				continue
			}
			if len(out) < limit {
				out = append(out, m)
			} else {
				more = true
			}
		}
		if more {
			return out, true, nil
		}
		if len(out) > 0 {
			return out, p.next != "", nil
		}
		next = p.next
	}
	return out, false, nil
}

// changesUnsorted reads every change since the cursor and sorts them here.
func (c *FHIRClient) changesUnsorted(ctx context.Context, idx *scheduleIndex, cur feedCursor, limit int) ([]MISAppointment, bool, error) {
	v := url.Values{
		"_lastUpdated": {cur.lastUpdatedParam()},
		"_count":       {strconv.Itoa(c.refPage)},
	}
	var all []MISAppointment
	err := c.search(ctx, "Appointment", v, 0, func(raw json.RawMessage) error {
		m, err := c.changeFrom(raw, idx, cur)
		if err == nil && !cur.skip(m) {
			all = append(all, m)
		}
		return err
	})
	if err != nil {
		return nil, false, err
	}
	sort.SliceStable(all, func(i, j int) bool {
		if !all[i].UpdatedAt.Equal(all[j].UpdatedAt) {
			return all[i].UpdatedAt.Before(all[j].UpdatedAt)
		}
		return all[i].MISID < all[j].MISID
	})
	if len(all) > limit {
		return all[:limit], true, nil
	}
	return all, false, nil
}
