package auditlog

import (
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	ok := Record{At: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC), Action: "contact.read", Outcome: OutcomeSuccess}
	if err := Validate(ok); err != nil {
		t.Fatalf("complete record refused: %v", err)
	}
	for name, c := range map[string]struct {
		edit func(*Record)
		want string
	}{
		"no action":   {func(r *Record) { r.Action = "" }, "action"},
		"no outcome":  {func(r *Record) { r.Outcome = "" }, "outcome"},
		"odd outcome": {func(r *Record) { r.Outcome = "maybe" }, "outcome"},
		"no time":     {func(r *Record) { r.At = time.Time{} }, "at is missing"},
	} {
		r := ok
		c.edit(&r)
		err := Validate(r)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error about %q", name, err, c.want)
		}
	}
}
