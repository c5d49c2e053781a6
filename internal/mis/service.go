package mis

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/okno-crm/okno/internal/auditlog"
	"github.com/okno-crm/okno/internal/events"
	"github.com/okno-crm/okno/internal/idempotency"
	"github.com/okno-crm/okno/internal/ids"
	"github.com/okno-crm/okno/internal/mis/migrations"
	"github.com/okno-crm/okno/internal/principal"
	"github.com/okno-crm/okno/internal/problem"
	"github.com/okno-crm/okno/internal/store"
)

// ServiceName is the mis service's database and its subject root.
const ServiceName = "mis"

// Event subjects. An appointment's status change is announced as
// "mis.appointment.<status>" (SubjectAppointment), a move to another slot as
// SubjectRescheduled.
const (
	SubjectBooked      = "mis.appointment.booked"
	SubjectCancelled   = "mis.appointment.cancelled"
	SubjectRescheduled = "mis.appointment.rescheduled"
	SubjectLinked      = "mis.patient.linked"
	SubjectUnlinked    = "mis.patient.unlinked"
	// SubjectRelinked: a link moved to another contact with the link id,
	// its author and time kept (a merge of contact cards).
	SubjectRelinked = "mis.patient.relinked"
)

// SubjectAppointment is the subject announcing that an appointment now has
// the status.
func SubjectAppointment(status string) string { return "mis.appointment." + status }

// Appointment statuses Okno keeps (the MIS's, in Okno's words).
const (
	StatusBooked    = ApptBooked
	StatusCancelled = ApptCancelled
)

// knownStatus tells the statuses Okno stores and announces.
func knownStatus(s string) bool {
	switch s {
	case ApptBooked, ApptConfirmed, ApptArrived, ApptCompleted, ApptNoShow, ApptCancelled:
		return true
	}
	return false
}

// Where an appointment Okno keeps came from.
const (
	SourceOkno = "okno" // booked from Okno's window
	SourceMIS  = "mis"  // made in the MIS for a linked patient, seen by the change feed or the card
)

// RefreshEvery is how often the reference data is read again from the MIS.
const RefreshEvery = 10 * time.Minute

// DefaultFeedEvery is how often the MIS's change feed is polled
// (OKNO_MIS_FEED_EVERY).
const DefaultFeedEvery = 15 * time.Second

// Alternatives is how many free slots a "taken" answer offers instead.
const Alternatives = 5

// Service is the mis service.
type Service struct {
	DB     *store.DB
	Client Client // nil when no MIS is configured: reads of the cache still work
	Now    func() time.Time
	// OnCommit wakes the outbox relay after a write.
	OnCommit func()
	// Contacts reads a contact's name, phones and birth date from the
	// contact center, for matching and registering patients. Nil refuses
	// those with 503.
	Contacts ContactReader
	// FeedEvery is how often Run polls the MIS's change feed; zero means
	// DefaultFeedEvery. FeedPage is the page size asked for (zero:
	// FeedPageSize).
	FeedEvery time.Duration
	FeedPage  int
	// Kind ("fhir", "renovatio") and BaseURL name the MIS for the health
	// page; the URL is shown without credentials.
	Kind, BaseURL string

	patients patientCache
	// beforeApply, in tests, fails a change's application (a crash in the
	// middle of a page).
	beforeApply func(MISAppointment) error
	refreshMu   sync.Mutex // one refresh at a time
	state       struct {
		sync.Mutex
		refreshError string
	}
}

// New migrates the mis database.
func New(ctx context.Context, db *store.DB, client Client, now func() time.Time) (*Service, error) {
	if err := db.Migrate(ctx, migrations.FS); err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	return &Service{DB: db, Client: client, Now: now}, nil
}

var errNoMIS = problem.New(problem.Unavailable, "no MIS is configured (OKNO_MIS_FHIR_URL)")

func (s *Service) client() (Client, error) {
	if s.Client == nil {
		return nil, errNoMIS
	}
	return s.Client, nil
}

