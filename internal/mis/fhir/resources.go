package fhir

import "encoding/json"

// Resource is implemented by every resource struct in this package.
type Resource interface {
	// ResourceTypeName is the FHIR resource type, e.g. "Slot".
	ResourceTypeName() string
	// Base gives the id and meta shared by all resources.
	Base() *ResourceBase
}

// ResourceBase holds the elements of R4 Resource: id, meta, implicitRules, language.
type ResourceBase struct {
	ID            string `json:"id,omitempty"`
	Meta          *Meta  `json:"meta,omitempty"`
	ImplicitRules string `json:"implicitRules,omitempty"`
	Language      string `json:"language,omitempty"`
}

// Base returns b itself, so that embedding types satisfy Resource.
func (b *ResourceBase) Base() *ResourceBase { return b }

// DomainResource holds the elements of R4 DomainResource beyond Resource.
type DomainResource struct {
	ResourceBase
	Text              *Narrative        `json:"text,omitempty"`
	Contained         []json.RawMessage `json:"contained,omitempty"`
	Extension         []Extension       `json:"extension,omitempty"`
	ModifierExtension []Extension       `json:"modifierExtension,omitempty"`
}

// ExtensionByURL returns the first extension with the given url.
func (d *DomainResource) ExtensionByURL(url string) (Extension, bool) {
	for _, e := range d.Extension {
		if e.URL == url {
			return e, true
		}
	}
	return Extension{}, false
}

// Patient is the R4 Patient resource (the subset Okno uses).
type Patient struct {
	ResourceType string `json:"resourceType"`
	DomainResource
	Identifier           []Identifier     `json:"identifier,omitempty"`
	Active               *bool            `json:"active,omitempty"`
	Name                 []HumanName      `json:"name,omitempty"`
	Telecom              []ContactPoint   `json:"telecom,omitempty"`
	Gender               string           `json:"gender,omitempty"`
	BirthDate            string           `json:"birthDate,omitempty"`
	DeceasedBoolean      *bool            `json:"deceasedBoolean,omitempty"`
	DeceasedDateTime     string           `json:"deceasedDateTime,omitempty"`
	Address              []Address        `json:"address,omitempty"`
	MaritalStatus        *CodeableConcept `json:"maritalStatus,omitempty"`
	GeneralPractitioner  []Reference      `json:"generalPractitioner,omitempty"`
	ManagingOrganization *Reference       `json:"managingOrganization,omitempty"`
}

// Practitioner is the R4 Practitioner resource.
type Practitioner struct {
	ResourceType string `json:"resourceType"`
	DomainResource
	Identifier    []Identifier                `json:"identifier,omitempty"`
	Active        *bool                       `json:"active,omitempty"`
	Name          []HumanName                 `json:"name,omitempty"`
	Telecom       []ContactPoint              `json:"telecom,omitempty"`
	Address       []Address                   `json:"address,omitempty"`
	Gender        string                      `json:"gender,omitempty"`
	BirthDate     string                      `json:"birthDate,omitempty"`
	Qualification []PractitionerQualification `json:"qualification,omitempty"`
	Communication []CodeableConcept           `json:"communication,omitempty"`
}

// PractitionerQualification is Practitioner.qualification.
type PractitionerQualification struct {
	Identifier []Identifier    `json:"identifier,omitempty"`
	Code       CodeableConcept `json:"code"`
	Period     *Period         `json:"period,omitempty"`
	Issuer     *Reference      `json:"issuer,omitempty"`
}

// PractitionerRole is the R4 PractitionerRole resource: a practitioner in a role at locations.
type PractitionerRole struct {
	ResourceType string `json:"resourceType"`
	DomainResource
	Identifier             []Identifier      `json:"identifier,omitempty"`
	Active                 *bool             `json:"active,omitempty"`
	Period                 *Period           `json:"period,omitempty"`
	Practitioner           *Reference        `json:"practitioner,omitempty"`
	Organization           *Reference        `json:"organization,omitempty"`
	Code                   []CodeableConcept `json:"code,omitempty"`
	Specialty              []CodeableConcept `json:"specialty,omitempty"`
	Location               []Reference       `json:"location,omitempty"`
	HealthcareService      []Reference       `json:"healthcareService,omitempty"`
	Telecom                []ContactPoint    `json:"telecom,omitempty"`
	AvailableTime          []AvailableTime   `json:"availableTime,omitempty"`
	NotAvailable           []NotAvailable    `json:"notAvailable,omitempty"`
	AvailabilityExceptions string            `json:"availabilityExceptions,omitempty"`
	Endpoint               []Reference       `json:"endpoint,omitempty"`
}

