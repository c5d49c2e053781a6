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
	Version     string    `json:"-"`
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

// Booking asks the MIS to book a slot for the Okno contact.
type Booking struct {
	SlotID    string
	ContactID string
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
	Book(ctx context.Context, b Booking) (Booked, error)
	Cancel(ctx context.Context, misAppointmentID string) error
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
