package mis

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/okno-crm/okno/internal/mis/fhir"
	"github.com/okno-crm/okno/internal/problem"
)

// index returns the MIS's schedules and roles with the doctor, branch and
// specialty each belongs to; reloaded when older than scheduleTTL.
func (c *FHIRClient) index(ctx context.Context) (*scheduleIndex, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.idx != nil && c.now().Sub(c.loadedAt) < scheduleTTL {
		return c.idx, nil
	}
	roles := map[string]*fhir.PractitionerRole{}
	idx := &scheduleIndex{schedules: []scheduleInfo{}, roles: map[string]scheduleInfo{}}
	q := url.Values{"_count": {strconv.Itoa(c.refPage)}}
	if err := c.search(ctx, "PractitionerRole", q, 0, func(raw json.RawMessage) error {
		pr, err := decodeEntry(raw, &fhir.PractitionerRole{})
		if err != nil {
			return err
		}
		roles[pr.ID] = pr
		info := scheduleInfo{roleID: pr.ID, doctorID: refID(pr.Practitioner, "Practitioner")}
		if len(pr.Location) > 0 {
			info.branchID = refID(&pr.Location[0], "Location")
		}
		for _, cc := range pr.Specialty {
			if sp, ok := c.specialtyOf(cc); ok {
				info.specialtyID = sp.ID
				break
			}
		}
		idx.roles[pr.ID] = info
		return nil
	}); err != nil {
		return nil, err
	}
	if err := c.search(ctx, "Schedule", q, 0, func(raw json.RawMessage) error {
		s, err := decodeEntry(raw, &fhir.Schedule{})
		if err != nil {
			return err
		}
		if s.Active != nil && !*s.Active {
			return nil
		}
		info := scheduleInfo{id: s.ID}
		for _, a := range s.Actor {
			t, id, ok := a.Split()
			if !ok {
				continue
			}
			switch t {
			case "PractitionerRole":
				info.roleID = id
			case "Practitioner":
				info.doctorID = id
			case "Location":
				info.branchID = id
			}
		}
		if r := roles[info.roleID]; r != nil {
			if info.doctorID == "" {
				info.doctorID = refID(r.Practitioner, "Practitioner")
			}
			if info.branchID == "" && len(r.Location) > 0 {
				info.branchID = refID(&r.Location[0], "Location")
			}
			if len(s.Specialty) == 0 {
				s.Specialty = r.Specialty
			}
		}
		for _, cc := range s.Specialty {
			if sp, ok := c.specialtyOf(cc); ok {
				info.specialtyID = sp.ID
				break
			}
		}
		if info.doctorID == "" {
			return nil // a room's or a device's schedule: not bookable from here
		}
		idx.schedules = append(idx.schedules, info)
		return nil
	}); err != nil {
		return nil, err
	}
	c.idx, c.loadedAt = idx, c.now()
	return idx, nil
}

// slotFrom validates a Slot and fills in whose it is.
func (c *FHIRClient) slotFrom(s *fhir.Slot, idx *scheduleIndex) (Slot, error) {
	if s.Status == "" || s.Start == "" || s.End == "" || s.Schedule.Reference == "" {
		return Slot{}, badAnswer("Slot/%s lacks status, start, end or schedule", s.ID)
	}
	start, _, err1 := fhir.ParseDateTime(s.Start, time.UTC)
	end, _, err2 := fhir.ParseDateTime(s.End, time.UTC)
	if err1 != nil || err2 != nil || !end.After(start) {
		return Slot{}, badAnswer("Slot/%s has a bad start or end", s.ID)
	}
	status, ok := slotStatus(s.Status)
	if !ok {
		return Slot{}, badAnswer("Slot/%s has status %q", s.ID, s.Status)
	}
	out := Slot{ID: s.ID, Start: start.UTC(), End: end.UTC(), Status: status}
	if s.Meta != nil {
		out.Version = s.Meta.VersionID
	}
	_, sid, _ := s.Schedule.Split()
	if si, ok := idx.schedule(sid); ok {
		out.DoctorID, out.BranchID, out.RoleID, out.SpecialtyID = si.doctorID, si.branchID, si.roleID, si.specialtyID
	}
	for _, cc := range s.Specialty {
		if sp, ok := c.specialtyOf(cc); ok {
			out.SpecialtyID = sp.ID
			break
		}
	}
	return out, nil
}

// slotStatus maps R4 slot statuses to Okno's two: a tentative hold and a
// blocked period are as unbookable as a booked one. entered-in-error is no
// slot at all (ok is true, status empty).
func slotStatus(s string) (string, bool) {
	switch s {
	case fhir.SlotFree:
		return "free", true
	case fhir.SlotBusy, fhir.SlotBusyUnavailable, fhir.SlotBusyTentative:
		return "busy", true
	case fhir.SlotEnteredInError:
		return "", true
	}
	return "", false
}