// AvailableTime is PractitionerRole.availableTime and HealthcareService.availableTime.
type AvailableTime struct {
	DaysOfWeek         []string `json:"daysOfWeek,omitempty"`
	AllDay             *bool    `json:"allDay,omitempty"`
	AvailableStartTime string   `json:"availableStartTime,omitempty"`
	AvailableEndTime   string   `json:"availableEndTime,omitempty"`
}

// NotAvailable is PractitionerRole.notAvailable and HealthcareService.notAvailable.
type NotAvailable struct {
	Description string  `json:"description"`
	During      *Period `json:"during,omitempty"`
}

// Location is the R4 Location resource (a branch of the clinic, a room).
type Location struct {
	ResourceType string `json:"resourceType"`
	DomainResource
	Identifier             []Identifier       `json:"identifier,omitempty"`
	Status                 string             `json:"status,omitempty"`
	OperationalStatus      *Coding            `json:"operationalStatus,omitempty"`
	Name                   string             `json:"name,omitempty"`
	Alias                  []string           `json:"alias,omitempty"`
	Description            string             `json:"description,omitempty"`
	Mode                   string             `json:"mode,omitempty"`
	Type                   []CodeableConcept  `json:"type,omitempty"`
	Telecom                []ContactPoint     `json:"telecom,omitempty"`
	Address                *Address           `json:"address,omitempty"`
	PhysicalType           *CodeableConcept   `json:"physicalType,omitempty"`
	Position               *LocationPosition  `json:"position,omitempty"`
	ManagingOrganization   *Reference         `json:"managingOrganization,omitempty"`
	PartOf                 *Reference         `json:"partOf,omitempty"`
	HoursOfOperation       []HoursOfOperation `json:"hoursOfOperation,omitempty"`
	AvailabilityExceptions string             `json:"availabilityExceptions,omitempty"`
	Endpoint               []Reference        `json:"endpoint,omitempty"`
}

// LocationPosition is Location.position (WGS84 decimals).
type LocationPosition struct {
	Longitude json.Number `json:"longitude"`
	Latitude  json.Number `json:"latitude"`
	Altitude  json.Number `json:"altitude,omitempty"`
}

// HoursOfOperation is Location.hoursOfOperation.
type HoursOfOperation struct {
	DaysOfWeek  []string `json:"daysOfWeek,omitempty"`
	AllDay      *bool    `json:"allDay,omitempty"`
	OpeningTime string   `json:"openingTime,omitempty"`
	ClosingTime string   `json:"closingTime,omitempty"`
}

// HealthcareService is the R4 HealthcareService resource (a service offered, e.g. a visit to a
// cardiologist).
type HealthcareService struct {
	ResourceType string `json:"resourceType"`
	DomainResource
	Identifier             []Identifier      `json:"identifier,omitempty"`
	Active                 *bool             `json:"active,omitempty"`
	ProvidedBy             *Reference        `json:"providedBy,omitempty"`
	Category               []CodeableConcept `json:"category,omitempty"`
	Type                   []CodeableConcept `json:"type,omitempty"`
	Specialty              []CodeableConcept `json:"specialty,omitempty"`
	Location               []Reference       `json:"location,omitempty"`
	Name                   string            `json:"name,omitempty"`
	Comment                string            `json:"comment,omitempty"`
	ExtraDetails           string            `json:"extraDetails,omitempty"`
	Telecom                []ContactPoint    `json:"telecom,omitempty"`
	AppointmentRequired    *bool             `json:"appointmentRequired,omitempty"`
	AvailableTime          []AvailableTime   `json:"availableTime,omitempty"`
	NotAvailable           []NotAvailable    `json:"notAvailable,omitempty"`
	AvailabilityExceptions string            `json:"availabilityExceptions,omitempty"`
	Endpoint               []Reference       `json:"endpoint,omitempty"`
}

// Schedule is the R4 Schedule resource: the container of slots for actors.
type Schedule struct {
	ResourceType string `json:"resourceType"`
	DomainResource
	Identifier      []Identifier      `json:"identifier,omitempty"`
	Active          *bool             `json:"active,omitempty"`
	ServiceCategory []CodeableConcept `json:"serviceCategory,omitempty"`
	ServiceType     []CodeableConcept `json:"serviceType,omitempty"`
	Specialty       []CodeableConcept `json:"specialty,omitempty"`
	Actor           []Reference       `json:"actor"`
	PlanningHorizon *Period           `json:"planningHorizon,omitempty"`
	Comment         string            `json:"comment,omitempty"`
}

