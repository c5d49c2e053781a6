package fhir

// CapabilityStatement is the R4 CapabilityStatement resource (what a server supports), in the
// subset a client needs to decide how to talk to it.
type CapabilityStatement struct {
	ResourceType string `json:"resourceType"`
	DomainResource
	URL            string                    `json:"url,omitempty"`
	Version        string                    `json:"version,omitempty"`
	Name           string                    `json:"name,omitempty"`
	Title          string                    `json:"title,omitempty"`
	Status         string                    `json:"status"`
	Experimental   *bool                     `json:"experimental,omitempty"`
	Date           string                    `json:"date"`
	Publisher      string                    `json:"publisher,omitempty"`
	Description    string                    `json:"description,omitempty"`
	Kind           string                    `json:"kind"`
	Software       *CapabilitySoftware       `json:"software,omitempty"`
	Implementation *CapabilityImplementation `json:"implementation,omitempty"`
	FHIRVersion    string                    `json:"fhirVersion"`
	Format         []string                  `json:"format"`
	PatchFormat    []string                  `json:"patchFormat,omitempty"`
	Rest           []CapabilityRest          `json:"rest,omitempty"`
}

// CapabilitySoftware is CapabilityStatement.software.
type CapabilitySoftware struct {
	Name        string `json:"name"`
	Version     string `json:"version,omitempty"`
	ReleaseDate string `json:"releaseDate,omitempty"`
}

// CapabilityImplementation is CapabilityStatement.implementation.
type CapabilityImplementation struct {
	Description string `json:"description"`
	URL         string `json:"url,omitempty"`
}

// CapabilityRest is CapabilityStatement.rest.
type CapabilityRest struct {
	Mode          string                  `json:"mode"`
	Documentation string                  `json:"documentation,omitempty"`
	Resource      []CapabilityResource    `json:"resource,omitempty"`
	Interaction   []CapabilityInteraction `json:"interaction,omitempty"`
	SearchParam   []CapabilitySearchParam `json:"searchParam,omitempty"`
}

// CapabilityResource is CapabilityStatement.rest.resource.
type CapabilityResource struct {
	Type              string                  `json:"type"`
	Profile           string                  `json:"profile,omitempty"`
	Documentation     string                  `json:"documentation,omitempty"`
	Interaction       []CapabilityInteraction `json:"interaction,omitempty"`
	Versioning        string                  `json:"versioning,omitempty"`
	ReadHistory       *bool                   `json:"readHistory,omitempty"`
	UpdateCreate      *bool                   `json:"updateCreate,omitempty"`
	ConditionalCreate *bool                   `json:"conditionalCreate,omitempty"`
	ConditionalRead   string                  `json:"conditionalRead,omitempty"`
	ConditionalUpdate *bool                   `json:"conditionalUpdate,omitempty"`
	ConditionalDelete string                  `json:"conditionalDelete,omitempty"`
	SearchInclude     []string                `json:"searchInclude,omitempty"`
	SearchParam       []CapabilitySearchParam `json:"searchParam,omitempty"`
}

// CapabilityInteraction is CapabilityStatement.rest.resource.interaction and
// CapabilityStatement.rest.interaction.
type CapabilityInteraction struct {
	Code          string `json:"code"`
	Documentation string `json:"documentation,omitempty"`
}

// CapabilitySearchParam is CapabilityStatement.rest.resource.searchParam.
type CapabilitySearchParam struct {
	Name          string `json:"name"`
	Definition    string `json:"definition,omitempty"`
	Type          string `json:"type"`
	Documentation string `json:"documentation,omitempty"`
}

// Supports reports whether the first server rest entry lists the interaction for the type.
func (c *CapabilityStatement) Supports(resourceType, interaction string) bool {
	for _, rest := range c.Rest {
		if rest.Mode != "server" {
			continue
		}
		for _, r := range rest.Resource {
			if r.Type != resourceType {
				continue
			}
			for _, i := range r.Interaction {
				if i.Code == interaction {
					return true
				}
			}
		}
	}
	return false
}