// FreeSlots searches free slots by schedule (the doctor's and branch's),
// status, start range and specialty, soonest first, following pages.
func (c *FHIRClient) FreeSlots(ctx context.Context, q SlotQuery) ([]Slot, error) {
	return c.slots(ctx, q, []string{fhir.SlotFree})
}

// Schedule lists the free and the busy slots of the query, for a schedule
// grid; busy-unavailable and busy-tentative count as busy.
func (c *FHIRClient) Schedule(ctx context.Context, q SlotQuery) ([]Slot, error) {
	return c.slots(ctx, q, []string{fhir.SlotFree, fhir.SlotBusy, fhir.SlotBusyUnavailable, fhir.SlotBusyTentative})
}

func (c *FHIRClient) slots(ctx context.Context, q SlotQuery, statuses []string) ([]Slot, error) {
	if q.From.IsZero() || q.To.IsZero() || !q.To.After(q.From) {
		return nil, problem.Field("to", "the period must have a start and an end after it")
	}
	idx, err := c.index(ctx)
	if err != nil {
		return nil, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	v := url.Values{
		"status": {strings.Join(statuses, ",")},
		"start":  {"ge" + fhir.DateTime(q.From.UTC()), "lt" + fhir.DateTime(q.To.UTC())},
		"_sort":  {"start"},
		"_count": {strconv.Itoa(min(limit, c.slotPage))},
	}
	if q.DoctorID != "" || q.BranchID != "" {
		var ids []string
		for _, s := range idx.schedules {
			if (q.DoctorID == "" || s.doctorID == q.DoctorID) && (q.BranchID == "" || s.branchID == q.BranchID) &&
				(q.SpecialtyID == "" || s.specialtyID == "" || s.specialtyID == q.SpecialtyID) {
				ids = append(ids, "Schedule/"+s.id)
			}
		}
		if len(ids) == 0 {
			return []Slot{}, nil
		}
		v.Set("schedule", strings.Join(ids, ","))
	}
	if q.SpecialtyID != "" {
		// Without a configured system the code matches in any system: the
		// ids we hand out are codes, and a clash between systems is unlikely
		// within one MIS.
		if c.system != "" {
			v.Set("specialty", tokenEscape(c.system)+"|"+tokenEscape(q.SpecialtyID))
		} else {
			v.Set("specialty", tokenEscape(q.SpecialtyID))
		}
	}
	out := []Slot{}
	err = c.search(ctx, "Slot", v, limit, func(raw json.RawMessage) error {
		s, err := decodeEntry(raw, &fhir.Slot{})
		if err != nil {
			return err
		}
		sl, err := c.slotFrom(s, idx)
		if err != nil {
			return err
		}
		// The server said which statuses and when: check rather than trust.
		if !slices.Contains(statuses, s.Status) || sl.Start.Before(q.From) || !sl.Start.Before(q.To) {
			return badAnswer("Slot/%s does not match the search", s.ID)
		}
		out = append(out, sl)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// tokenEscape escapes the characters FHIR search gives a meaning in token
// values (comma: or; pipe: system; dollar: composite).
func tokenEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `,`, `\,`, `|`, `\|`, `$`, `\$`).Replace(s)
}

// slotRead is a Slot as read for booking: mapped, with its FHIR status, its
// JSON as the MIS sent it (for a versioned update that keeps every element)
// and its version.
type slotRead struct {
	Slot
	status string
	raw    []byte
}

// readSlot reads one Slot with its version.
func (c *FHIRClient) readSlot(ctx context.Context, id string) (slotRead, error) {
	if !validID(id) {
		return slotRead{}, ErrNotFound
	}
	idx, err := c.index(ctx)
	if err != nil {
		return slotRead{}, err
	}
	var s fhir.Slot
	h, raw, err := c.doRaw(ctx, http.MethodGet, c.base+"/Slot/"+url.PathEscape(id), nil, nil, &s)
	switch st := statusOf(err); {
	case st == http.StatusNotFound || st == http.StatusGone:
		return slotRead{}, ErrNotFound
	case st != 0:
		return slotRead{}, badAnswer("Slot read: status %d", st)
	case err != nil:
		return slotRead{}, err
	}
	if s.ID != id {
		return slotRead{}, badAnswer("Slot/%s answered as %q", id, s.ID)
	}
	sl, err := c.slotFrom(&s, idx)
	if err != nil {
		return slotRead{}, err
	}
	if v := etagVersion(h.Get("ETag")); v != "" {
		sl.Version = v
	}
	return slotRead{Slot: sl, status: s.Status, raw: raw}, nil
}

// etagVersion is the version id in an ETag (W/"3" → 3).
func etagVersion(etag string) string {
	return strings.Trim(strings.TrimPrefix(strings.TrimSpace(etag), "W/"), `"`)
}

// ifMatch is the If-Match header naming a version.
func ifMatch(version string) http.Header {
	h := http.Header{}
	if version != "" {
		h.Set("If-Match", `W/"`+version+`"`)
	}
	return h
}

// validID is the FHIR id shape: what may go into a URL path or a search.
func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}
