package telephony

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Click-to-call through the cloud PBXs' own APIs: the PBX first rings the
// operator's extension and, once they pick up, dials the patient.

// ZadarmaAPISign signs a Zadarma API request: base64 of the hex text of
// HMAC-SHA1(secret, method + params + md5(params)), params being the
// query sorted by key and URL-encoded (user-api-v1's Client.php).
func ZadarmaAPISign(secret, method string, params url.Values) string {
	q := params.Encode() // sorted by key, spaces as '+', as PHP's http_build_query
	sum := md5.Sum([]byte(q))
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(method + q + hex.EncodeToString(sum[:])))
	return base64.StdEncoding.EncodeToString([]byte(hex.EncodeToString(m.Sum(nil))))
}

// ZadarmaAPI calls Zadarma's user API.
type ZadarmaAPI struct {
	BaseURL string // https://api.zadarma.com when empty
	Key     string
	Secret  string
	Client  *http.Client
}

// Callback asks Zadarma to ring from (an extension or SIP number) and then
// connect it to to: GET /v1/request/callback/.
func (z *ZadarmaAPI) Callback(ctx context.Context, from, to string) error {
	if z.Key == "" || z.Secret == "" {
		return ErrSignature
	}
	const method = "/v1/request/callback/"
	params := url.Values{"from": {from}, "to": {to}}
	base := z.BaseURL
	if base == "" {
		base = "https://api.zadarma.com"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+method+"?"+params.Encode(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", z.Key+":"+ZadarmaAPISign(z.Secret, method, params))
	var answer struct {
		Status  string `json:"status"`
		Message string `json:"message"`
	}
	if err := doJSON(z.Client, req, &answer); err != nil {
		return err
	}
	if answer.Status != "success" {
		return fmt.Errorf("telephony: Zadarma refused the callback (%s)", answer.Status)
	}
	return nil
}

// MangoAPI sends Mango Office VPBX commands.
type MangoAPI struct {
	BaseURL string // https://app.mango-office.ru/vpbx when empty
	Mango   *Mango
	Client  *http.Client
}

// Callback sends commands/callback: the VPBX rings the employee's
// extension, then dials to.
func (m *MangoAPI) Callback(ctx context.Context, commandID, extension, to string) error {
	if m.Mango == nil || m.Mango.APIKey == "" || m.Mango.Salt == "" {
		return ErrSignature
	}
	form, err := m.Mango.SignCommand(MangoCallback{CommandID: commandID, From: MangoCallbackFrom{Extension: extension}, ToNumber: to})
	if err != nil {
		return err
	}
	base := m.BaseURL
	if base == "" {
		base = "https://app.mango-office.ru/vpbx"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+"/commands/callback", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var answer struct {
		Result int `json:"result"`
	}
	if err := doJSON(m.Client, req, &answer); err != nil {
		return err
	}
	// Mango's result codes: 1000 is "action done"; the rest are refusals.
	if answer.Result != 1000 {
		return fmt.Errorf("telephony: Mango refused the callback (result %d)", answer.Result)
	}
	return nil
}

func doJSON(c *http.Client, req *http.Request, out any) error {
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("telephony: PBX API unreachable: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if err != nil {
		return fmt.Errorf("telephony: PBX API answer unreadable: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("telephony: PBX API answered %d", resp.StatusCode)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("telephony: PBX API answer is not JSON")
	}
	return nil
}
