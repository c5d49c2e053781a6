package app

import (
	"testing"

	"github.com/okno-crm/okno/internal/config"
	"github.com/okno-crm/okno/internal/mis"
	"github.com/okno-crm/okno/internal/mis/renovatio"
)

func TestMISClientKind(t *testing.T) {
	c, err := misClient(config.Config{MISKind: "renovatio", RenovatioKey: "k", MISTZ: "Asia/Yekaterinburg",
		MISFHIRURL: "https://mis.example/fhir"}, nil)
	if _, ok := c.(*renovatio.Client); err != nil || !ok {
		t.Fatalf("renovatio kind: %T %v", c, err)
	}
	if _, err := misClient(config.Config{MISKind: "renovatio", MISTZ: "Asia/Yekaterinburg"}, nil); err == nil {
		t.Fatal("renovatio without a key was accepted")
	}
	c, err = misClient(config.Config{MISFHIRURL: "https://mis.example/fhir", MISTZ: "Asia/Yekaterinburg"}, nil)
	if _, ok := c.(*mis.FHIRClient); err != nil || !ok {
		t.Fatalf("default kind: %T %v", c, err)
	}
}
