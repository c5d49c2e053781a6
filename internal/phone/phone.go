// Package phone normalizes the phone numbers patients type into E.164, the
// form Okno stores and matches contacts by.
package phone

import (
	"errors"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// ErrInvalid means the text is not a phone number that can be dialled.
var ErrInvalid = errors.New("not a valid phone number")

// Normalize turns "8 (343) 222-33-44" into "+73432223344". Numbers without a
// country code are read as Russian, the clinic's home region.
func Normalize(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > 40 {
		return "", ErrInvalid
	}
	n, err := phonenumbers.Parse(raw, "RU")
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", ErrInvalid
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}
