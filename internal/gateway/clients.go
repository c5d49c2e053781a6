package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/okno-crm/okno/internal/principal"
	"github.com/okno-crm/okno/internal/problem"
)

// Upstream is a service the gateway talks to: its base URL and the transport
// (in-process under okno run, HTTP under okno serve).
type Upstream struct {
	Name      string
	URL       *url.URL
	Transport http.RoundTripper
}

// client calls a service's JSON API with a principal.
type client struct {
	up    Upstream
	token string
	http  *http.Client
}

func newClient(up Upstream, token string) *client {
	return &client{up: up, token: token, http: &http.Client{Transport: up.Transport, Timeout: 10 * time.Second}}
}

// call sends in as JSON and decodes the answer into out. A problem answer
// comes back as *problem.Error with the service's code and message.
func (c *client) call(ctx context.Context, method, path string, p principal.Principal, in, out any) error {
	var body io.Reader = http.NoBody
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	u := *c.up.URL
	path, query, _ := strings.Cut(path, "?")
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	u.RawQuery = query
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	principal.Set(req.Header, c.token, p)
	resp, err := c.http.Do(req)
	if err != nil {
		return &problem.Error{Code: problem.Unavailable, Message: fmt.Sprintf("%s is unavailable", c.up.Name), Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("gateway: read %s answer: %w", c.up.Name, err)
	}
	if resp.StatusCode >= 300 {
		var b problem.Body
		_ = json.Unmarshal(data, &b)
		code := b.Code
		if code == "" {
			code = problem.Internal
		}
		e := &problem.Error{Code: code, Message: b.Detail, Fields: b.Errors, Err: fmt.Errorf("%s answered %d", c.up.Name, resp.StatusCode)}
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
			e.RetryAfter = time.Duration(secs) * time.Second
		}
		return e
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("gateway: decode %s answer: %w", c.up.Name, err)
		}
	}
	return nil
}