// Slot status codes (R4 slotstatus).
const (
	SlotBusy            = "busy"
	SlotFree            = "free"
	SlotBusyUnavailable = "busy-unavailable"
	SlotBusyTentative   = "busy-tentative"
	SlotEnteredInError  = "entered-in-error"
)

// Slot is the R4 Slot resource.
type Slot struct {
	ResourceType string `json:"resourceType"`
	DomainResource
	Identifier      []Identifier      `json:"identifier,omitempty"`
	ServiceCategory []CodeableConcept `json:"serviceCategory,omitempty"`
	ServiceType     []CodeableConcept `json:"serviceType,omitempty"`
	Specialty       []CodeableConcept `json:"specialty,omitempty"`
	AppointmentType *CodeableConcept  `json:"appointmentType,omitempty"`
	Schedule        Reference         `json:"schedule"`
	Status          string            `json:"status"`
	Start           string            `json:"start"`
	End             string            `json:"end"`
	Overbooked      *bool             `json:"overbooked,omitempty"`
	Comment         string            `json:"comment,omitempty"`
}

// Appointment status codes (R4 appointmentstatus).
const (
	AppointmentProposed       = "proposed"
	AppointmentPending        = "pending"
	AppointmentBooked         = "booked"
	AppointmentArrived        = "arrived"
	AppointmentFulfilled      = "fulfilled"
	AppointmentCancelled      = "cancelled"
	AppointmentNoShow         = "noshow"
	AppointmentEnteredInError = "entered-in-error"
	AppointmentCheckedIn      = "checked-in"
	AppointmentWaitlist       = "waitlist"
)

// Appointment is the R4 Appointment resource.
type Appointment struct {
	ResourceType string `json:"resourceType"`
	DomainResource
	Identifier            []Identifier             `json:"identifier,omitempty"`
	Status                string                   `json:"status"`
	CancelationReason     *CodeableConcept         `json:"cancelationReason,omitempty"`
	ServiceCategory       []CodeableConcept        `json:"serviceCategory,omitempty"`
	ServiceType           []CodeableConcept        `json:"serviceType,omitempty"`
	Specialty             []CodeableConcept        `json:"specialty,omitempty"`
	AppointmentType       *CodeableConcept         `json:"appointmentType,omitempty"`
	ReasonCode            []CodeableConcept        `json:"reasonCode,omitempty"`
	ReasonReference       []Reference              `json:"reasonReference,omitempty"`
	Priority              *int                     `json:"priority,omitempty"`
	Description           string                   `json:"description,omitempty"`
	SupportingInformation []Reference              `json:"supportingInformation,omitempty"`
	Start                 string                   `json:"start,omitempty"`
	End                   string                   `json:"end,omitempty"`
	MinutesDuration       *int                     `json:"minutesDuration,omitempty"`
	Slot                  []Reference              `json:"slot,omitempty"`
	Created               string                   `json:"created,omitempty"`
	Comment               string                   `json:"comment,omitempty"`
	PatientInstruction    string                   `json:"patientInstruction,omitempty"`
	BasedOn               []Reference              `json:"basedOn,omitempty"`
	Participant           []AppointmentParticipant `json:"participant"`
	RequestedPeriod       []Period                 `json:"requestedPeriod,omitempty"`
}

// AppointmentParticipant is Appointment.participant.
type AppointmentParticipant struct {
	Type     []CodeableConcept `json:"type,omitempty"`
	Actor    *Reference        `json:"actor,omitempty"`
	Required string            `json:"required,omitempty"`
	Status   string            `json:"status"`
	Period   *Period           `json:"period,omitempty"`
}

// OperationOutcome is the R4 OperationOutcome resource: errors and warnings.
type OperationOutcome struct {
	ResourceType string `json:"resourceType"`
	DomainResource
	Issue []OperationOutcomeIssue `json:"issue"`
}

// OperationOutcomeIssue is OperationOutcome.issue.
type OperationOutcomeIssue struct {
	Severity    string           `json:"severity"`
	Code        string           `json:"code"`
	Details     *CodeableConcept `json:"details,omitempty"`
	Diagnostics string           `json:"diagnostics,omitempty"`
	Location    []string         `json:"location,omitempty"`
	Expression  []string         `json:"expression,omitempty"`
}

