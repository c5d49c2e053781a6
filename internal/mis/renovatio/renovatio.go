// Package renovatio is Okno's adapter to МИС Renovatio (app.rnova.org), a
// Russian clinic information system: an mis.Client over Renovatio's public
// API.
//
// The protocol, as Renovatio's help centre ("Работа с API") and the public
// integrations built on it use it: every method is a POST of form fields to
// <base>/<method> (base https://app.rnova.org/api/public, or a clinic's own
// installation), the account's api_key among the fields; the answer is JSON,
// {"error":0,"data":...} on success and {"error":1,"data":{"code":..,
// "desc":".."}} when the MIS refuses. Times are the clinic's wall-clock time
// without an offset: "02.01.2006 15:04" in requests, "2006-01-02 15:04:05"
// in schedule cells. docs/mis-adapters.md has the mapping to Okno's model
// and the places where the documentation is silent.
package renovatio

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/okno-crm/okno/internal/mis"
	"github.com/okno-crm/okno/internal/problem"
)

// Limits. Renovatio is outside input: answers are bounded and every call has
// a deadline.
const (
	DefaultURL     = "https://app.rnova.org/api/public"
	DefaultTimeout = 5 * time.Second
	maxBody        = 8 << 20
	usersTTL       = 10 * time.Minute
	// usersPerSchedule bounds the user_id list of one getSchedule call, so
	// that a clinic-wide search does not become one enormous request.
	usersPerSchedule = 50
	// PatientIDSystem names Renovatio's patient id among a patient's
	// identifiers (PatientQuery.Identifier searches by it).
	PatientIDSystem = "urn:okno:renovatio:patient"
	// ProfessionSystem is the code system of the specialties (Renovatio's
	// profession ids).
	ProfessionSystem = "urn:okno:renovatio:profession"
	// Currency: Renovatio keeps prices in the account's currency without
	// naming it; Okno's clinics are Russian.
	Currency = "RUB"
)

// Config configures the adapter.
type Config struct {
	BaseURL string // DefaultURL when empty
	APIKey  string
	// Location is the clinic's time zone, in which Renovatio reads and
	// writes every time. Required.
	Location *time.Location
	HTTP     *http.Client // nil: a plain client (Timeout bounds each call)
	Now      func() time.Time
	Timeout  time.Duration // zero: DefaultTimeout
	// Step, when positive, is sent as getSchedule's step (slot length in
	// minutes); zero lets Renovatio cut the schedule its own way.
	Step int
	// Horizon is how far ahead Changes looks for appointments; zero: 60 days.
	Horizon time.Duration
}

// secret keeps the api_key out of every %v and %+v.
type secret string

func (secret) String() string   { return "[redacted]" }
func (secret) GoString() string { return "[redacted]" }

// Client is the mis.Client of a Renovatio account.
type Client struct {
	base     string
	key      secret
	loc      *time.Location
	http     *http.Client
	now      func() time.Time
	timeout  time.Duration
	step     int
	horizon  time.Duration
	breaker  *mis.Breaker
	mu       sync.Mutex
	users    map[string]user
	usersAt  time.Time
	usersErr error
}

var _ mis.Client = (*Client)(nil)

// New makes the adapter.
func New(cfg Config) (*Client, error) {
	base := strings.TrimSuffix(cfg.BaseURL, "/")
	if base == "" {
		base = DefaultURL
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return nil, errors.New("renovatio: the API URL must be an absolute http(s) URL without a query")
	}
	if strings.TrimSpace(cfg.APIKey) == "" {
		return nil, errors.New("renovatio: the API key is required")
	}
	if cfg.Location == nil {
		return nil, errors.New("renovatio: the clinic's time zone is required")
	}
	c := &Client{base: u.String(), key: secret(strings.TrimSpace(cfg.APIKey)), loc: cfg.Location, http: cfg.HTTP,
		now: cfg.Now, timeout: cfg.Timeout, step: cfg.Step, horizon: cfg.Horizon}
	if c.http == nil {
		c.http = &http.Client{}
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.horizon <= 0 {
		c.horizon = 60 * 24 * time.Hour
	}
	c.breaker = mis.NewBreaker(c.now)
	return c, nil
}

// Breaker is the client's circuit breaker (for health pages and tests).
func (c *Client) Breaker() *mis.Breaker { return c.breaker }

// APIError is Renovatio's refusal: {"error":1,"data":{"code":..,"desc":..}}.
// Error() names the method and the code only: the description is the MIS's
// free text and may quote the patient it is about.
type APIError struct {
	Method string
	Code   string
	desc   string
}

func (e *APIError) Error() string {
	return "renovatio: " + e.Method + " refused with code " + e.Code
}

// badAnswer is an answer that breaks the protocol: the caller sees
// "unavailable".
func badAnswer(format string, args ...any) error {
	return &problem.Error{Code: problem.Unavailable, Message: "the MIS answered something unexpected", Err: fmt.Errorf("renovatio: "+format, args...)}
}

// refused turns a refusal the adapter has no better meaning for into an
// error for the operator.
func refused(err *APIError) error {
	return &problem.Error{Code: problem.Unavailable, Message: fmt.Sprintf("the MIS refused the request (Renovatio error %s)", err.Code), Err: err}
}

// envelope is every answer's outer shape.
type envelope struct {
	Error *json.RawMessage `json:"error"`
	Data  json.RawMessage  `json:"data"`
}

// DecodeEnvelope reads an answer: the data on success, an *APIError when
// Renovatio refused, any other error when the body is not the protocol.
func DecodeEnvelope(method string, body []byte) (json.RawMessage, error) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	if env.Error == nil {
		return nil, errors.New(`no "error" member`)
	}
	var flag flexString
	if err := json.Unmarshal(*env.Error, &flag); err != nil {
		return nil, errors.New(`"error" is neither 0 nor 1`)
	}
	switch flag {
	case "0", "false":
		if len(env.Data) == 0 {
			return json.RawMessage("null"), nil
		}
		return env.Data, nil
	case "1", "true":
		var d struct {
			Code flexString `json:"code"`
			Desc flexString `json:"desc"`
		}
		if len(env.Data) > 0 && string(env.Data) != "null" {
			if err := json.Unmarshal(env.Data, &d); err != nil {
				return nil, errors.New("an error answer without code and desc")
			}
		}
		code := string(d.Code)
		if code == "" {
			code = "unknown"
		}
		return nil, &APIError{Method: method, Code: code, desc: string(d.Desc)}
	}
	return nil, errors.New(`"error" is neither 0 nor 1`)
}

