package demo

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// okno run --demo serves the demo MIS at /demo/fhir, so the demo exercises
// the FHIR adapter over HTTP.
func TestRoutesServeDemoFHIR(t *testing.T) {
	mux := http.NewServeMux()
	for p, h := range Routes() {
		mux.Handle(p, h)
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	r, err := http.Get(srv.URL + "/demo/fhir/metadata")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	var cs struct {
		ResourceType string `json:"resourceType"`
		FHIRVersion  string `json:"fhirVersion"`
	}
	if err := json.NewDecoder(r.Body).Decode(&cs); err != nil || r.StatusCode != 200 || cs.ResourceType != "CapabilityStatement" || !strings.HasPrefix(cs.FHIRVersion, "4.0") {
		t.Fatalf("metadata: %d %+v %v", r.StatusCode, cs, err)
	}
	r2, err := http.Get(srv.URL + "/demo/form/")
	if err != nil || r2.StatusCode != 200 {
		t.Fatalf("demo form page: %v", err)
	}
	r2.Body.Close()
}