// Error makes an OperationOutcome usable as an error: the first issue's diagnostics.
func (o *OperationOutcome) Error() string {
	if len(o.Issue) == 0 {
		return "fhir: OperationOutcome without issues"
	}
	i := o.Issue[0]
	msg := i.Diagnostics
	if msg == "" && i.Details != nil {
		msg = i.Details.Text
	}
	return "fhir: " + i.Severity + " " + i.Code + ": " + msg
}

// NewOperationOutcome builds an outcome with one issue.
func NewOperationOutcome(severity, code, diagnostics string) *OperationOutcome {
	return &OperationOutcome{ResourceType: "OperationOutcome", Issue: []OperationOutcomeIssue{{
		Severity: severity, Code: code, Diagnostics: diagnostics,
	}}}
}

// ResourceTypeName implements Resource.
func (*Patient) ResourceTypeName() string { return "Patient" }

// ResourceTypeName implements Resource.
func (*Practitioner) ResourceTypeName() string { return "Practitioner" }

// ResourceTypeName implements Resource.
func (*PractitionerRole) ResourceTypeName() string { return "PractitionerRole" }

// ResourceTypeName implements Resource.
func (*Location) ResourceTypeName() string { return "Location" }

// ResourceTypeName implements Resource.
func (*HealthcareService) ResourceTypeName() string { return "HealthcareService" }

// ResourceTypeName implements Resource.
func (*Schedule) ResourceTypeName() string { return "Schedule" }

// ResourceTypeName implements Resource.
func (*Slot) ResourceTypeName() string { return "Slot" }

// ResourceTypeName implements Resource.
func (*Appointment) ResourceTypeName() string { return "Appointment" }

// ResourceTypeName implements Resource.
func (*OperationOutcome) ResourceTypeName() string { return "OperationOutcome" }

// ResourceTypeName implements Resource.
func (*CapabilityStatement) ResourceTypeName() string { return "CapabilityStatement" }

// ResourceTypeName implements Resource.
func (*Bundle) ResourceTypeName() string { return "Bundle" }

// MarshalJSON fills in resourceType.
func (r Patient) MarshalJSON() ([]byte, error) {
	type plain Patient
	r.ResourceType = "Patient"
	return json.Marshal(plain(r))
}

// MarshalJSON fills in resourceType.
func (r Practitioner) MarshalJSON() ([]byte, error) {
	type plain Practitioner
	r.ResourceType = "Practitioner"
	return json.Marshal(plain(r))
}

// MarshalJSON fills in resourceType.
func (r PractitionerRole) MarshalJSON() ([]byte, error) {
	type plain PractitionerRole
	r.ResourceType = "PractitionerRole"
	return json.Marshal(plain(r))
}

// MarshalJSON fills in resourceType.
func (r Location) MarshalJSON() ([]byte, error) {
	type plain Location
	r.ResourceType = "Location"
	return json.Marshal(plain(r))
}

// MarshalJSON fills in resourceType.
func (r HealthcareService) MarshalJSON() ([]byte, error) {
	type plain HealthcareService
	r.ResourceType = "HealthcareService"
	return json.Marshal(plain(r))
}

// MarshalJSON fills in resourceType.
func (r Schedule) MarshalJSON() ([]byte, error) {
	type plain Schedule
	r.ResourceType = "Schedule"
	return json.Marshal(plain(r))
}

// MarshalJSON fills in resourceType.
func (r Slot) MarshalJSON() ([]byte, error) {
	type plain Slot
	r.ResourceType = "Slot"
	return json.Marshal(plain(r))
}

// MarshalJSON fills in resourceType.
func (r Appointment) MarshalJSON() ([]byte, error) {
	type plain Appointment
	r.ResourceType = "Appointment"
	return json.Marshal(plain(r))
}

// MarshalJSON fills in resourceType.
func (r OperationOutcome) MarshalJSON() ([]byte, error) {
	type plain OperationOutcome
	r.ResourceType = "OperationOutcome"
	return json.Marshal(plain(r))
}

// MarshalJSON fills in resourceType.
func (r CapabilityStatement) MarshalJSON() ([]byte, error) {
	type plain CapabilityStatement
	r.ResourceType = "CapabilityStatement"
	return json.Marshal(plain(r))
}

// MarshalJSON fills in resourceType.
func (r Bundle) MarshalJSON() ([]byte, error) {
	type plain Bundle
	r.ResourceType = "Bundle"
	return json.Marshal(plain(r))
}