// Run refreshes the cache now and every RefreshEvery, and polls the MIS's
// change feed every FeedEvery, until ctx ends. A failed refresh keeps the
// previous cache: the window keeps working on yesterday's list of doctors
// rather than on none. A failed poll keeps the cursor: the next one resumes
// where it stopped.
func (s *Service) Run(ctx context.Context) {
	if s.Client == nil {
		return
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.runFeed(ctx)
	}()
	defer wg.Wait()
	t := time.NewTicker(RefreshEvery)
	defer t.Stop()
	for {
		if err := s.Refresh(ctx); err != nil && ctx.Err() == nil {
			slog.Warn("mis: cache refresh failed; serving the previous cache", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Refresh reads branches, specialties, doctors and services from the MIS and
// replaces the cache with them in one transaction, only when all were read.
// Its outcome is kept for the health page.
func (s *Service) Refresh(ctx context.Context) error {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	err := s.refresh(ctx)
	s.state.Lock()
	s.state.refreshError = ""
	if err != nil {
		s.state.refreshError = problemMessage(err)
	}
	s.state.Unlock()
	return err
}

func (s *Service) refresh(ctx context.Context) error {
	c, err := s.client()
	if err != nil {
		return err
	}
	branches, err := c.Branches(ctx)
	if err != nil {
		return err
	}
	specs, err := c.Specialties(ctx)
	if err != nil {
		return err
	}
	doctors, err := c.Doctors(ctx)
	if err != nil {
		return err
	}
	services, err := c.Services(ctx)
	if err != nil {
		return err
	}
	return s.ReplaceCache(ctx, Reference{Branches: branches, Specialties: specs, Doctors: doctors, Services: services})
}

// Reference is a complete set of the MIS's reference data.
type Reference struct {
	Branches    []Branch
	Specialties []Specialty
	Doctors     []Doctor
	Services    []MedService
}

// ReplaceCache stores a complete set of reference data.
func (s *Service) ReplaceCache(ctx context.Context, ref Reference) error {
	branches, specs, doctors := ref.Branches, ref.Specialties, ref.Doctors
	now := s.Now().UTC()
	return s.DB.InTx(ctx, func(tx *sql.Tx) error {
		for _, t := range []string{"branches", "specialties", "doctors", "doctor_roles", "services"} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+t); err != nil {
				return fmt.Errorf("mis: clear %s: %w", t, err)
			}
		}
		for i, b := range branches {
			if _, err := tx.ExecContext(ctx, `INSERT INTO branches (id, name, address, phone, position) VALUES ($1, $2, $3, $4, $5)`,
				b.ID, b.Name, b.Address, b.Phone, i); err != nil {
				return fmt.Errorf("mis: cache branch: %w", err)
			}
		}
		for i, sp := range specs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO specialties (id, code_system, name, position) VALUES ($1, $2, $3, $4)`,
				sp.ID, sp.System, sp.Name, i); err != nil {
				return fmt.Errorf("mis: cache specialty: %w", err)
			}
		}
		for i, d := range doctors {
			if _, err := tx.ExecContext(ctx, `INSERT INTO doctors (id, name, position) VALUES ($1, $2, $3)`, d.ID, d.Name, i); err != nil {
				return fmt.Errorf("mis: cache doctor: %w", err)
			}
			seen := map[DoctorRole]bool{}
			for _, r := range d.Roles {
				if seen[r] {
					continue
				}
				seen[r] = true
				if _, err := tx.ExecContext(ctx, `INSERT INTO doctor_roles (doctor_id, role_id, branch_id, specialty_id) VALUES ($1, $2, $3, $4)`,
					d.ID, r.ID, r.BranchID, r.SpecialtyID); err != nil {
					return fmt.Errorf("mis: cache doctor role: %w", err)
				}
			}
		}
		seenSvc := map[string]bool{}
		for i, sv := range ref.Services {
			if seenSvc[sv.ID] {
				continue
			}
			seenSvc[sv.ID] = true
			if _, err := tx.ExecContext(ctx, `INSERT INTO services (id, name, specialty_id, price, currency, position) VALUES ($1, $2, $3, $4, $5, $6)`,
				sv.ID, sv.Name, sv.SpecialtyID, sv.Price, sv.Currency, i); err != nil {
				return fmt.Errorf("mis: cache service: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM cache_state WHERE name = $1`, "reference"); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO cache_state (name, refreshed_at) VALUES ($1, $2)`, "reference", now)
		return err
	})
}

// Branches lists the cached branches.
func (s *Service) Branches(ctx context.Context) ([]Branch, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id, name, address, phone FROM branches ORDER BY position`)
	if err != nil {
		return nil, fmt.Errorf("mis: branches: %w", err)
	}
	defer rows.Close()
	out := []Branch{}
	for rows.Next() {
		var b Branch
		if err := rows.Scan(&b.ID, &b.Name, &b.Address, &b.Phone); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// Specialties lists the cached specialties.
func (s *Service) Specialties(ctx context.Context) ([]Specialty, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id, code_system, name FROM specialties ORDER BY position`)
	if err != nil {
		return nil, fmt.Errorf("mis: specialties: %w", err)
	}
	defer rows.Close()
	out := []Specialty{}
	for rows.Next() {
		var sp Specialty
		if err := rows.Scan(&sp.ID, &sp.System, &sp.Name); err != nil {
			return nil, err
		}
		out = append(out, sp)
	}
	return out, rows.Err()
}

// Doctors lists the cached doctors having a role of the specialty in the
// branch (empty filters select all), each with all their roles.
func (s *Service) Doctors(ctx context.Context, specialtyID, branchID string) ([]Doctor, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT d.id, d.name, r.role_id, r.branch_id, r.specialty_id
FROM doctors d JOIN doctor_roles r ON r.doctor_id = d.id
WHERE d.id IN (SELECT doctor_id FROM doctor_roles WHERE ($1 = '' OR specialty_id = $1) AND ($2 = '' OR branch_id = $2))
ORDER BY d.position, r.role_id, r.branch_id, r.specialty_id`, specialtyID, branchID)
	if err != nil {
		return nil, fmt.Errorf("mis: doctors: %w", err)
	}
	defer rows.Close()
	out := []Doctor{}
	for rows.Next() {
		var id, name string
		var r DoctorRole
		if err := rows.Scan(&id, &name, &r.ID, &r.BranchID, &r.SpecialtyID); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].ID != id {
			out = append(out, Doctor{ID: id, Name: name})
		}
		out[len(out)-1].Roles = append(out[len(out)-1].Roles, r)
	}
	return out, rows.Err()
}

// RefreshedAt is when the cache was last replaced (zero: never).
func (s *Service) RefreshedAt(ctx context.Context) (time.Time, error) {
	var t time.Time
	err := s.DB.R.QueryRowContext(ctx, `SELECT refreshed_at FROM cache_state WHERE name = $1`, "reference").Scan(&t)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	return t.UTC(), err
}

// Ref is an id with the name the cache knows it by.
type Ref struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// names maps cached ids to names for the answers.
type names struct{ branches, specialties, doctors map[string]string }

func (s *Service) names(ctx context.Context) (names, error) {
	n := names{map[string]string{}, map[string]string{}, map[string]string{}}
	for _, q := range []struct {
		sql string
		m   map[string]string
	}{{`SELECT id, name FROM branches`, n.branches}, {`SELECT id, name FROM specialties`, n.specialties}, {`SELECT id, name FROM doctors`, n.doctors}} {
		rows, err := s.DB.R.QueryContext(ctx, q.sql)
		if err != nil {
			return n, fmt.Errorf("mis: names: %w", err)
		}
		for rows.Next() {
			var id, name string
			if err := rows.Scan(&id, &name); err != nil {
				rows.Close()
				return n, err
			}
			q.m[id] = name
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return n, err
		}
	}
	return n, nil
}

func ref(m map[string]string, id string) Ref { return Ref{ID: id, Name: m[id]} }

// SlotView is a free slot as the API shows it.
type SlotView struct {
	ID        string    `json:"id"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Specialty Ref       `json:"specialty"`
	Doctor    Ref       `json:"doctor"`
	Branch    Ref       `json:"branch"`
}

// FreeSlots asks the MIS (never the cache) for free slots.
func (s *Service) FreeSlots(ctx context.Context, q SlotQuery) ([]SlotView, error) {
	c, err := s.client()
	if err != nil {
		return nil, err
	}
	slots, err := c.FreeSlots(ctx, q)
	if err != nil {
		return nil, err
	}
	n, err := s.names(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]SlotView, 0, len(slots))
	for _, sl := range slots {
		out = append(out, SlotView{ID: sl.ID, Start: sl.Start, End: sl.End, Specialty: ref(n.specialties, sl.SpecialtyID),
			Doctor: ref(n.doctors, sl.DoctorID), Branch: ref(n.branches, sl.BranchID)})
	}
	return out, nil
}

// Appointment is an appointment Okno keeps: booked from Okno, or made in the
// MIS for a linked patient (Source "mis"). ContactID is the contact it was
// booked for (for one made in the MIS: the contact first linked to its
// patient); PatientID the MIS patient when known.
type Appointment struct {
	ID        string    `json:"id"`
	MISID     string    `json:"mis_id"`
	SlotID    string    `json:"slot_id"`
	ContactID string    `json:"contact_id"`
	RequestID *string   `json:"request_id"`
	PatientID *string   `json:"patient_id"`
	Status    string    `json:"status"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Doctor    Ref       `json:"doctor"`
	Branch    Ref       `json:"branch"`
	Specialty Ref       `json:"specialty"`
	Source    string    `json:"source"`
	BookedAt  time.Time `json:"booked_at"`
}

// BookInput is what the operator asks to book.
type BookInput struct {
	SlotID    string
	ContactID string
	RequestID string // optional
	// PatientID is the linked patient to book for; empty picks the
	// contact's only linked patient, or none (the adapter then books a
	// patient standing for the contact).
	PatientID string
	// IdemKey and Fingerprint, when the client sent Idempotency-Key: the
	// answer is stored under the key in the booking's own transaction.
	IdemKey, Fingerprint string
}

// errIdemRace: another call with the same Idempotency-Key stored its
// booking first; the caller replays that one.
var errIdemRace = errors.New("mis: idempotency key stored by a concurrent call")

func idemScope(p principal.Principal) string { return "user:" + p.UserID }

// TakenProblem is the 409 of a slot taken meanwhile, with fresh free slots
// of the same specialty.
type TakenProblem struct {
	Alternatives []SlotView
}

func (e *TakenProblem) Error() string { return "mis: the slot was just taken" }

const apptCols = `id, mis_id, slot_id, contact_id, request_id, patient_id, status, start_at, end_at, doctor_id, branch_id, specialty_id, source, booked_at`

type rowScanner interface{ Scan(...any) error }

// scanAppointmentRow reads a row of apptCols, naming its references from n.
func scanAppointmentRow(row rowScanner, n names) (Appointment, error) {
	var a Appointment
	var req, patient, doc, branch, spec string
	if err := row.Scan(&a.ID, &a.MISID, &a.SlotID, &a.ContactID, &req, &patient, &a.Status, &a.Start, &a.End, &doc, &branch, &spec, &a.Source, &a.BookedAt); err != nil {
		return a, err
	}
	if req != "" {
		a.RequestID = &req
	}
	if patient != "" {
		a.PatientID = &patient
	}
	a.Start, a.End, a.BookedAt = a.Start.UTC(), a.End.UTC(), a.BookedAt.UTC()
	a.Doctor, a.Branch, a.Specialty = ref(n.doctors, doc), ref(n.branches, branch), ref(n.specialties, spec)
	return a, nil
}

func (s *Service) scanAppointment(ctx context.Context, row rowScanner) (Appointment, error) {
	n, err := s.names(ctx)
	if err != nil {
		return Appointment{}, err
	}
	return scanAppointmentRow(row, n)
}

// Appointment reads one booking made from Okno.
func (s *Service) Appointment(ctx context.Context, id string) (Appointment, error) {
	if !ids.Valid(id) {
		return Appointment{}, problem.New(problem.NotFound, "no such appointment")
	}
	a, err := s.scanAppointment(ctx, s.DB.R.QueryRowContext(ctx, `SELECT `+apptCols+` FROM appointments WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Appointment{}, problem.New(problem.NotFound, "no such appointment")
	}
	return a, err
}

func auditRecord(p principal.Principal, at time.Time, action, id string, details map[string]string, outcome string) auditlog.Record {
	return auditObject(p, at, action, "appointment", id, details, outcome)
}

func auditObject(p principal.Principal, at time.Time, action, objectType, id string, details map[string]string, outcome string) auditlog.Record {
	return auditlog.Record{At: at, ActorID: p.UserID, ActorLogin: p.Login, ActorRole: p.Role, ClientAddr: p.ClientAddr,
		Action: action, ObjectType: objectType, ObjectID: id, Outcome: outcome, Details: details}
}

// auditRead records a read of health or personal data before it is answered:
// a read whose audit cannot be stored is refused.
func (s *Service) auditRead(ctx context.Context, r auditlog.Record) error {
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error { return auditlog.Emit(ctx, tx, ServiceName, r) })
	if err != nil {
		return &problem.Error{Code: problem.Unavailable, Message: "the access could not be audited, so it is refused; please retry", Err: err}
	}
	s.committed()
	return nil
}

// Book books the slot in the MIS and records the booking, its event and
// its audit record together. A slot taken meanwhile gives *TakenProblem
// with alternatives; if the record cannot be stored after the MIS booked,
// the MIS booking is cancelled again so that no booking exists unknown to
// Okno.
//
// A booking for a contact merged into another is made for the survivor
// (and its linked patients), as a link is: booked for the merged card it
// would be missing from the survivor's list, and made for no linked
// patient the MIS would get a second patient for the same person.
func (s *Service) Book(ctx context.Context, p principal.Principal, in BookInput) (Appointment, error) {
	c, err := s.client()
	if err != nil {
		return Appointment{}, err
	}
	chain, err := s.mergeChain(ctx, p, in.ContactID, PurposeBook)
	if err != nil {
		return Appointment{}, err
	}
	requested := in.ContactID
	in.ContactID = chain[len(chain)-1]
	patientID, err := s.bookingPatient(ctx, chain, in.PatientID)
	if err != nil {
		return Appointment{}, err
	}
	b, err := c.Book(ctx, Booking{SlotID: in.SlotID, ContactID: in.ContactID, PatientID: patientID})
	var taken *TakenError
	if errors.As(err, &taken) {
		return Appointment{}, s.taken(ctx, taken.Slot)
	}
	if errors.Is(err, ErrNotFound) {
		return Appointment{}, problem.Field("slot_id", "the MIS does not know this slot")
	}
	if err != nil {
		return Appointment{}, err
	}
	now := s.Now().UTC().Truncate(time.Microsecond) // what PostgreSQL keeps: the answer equals a later read
	id := ids.NewAt(now)
	details := map[string]string{"mis_id": b.MISID, "slot_id": b.SlotID, "contact_id": in.ContactID}
	if requested != in.ContactID {
		details["requested_contact_id"] = requested
	}
	if in.RequestID != "" {
		details["request_id"] = in.RequestID
	}
	n, err := s.names(ctx)
	if err != nil {
		s.compensate(ctx, c, b.MISID)
		return Appointment{}, err
	}
	a := Appointment{ID: id, MISID: b.MISID, SlotID: b.SlotID, ContactID: in.ContactID, Status: StatusBooked,
		Start: b.Start.UTC(), End: b.End.UTC(), Doctor: ref(n.doctors, b.DoctorID), Branch: ref(n.branches, b.BranchID),
		Specialty: ref(n.specialties, b.SpecialtyID), Source: SourceOkno, BookedAt: now}
	if in.RequestID != "" {
		a.RequestID = &in.RequestID
	}
	if patientID != "" {
		a.PatientID = &patientID
	}
	err = s.DB.InTx(ctx, func(tx *sql.Tx) error {
		if in.IdemKey != "" {
			body, err := json.Marshal(a)
			if err != nil {
				return err
			}
			err = idempotency.Save(ctx, tx, idemScope(p), in.IdemKey, idempotency.Saved{
				Fingerprint: in.Fingerprint, Status: http.StatusCreated, ContentType: "application/json", Body: append(body, '\n')}, now)
			if store.IsUniqueViolation(err) {
				return errIdemRace
			}
			if err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO appointments (id, mis_id, slot_id, contact_id, request_id, status, start_at, end_at,
  doctor_id, branch_id, specialty_id, booked_by, booked_at, updated_at, patient_id, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
			id, b.MISID, b.SlotID, in.ContactID, in.RequestID, StatusBooked, b.Start.UTC(), b.End.UTC(),
			b.DoctorID, b.BranchID, b.SpecialtyID, p.UserID, now, now, patientID, SourceOkno); err != nil {
			return fmt.Errorf("mis: store appointment: %w", err)
		}
		if _, err := events.Add(ctx, tx, SubjectBooked, now, eventData(a)); err != nil {
			return err
		}
		return auditlog.Emit(ctx, tx, ServiceName, auditRecord(p, now, "appointment.booked", id, details, auditlog.OutcomeSuccess))
	})
	if err != nil {
		s.compensate(ctx, c, b.MISID)
		return Appointment{}, err
	}
	s.committed()
	return a, nil
}

// compensate cancels an MIS booking Okno could not record, so that no
// booking exists that Okno does not know about.
func (s *Service) compensate(ctx context.Context, c Client, misID string) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*FHIRTimeout)
	defer cancel()
	if err := c.Cancel(cctx, misID); err != nil {
		slog.Error("mis: booked in the MIS but not stored, and the MIS booking could not be cancelled", "mis_id", misID, "err", err)
	}
}

// eventData is what an appointment's events carry: ids, its status and
// start — never the patient's data. request_id only when it was booked for
// a request.
func eventData(a Appointment) map[string]string {
	d := map[string]string{"appointment_id": a.ID, "mis_id": a.MISID, "slot_id": a.SlotID, "contact_id": a.ContactID,
		"status": a.Status, "start": a.Start.UTC().Format(time.RFC3339)}
	if a.RequestID != nil && *a.RequestID != "" {
		d["request_id"] = *a.RequestID
	}
	if a.PatientID != nil && *a.PatientID != "" {
		d["patient_id"] = *a.PatientID
	}
	return d
}

// taken builds the 409 with fresh free slots of the taken slot's specialty.
// Alternatives that cannot be read leave the list empty: the conflict is
// the answer, the alternatives a courtesy.
func (s *Service) taken(ctx context.Context, sl Slot) error {
	tp := &TakenProblem{Alternatives: []SlotView{}}
	if sl.SpecialtyID == "" {
		return tp
	}
	from := s.Now().UTC()
	if sl.Start.After(from) {
		from = sl.Start
	}
	alts, err := s.FreeSlots(ctx, SlotQuery{SpecialtyID: sl.SpecialtyID, From: from, To: from.Add(MaxSlotRange), Limit: Alternatives + 1})
	if err != nil {
		slog.Warn("mis: alternatives for a taken slot", "err", err)
		return tp
	}
	for _, a := range alts {
		if a.ID != sl.ID && len(tp.Alternatives) < Alternatives {
			tp.Alternatives = append(tp.Alternatives, a)
		}
	}
	return tp
}

// Cancel cancels a booking made from Okno, in the MIS first. Cancelling one
// already cancelled answers it as it is.
func (s *Service) Cancel(ctx context.Context, p principal.Principal, id string) (Appointment, error) {
	a, err := s.Appointment(ctx, id)
	if err != nil {
		return Appointment{}, err
	}
	if a.Status == StatusCancelled {
		return a, nil
	}
	if a.Status != ApptBooked && a.Status != ApptConfirmed {
		return Appointment{}, problem.New(problem.Conflict, fmt.Sprintf("the appointment is %s and can no longer be cancelled", a.Status))
	}
	c, err := s.client()
	if err != nil {
		return Appointment{}, err
	}
	if err := c.Cancel(ctx, a.MISID); err != nil && !errors.Is(err, ErrNotFound) {
		return Appointment{}, err
	}
	now := s.Now().UTC()
	changed := false
	err = s.DB.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE appointments SET status = $1, updated_at = $2 WHERE id = $3 AND status <> $1`, StatusCancelled, now, id)
		if err != nil {
			return fmt.Errorf("mis: cancel appointment: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // cancelled by a racing call, which announced it
		}
		changed = true
		a.Status = StatusCancelled
		if _, err := events.Add(ctx, tx, SubjectCancelled, now, eventData(a)); err != nil {
			return err
		}
		return auditlog.Emit(ctx, tx, ServiceName, auditRecord(p, now, "appointment.cancelled", id,
			map[string]string{"mis_id": a.MISID, "contact_id": a.ContactID}, auditlog.OutcomeSuccess))
	})
	if err != nil {
		return Appointment{}, err
	}
	if changed {
		s.committed()
	}
	return s.Appointment(ctx, id)
}

func (s *Service) committed() {
	if s.OnCommit != nil {
		s.OnCommit()
	}
}

// MaxSlotRange is the widest slot search.
const MaxSlotRange = 14 * 24 * time.Hour
