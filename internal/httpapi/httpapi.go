// Package httpapi holds what every service's HTTP handlers share for
// answering in JSON. Errors are answered by package problem.
package httpapi

import (
	"encoding/json"
	"net/http"
)

// WriteJSON answers v as JSON with status. API answers are never cached:
// they may carry personal data.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
