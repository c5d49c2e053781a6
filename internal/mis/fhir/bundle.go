package fhir

import (
	"encoding/json"
	"fmt"
)

// Bundle is the R4 Bundle resource. Entry resources stay raw JSON; decode them with Decode or
// DecodeAs.
type Bundle struct {
	ResourceType string `json:"resourceType"`
	ResourceBase
	Identifier *Identifier   `json:"identifier,omitempty"`
	Type       string        `json:"type"`
	Timestamp  string        `json:"timestamp,omitempty"`
	Total      *int          `json:"total,omitempty"`
	Link       []BundleLink  `json:"link,omitempty"`
	Entry      []BundleEntry `json:"entry,omitempty"`
}

// BundleLink is Bundle.link (and Bundle.entry.link).
type BundleLink struct {
	Relation string `json:"relation"`
	URL      string `json:"url"`
}

// LinkURL returns the url of the link with the given relation ("next", "self"…), or "".
func (b *Bundle) LinkURL(relation string) string {
	for _, l := range b.Link {
		if l.Relation == relation {
			return l.URL
		}
	}
	return ""
}

// BundleEntry is Bundle.entry.
type BundleEntry struct {
	Link     []BundleLink         `json:"link,omitempty"`
	FullURL  string               `json:"fullUrl,omitempty"`
	Resource json.RawMessage      `json:"resource,omitempty"`
	Search   *BundleEntrySearch   `json:"search,omitempty"`
	Request  *BundleEntryRequest  `json:"request,omitempty"`
	Response *BundleEntryResponse `json:"response,omitempty"`
}

// BundleEntrySearch is Bundle.entry.search.
type BundleEntrySearch struct {
	Mode  string      `json:"mode,omitempty"`
	Score json.Number `json:"score,omitempty"`
}

// BundleEntryRequest is Bundle.entry.request (batch and transaction bundles).
type BundleEntryRequest struct {
	Method          string `json:"method"`
	URL             string `json:"url"`
	IfNoneMatch     string `json:"ifNoneMatch,omitempty"`
	IfModifiedSince string `json:"ifModifiedSince,omitempty"`
	IfMatch         string `json:"ifMatch,omitempty"`
	IfNoneExist     string `json:"ifNoneExist,omitempty"`
}

// BundleEntryResponse is Bundle.entry.response.
type BundleEntryResponse struct {
	Status       string          `json:"status"`
	Location     string          `json:"location,omitempty"`
	Etag         string          `json:"etag,omitempty"`
	LastModified string          `json:"lastModified,omitempty"`
	Outcome      json.RawMessage `json:"outcome,omitempty"`
}

// New returns an empty struct for a resource type this package models, or nil.
func New(resourceType string) Resource {
	switch resourceType {
	case "Patient":
		return &Patient{}
	case "Practitioner":
		return &Practitioner{}
	case "PractitionerRole":
		return &PractitionerRole{}
	case "Location":
		return &Location{}
	case "HealthcareService":
		return &HealthcareService{}
	case "Schedule":
		return &Schedule{}
	case "Slot":
		return &Slot{}
	case "Appointment":
		return &Appointment{}
	case "OperationOutcome":
		return &OperationOutcome{}
	case "CapabilityStatement":
		return &CapabilityStatement{}
	case "Bundle":
		return &Bundle{}
	}
	return nil
}

// Decode reads a resource of any type this package models, chosen by its resourceType.
func Decode(data []byte) (Resource, error) {
	var head struct {
		ResourceType string `json:"resourceType"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("fhir: %w", err)
	}
	if head.ResourceType == "" {
		return nil, fmt.Errorf("fhir: resourceType is missing")
	}
	r := New(head.ResourceType)
	if r == nil {
		return nil, fmt.Errorf("fhir: resource type %q is not supported", head.ResourceType)
	}
	if err := json.Unmarshal(data, r); err != nil {
		return nil, fmt.Errorf("fhir: %s: %w", head.ResourceType, err)
	}
	return r, nil
}

// DecodeAs reads data into r and checks that its resourceType is the one r expects.
func DecodeAs(data []byte, r Resource) error {
	if err := json.Unmarshal(data, r); err != nil {
		return fmt.Errorf("fhir: %s: %w", r.ResourceTypeName(), err)
	}
	var head struct {
		ResourceType string `json:"resourceType"`
	}
	_ = json.Unmarshal(data, &head)
	if head.ResourceType != r.ResourceTypeName() {
		return fmt.Errorf("fhir: resourceType is %q, want %q", head.ResourceType, r.ResourceTypeName())
	}
	return nil
}
