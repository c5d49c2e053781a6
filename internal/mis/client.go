package mis

import (
	"context"
	"errors"
	"time"
)

// Branch is a place where doctors see patients (a FHIR Location).
type Branch struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Address string `json:"address"`
	Phone   string `json:"phone"`
}

// Specialty is a medical specialty. ID is the MIS's code; System is its code
// system, kept so that searches can name it exactly.
type Specialty struct {
	ID     string `json:"id"`
	System string `json:"-"`
	Name   string `json:"name"`
}

// Doctor is a practitioner with the roles they work in.
type Doctor struct {
	ID    string       `json:"id"`
	Name  string       `json:"name"`
	Roles []DoctorRole `json:"roles"`
}

// DoctorRole is one doctor × branch × specialty.
type DoctorRole struct {
	ID          string `json:"id"`
	BranchID    string `json:"branch_id"`
	SpecialtyID string `json:"specialty_id"`
}

// MedService is a bookable service with its price. Price is the MIS's
// decimal text as sent: money is never a float here.
type MedService struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	SpecialtyID string `json:"specialty_id"`
	Price       string `json:"price"`
	Currency    string `json:"currency"`
}

// Slot is a free (or just taken) period in a doctor's schedule. Version is
// the MIS's version of the slot, sent back when booking so that a slot that
// changed meanwhile is refused rather than double-booked.
type Slot struct {
	ID          string    `json:"id"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	SpecialtyID string    `json:"specialty_id"`
	DoctorID    string    `json:"doctor_id"`
	BranchID    string    `json:"branch_id"`
	RoleID      string    `json:"role_id"`
	// Status is "free" or "busy" (busy only in Schedule's answers).
	Status  string `json:"status"`
	Version string `json:"-"`
}

// SlotQuery selects free slots. Empty ids do not filter; From and To are
// required; Limit bounds the answer.
type SlotQuery struct {
	SpecialtyID string
	BranchID    string
	DoctorID    string
	From, To    time.Time
	Limit       int
}

// Booking asks the MIS to book a slot. PatientID is the MIS patient the
// contact is linked to; when empty the adapter finds or creates a patient
// standing for the Okno contact (identified by ContactID).
type Booking struct {
	SlotID    string
	ContactID string
	PatientID string
}

// Identifier is one of a patient's identifiers (a medical record number,
// СНИЛС, the Okno contact id) with the system that issues it.
type Identifier struct {
	System string `json:"system"`
	Value  string `json:"value"`
}

// Patient is a person as the MIS knows them. Phones are E.164 where the
// MIS's text could be read as a Russian number, else as sent. BirthDate is
// YYYY-MM-DD or empty. Middle is the patronymic (отчество).
type Patient struct {
	ID          string       `json:"id"`
	Family      string       `json:"family"`
	Given       string       `json:"given"`
	Middle      string       `json:"middle"`
	BirthDate   string       `json:"birth_date"`
	Gender      string       `json:"gender"`
	Phones      []string     `json:"phones"`
	Emails      []string     `json:"emails"`
	Identifiers []Identifier `json:"identifiers"`
}

// PatientQuery finds patients. Set fields are ANDed; Phone is E.164.
// At least one field must be set.
type PatientQuery struct {
	Phone      string
	Identifier Identifier
	Family     string
	Given      string
	BirthDate  string
	Limit      int
}

// NewPatient is a patient Okno registers in the MIS. The adapter creates
// it conditionally on ContactID's identifier, so a retry never creates two.
type NewPatient struct {
	ContactID string
	Family    string
	Given     string
	Middle    string
	BirthDate string
	Phone     string
	Email     string
}

// Appointment statuses in Okno's words; adapters map their MIS's codes to
// these (FHIR: booked, arrived, fulfilled → completed, noshow, cancelled;
// pending/proposed → booked).
const (
	ApptBooked    = "booked"
	ApptConfirmed = "confirmed"
	ApptArrived   = "arrived"
	ApptCompleted = "completed"
	ApptNoShow    = "noshow"
	ApptCancelled = "cancelled"
)

// MISAppointment is an appointment as the MIS has it now, whoever made it.
// UpdatedAt is the MIS's last-change time of the record; Version its
// version id when the MIS has one (else UpdatedAt in RFC 3339 nano).
type MISAppointment struct {
	MISID       string    `json:"mis_id"`
	Status      string    `json:"status"`
	PatientID   string    `json:"patient_id"`
	SlotID      string    `json:"slot_id"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	DoctorID    string    `json:"doctor_id"`
	BranchID    string    `json:"branch_id"`
	SpecialtyID string    `json:"specialty_id"`
	UpdatedAt   time.Time `json:"updated_at"`
	Version     string    `json:"version"`
}

// ChangePage is one page of the MIS's change feed. Next is the cursor to
// ask with next time (opaque to the service, stored between polls so the
// feed resumes where it stopped after a restart or an outage); More says
// another page is ready at once.
type ChangePage struct {
	Changes []MISAppointment
	Next    string
	More    bool
}

// Booked is an appointment as the MIS made it.
type Booked struct {
	MISID       string
	SlotID      string
	Start, End  time.Time
	DoctorID    string
	BranchID    string
	SpecialtyID string
	Status      string
}

// Client is what the mis service needs from a Medical Information System.
// Each installation plugs in one adapter (FHIR R4 today); the service speaks
// only this model. Errors are ErrSlotTaken (*TakenError), ErrNotFound, or a
// problem.Unavailable error when the MIS cannot be reached or answers
// nonsense.
type Client interface {
	Branches(ctx context.Context) ([]Branch, error)
	Specialties(ctx context.Context) ([]Specialty, error)
	Doctors(ctx context.Context) ([]Doctor, error)
	Services(ctx context.Context) ([]MedService, error)
	FreeSlots(ctx context.Context, q SlotQuery) ([]Slot, error)
	// Schedule lists free and busy slots alike, for the schedule grid.
	Schedule(ctx context.Context, q SlotQuery) ([]Slot, error)
	Book(ctx context.Context, b Booking) (Booked, error)
	Cancel(ctx context.Context, misAppointmentID string) error
	// Reschedule moves the appointment into another free slot, race-safe
	// like Book (ErrSlotTaken when the new slot was just taken).
	Reschedule(ctx context.Context, misAppointmentID, newSlotID string) (Booked, error)

	FindPatients(ctx context.Context, q PatientQuery) ([]Patient, error)
	Patient(ctx context.Context, id string) (Patient, error)
	CreatePatient(ctx context.Context, p NewPatient) (Patient, error)
	// PatientAppointments lists a patient's appointments, past and future,
	// within [from, to).
	PatientAppointments(ctx context.Context, patientID string, from, to time.Time) ([]MISAppointment, error)
	// Changes reads the appointments changed since cursor ("" = start from
	// now minus a day), oldest first, at most limit.
	Changes(ctx context.Context, cursor string, limit int) (ChangePage, error)
}

// ErrNotFound: the MIS does not know the slot or appointment.
var ErrNotFound = errors.New("mis: not found")

// ErrSlotTaken: the slot was booked by someone else (or changed) since it
// was read.
var ErrSlotTaken = errors.New("mis: slot taken")

// TakenError is ErrSlotTaken with the slot as last read, when it could be
// read, so that alternatives of the same specialty can be offered.
type TakenError struct{ Slot Slot }

func (e *TakenError) Error() string        { return ErrSlotTaken.Error() }
func (e *TakenError) Is(target error) bool { return target == ErrSlotTaken }
