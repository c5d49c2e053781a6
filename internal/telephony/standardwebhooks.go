package telephony

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Standard Webhooks (https://www.standardwebhooks.com/) headers.
const (
	HeaderWebhookID        = "webhook-id"
	HeaderWebhookTimestamp = "webhook-timestamp"
	HeaderWebhookSignature = "webhook-signature"
)

// DefaultTolerance is how far webhook-timestamp may be from our clock, either
// way, as the specification recommends.
const DefaultTolerance = 5 * time.Minute

const webhookSecretPrefix = "whsec_"

// ParseWebhookSecret decodes a "whsec_<base64>" secret into the HMAC key.
// The prefix is optional (some senders show the bare base64); an empty or
// undecodable secret is an error.
func ParseWebhookSecret(secret string) ([]byte, error) {
	s := strings.TrimPrefix(strings.TrimSpace(secret), webhookSecretPrefix)
	if s == "" {
		return nil, fieldErr("secret", "empty")
	}
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(key) == 0 {
		return nil, fieldErr("secret", "not whsec_ followed by base64")
	}
	return key, nil
}

// NewWebhookSecret formats key as a "whsec_" secret.
func NewWebhookSecret(key []byte) string {
	return webhookSecretPrefix + base64.StdEncoding.EncodeToString(key)
}

// SignStandardWebhook returns the webhook-signature value ("v1,<base64>") for
// one delivery: HMAC-SHA256 under the decoded secret of "id.timestamp.body".
func SignStandardWebhook(secret, id string, timestamp int64, body []byte) (string, error) {
	key, err := ParseWebhookSecret(secret)
	if err != nil {
		return "", err
	}
	return "v1," + base64.StdEncoding.EncodeToString(standardMAC(key, id, strconv.FormatInt(timestamp, 10), body)), nil
}

func standardMAC(key []byte, id, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// StandardWebhooks verifies deliveries signed as the Standard Webhooks
// specification says. A verifier whose secret is empty or invalid refuses
// every delivery.
type StandardWebhooks struct {
	key []byte
	// Tolerance defaults to DefaultTolerance.
	Tolerance time.Duration
	// Now defaults to time.Now.
	Now func() time.Time
}

// NewStandardWebhooks makes a verifier for one integration's secret. Any
// secret is accepted here; one that does not parse makes a verifier that
// refuses everything (check it with ParseWebhookSecret when it is set).
func NewStandardWebhooks(secret string) *StandardWebhooks {
	key, _ := ParseWebhookSecret(secret)
	return &StandardWebhooks{key: key}
}

// Verify checks the three headers against the raw body and returns the
// webhook-id, the key to de-duplicate deliveries by (replays within the
// tolerance are the caller's to refuse).
func (v *StandardWebhooks) Verify(h http.Header, body []byte) (string, error) {
	if len(v.key) == 0 {
		return "", ErrSignature
	}
	id := h.Get(HeaderWebhookID)
	ts := h.Get(HeaderWebhookTimestamp)
	sigs := h.Get(HeaderWebhookSignature)
	if id == "" || ts == "" || sigs == "" || len(id) > 256 || len(sigs) > 4096 {
		return "", ErrSignature
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sec <= 0 || ts[0] == '+' {
		return "", ErrSignature
	}
	want := standardMAC(v.key, id, ts, body)
	ok := false
	for _, s := range strings.Fields(sigs) {
		version, b64, found := strings.Cut(s, ",")
		if !found || version != "v1" {
			continue // v1a (asymmetric) and future versions are not ours
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			ok = true
		}
	}
	if !ok {
		return "", ErrSignature
	}
	// The timestamp is checked after the signature, so an unsigned request
	// learns nothing about our clock.
	tol := v.Tolerance
	if tol <= 0 {
		tol = DefaultTolerance
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	d := now().Sub(time.Unix(sec, 0))
	if d > tol || d < -tol {
		return "", ErrStale
	}
	return id, nil
}

// Parse verifies a delivery and maps its body, in the generic JSON format,
// to an Event whose ID is the webhook-id.
func (v *StandardWebhooks) Parse(h http.Header, body []byte) (Event, error) {
	id, err := v.Verify(h, body)
	if err != nil {
		return Event{}, err
	}
	return ParseGenericEvent(id, body)
}

// GenericEvent is the JSON body of a generic webhook delivery.
type GenericEvent struct {
	Type         string `json:"type"`
	CallID       string `json:"call_id"`
	Direction    string `json:"direction"`
	From         string `json:"from"`
	To           string `json:"to"`
	Extension    string `json:"extension"`
	At           string `json:"at"`
	Result       string `json:"result"`
	RecordingURL string `json:"recording_url"`
}

// ParseGenericEvent maps a generic JSON event to an Event. It does not check
// signatures: call it only on a verified body (or use StandardWebhooks.Parse).
func ParseGenericEvent(id string, body []byte) (Event, error) {
	var g GenericEvent
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&g); err != nil {
		return Event{}, fieldErr("body", "not a JSON object of the generic event format")
	}
	if dec.More() {
		return Event{}, fieldErr("body", "trailing data after the JSON object")
	}
	e := Event{
		Provider: ProviderGeneric, ID: id, CallID: g.CallID, Type: g.Type,
		Direction: g.Direction, From: g.From, To: g.To, Extension: g.Extension,
		Result: g.Result, RecordingURL: g.RecordingURL,
	}
	for _, f := range []struct{ name, v string }{{"from", g.From}, {"to", g.To}, {"extension", g.Extension}} {
		if len(f.v) > 64 {
			return Event{}, fieldErr(f.name, "longer than 64 characters")
		}
	}
	if g.At == "" {
		return Event{}, fieldErr("at", "required")
	}
	at, err := time.Parse(time.RFC3339Nano, g.At)
	if err != nil {
		return Event{}, fieldErr("at", "not an RFC 3339 time")
	}
	e.At = at
	if e.Type == TypeStarted && e.Direction == "" {
		return Event{}, fieldErr("direction", "required on call.started")
	}
	if g.RecordingURL != "" {
		if err := checkURL(g.RecordingURL); err != nil {
			return Event{}, err
		}
	} else if e.Type == TypeRecordingReady {
		return Event{}, fieldErr("recording_url", "required on call.recording_ready")
	}
	if err := e.Validate(); err != nil {
		return Event{}, err
	}
	return e, nil
}

func checkURL(s string) error {
	if len(s) > 2048 {
		return fieldErr("recording_url", "longer than 2048 characters")
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fieldErr("recording_url", "not an http(s) URL")
	}
	return nil
}

// IsSignatureError reports whether err means "answer 401, store nothing".
func IsSignatureError(err error) bool {
	return errors.Is(err, ErrSignature) || errors.Is(err, ErrStale)
}
