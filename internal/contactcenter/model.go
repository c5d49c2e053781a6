// Package contactcenter is the contact-center service: contacts (one card a
// person), requests (заявки) and their intake from the clinic's website;
// later calls, queues and tasks.
package contactcenter

import "time"

// Channels a request can arrive by.
const (
	ChannelWebForm = "web_form"
	ChannelPhone   = "phone"
	ChannelChat    = "chat"
	ChannelTG      = "telegram"
	ChannelWA      = "whatsapp"
	ChannelVK      = "vk"
	ChannelEmail   = "email"
)

// Channels lists the valid channel names.
var Channels = []string{ChannelWebForm, ChannelPhone, ChannelChat, ChannelTG, ChannelWA, ChannelVK, ChannelEmail}

// Request statuses: new → in_progress → booked → visited, or lost.
const (
	StatusNew        = "new"
	StatusInProgress = "in_progress"
	StatusBooked     = "booked"
	StatusVisited    = "visited"
	StatusLost       = "lost"
)

// Statuses lists the valid statuses in pipeline order.
var Statuses = []string{StatusNew, StatusInProgress, StatusBooked, StatusVisited, StatusLost}

// Contact is one person, however many times they reached the clinic.
type Contact struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Phone  string `json:"phone"`
	Email  string `json:"email"`
	Masked bool   `json:"masked"` // phone and e-mail hidden from this viewer; reveal is an audited action
}

// Consent is a given consent to personal-data processing (152-FZ).
type Consent struct {
	GivenAt     time.Time `json:"given_at"`
	TextVersion string    `json:"text_version"`
}

// Request is a request (заявка) as managers see it.
type Request struct {
	ID         string    `json:"id"`
	Channel    string    `json:"channel"`
	Status     string    `json:"status"`
	Source     string    `json:"source"`
	SourceName string    `json:"source_name"`
	Message    string    `json:"message"`
	Contact    Contact   `json:"contact"`
	Consent    *Consent  `json:"consent"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	QueueID    string    `json:"queue_id"`
	AssigneeID string    `json:"assignee_id"`
	LostReason string    `json:"lost_reason"`
	Tags       []string  `json:"tags"`
	MergedInto string    `json:"merged_into"`
	// SLA: when the first answer and the resolution are due and when they
	// came; Breached names the SLAs already missed.
	FirstResponseDue *time.Time `json:"first_response_due"`
	FirstResponseAt  *time.Time `json:"first_response_at"`
	ResolutionDue    *time.Time `json:"resolution_due"`
	ResolvedAt       *time.Time `json:"resolved_at"`
	Breached         []string   `json:"breached"`
}

// RequestCreated is the event's data: ids and attributes, no personal data.
type RequestCreated struct {
	RequestID string    `json:"request_id"`
	ContactID string    `json:"contact_id"`
	Channel   string    `json:"channel"`
	Status    string    `json:"status"`
	Source    string    `json:"source"`
	CreatedAt time.Time `json:"created_at"`
}

// WebForm is a form on the clinic's website that posts requests to Okno.
type WebForm struct {
	Key            string
	Name           string
	ConsentText    string
	ConsentVersion string
	AllowedOrigins []string
	SuccessURL     string
	Active         bool
}