// call sends one method through the breaker. Transport failures, 5xx,
// time-outs and answers outside the protocol count as failures of the MIS;
// a refusal does not (Renovatio is up and said no).
func (c *Client) call(ctx context.Context, method string, form url.Values) (json.RawMessage, error) {
	if err := c.breaker.Allow(); err != nil {
		return nil, err
	}
	data, err := c.send(ctx, method, form)
	var ae *APIError
	c.breaker.Record(err == nil || errors.As(err, &ae))
	return data, err
}

func (c *Client) send(ctx context.Context, method string, form url.Values) (json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	body := url.Values{}
	for k, v := range form {
		body[k] = v
	}
	body.Set("api_key", string(c.key))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/"+method, strings.NewReader(body.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, &problem.Error{Code: problem.Unavailable, Message: "the MIS does not answer", Err: scrub(err, string(c.key))}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, &problem.Error{Code: problem.Unavailable, Message: "the MIS does not answer", Err: scrub(err, string(c.key))}
	}
	if len(raw) > maxBody {
		return nil, badAnswer("%s: answer larger than %d bytes", method, maxBody)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &problem.Error{Code: problem.Unavailable, Message: "the MIS reports an error",
			Err: fmt.Errorf("renovatio: %s answered HTTP %d", method, resp.StatusCode)}
	}
	data, err := DecodeEnvelope(method, bytes.TrimSpace(raw))
	var ae *APIError
	if err != nil && !errors.As(err, &ae) {
		return nil, badAnswer("%s: %v", method, err)
	}
	return data, err
}

// scrub removes the key from an error text, should a transport ever quote
// the request body.
func scrub(err error, key string) error {
	if key == "" || !strings.Contains(err.Error(), key) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), key, "[redacted]"))
}

// read calls a method whose refusal is not expected, and decodes its data.
func (c *Client) read(ctx context.Context, method string, form url.Values, out any) error {
	data, err := c.call(ctx, method, form)
	var ae *APIError
	if errors.As(err, &ae) {
		return refused(ae)
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, out); err != nil {
		return badAnswer("%s: data of an unexpected shape: %v", method, err)
	}
	return nil
}

// flexString reads a JSON string, number or boolean as text (Renovatio sends
// ids as numbers in one method and strings in another); null is "".
type flexString string

func (s *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*s = ""
	case len(b) > 0 && b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = flexString(strings.TrimSpace(v))
	case string(b) == "true" || string(b) == "false":
		*s = flexString(b)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("not a string or number")
		}
		*s = flexString(n.String())
	}
	return nil
}

// flexBool reads true/false, 1/0 and their strings; null is false.
type flexBool bool

func (v *flexBool) UnmarshalJSON(b []byte) error {
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	switch s {
	case "", "0", "false":
		*v = false
	case "1", "true":
		*v = true
	default:
		return fmt.Errorf("not a boolean")
	}
	return nil
}

// flexIDs reads a list of ids: an array of numbers or strings, a
// comma-separated string, or one id.
type flexIDs []string

func (ids *flexIDs) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var list []flexString
		if err := json.Unmarshal(b, &list); err != nil {
			return err
		}
		out := make(flexIDs, 0, len(list))
		for _, s := range list {
			if s != "" {
				out = append(out, string(s))
			}
		}
		*ids = out
		return nil
	}
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	out := flexIDs{}
	for _, p := range strings.Split(string(s), ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	*ids = out
	return nil
}

// idPattern is what an id Okno hands back may look like: Renovatio's ids are
// numbers, and an id goes into form fields and Okno's slot ids.
var idPattern = regexp.MustCompile(`^[0-9A-Za-z_-]{1,40}$`)

func validID(s string) bool { return idPattern.MatchString(s) }

// decimalPattern is a price as decimal text.
var decimalPattern = regexp.MustCompile(`^-?[0-9]{1,15}(\.[0-9]{1,6})?$`)

// Request and answer time layouts, in the clinic's zone.
const (
	formTime = "02.01.2006 15:04"
	formDate = "02.01.2006"
)

var answerTimes = []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "02.01.2006 15:04:05", "02.01.2006 15:04", time.RFC3339}

func (c *Client) formTime(t time.Time) string { return t.In(c.loc).Format(formTime) }

// parseTime reads one of Renovatio's time texts as the clinic's time.
func (c *Client) parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, l := range answerTimes {
		if t, err := time.ParseInLocation(l, s, c.loc); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// parseDate reads a birth date ("02.01.2006" or "2006-01-02") as YYYY-MM-DD.
func parseDate(s string) (string, bool) {
	s = strings.TrimSpace(s)
	for _, l := range []string{formDate, time.DateOnly} {
		if t, err := time.Parse(l, s); err == nil {
			return t.Format(time.DateOnly), true
		}
	}
	return "", false
}

func itoa(n int) string { return strconv.Itoa(n) }
