package telephony

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// The signature as Zadarma's Client.php makes it, computed step by step.
func TestZadarmaAPISign(t *testing.T) {
	params := url.Values{"to": {"+79001234567"}, "from": {"100"}}
	q := "from=100&to=%2B79001234567"
	if params.Encode() != q {
		t.Fatalf("params not sorted and encoded as PHP does: %s", params.Encode())
	}
	md := md5.Sum([]byte(q))
	want := ZadarmaSign("secret", "/v1/request/callback/"+q+hex.EncodeToString(md[:]))
	if got := ZadarmaAPISign("secret", "/v1/request/callback/", params); got != want {
		t.Fatalf("sign = %s, want %s", got, want)
	}
}

func TestZadarmaCallback(t *testing.T) {
	var seen bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/request/callback/" {
			http.NotFound(w, r)
			return
		}
		want := "KEY:" + ZadarmaAPISign("SECRET", "/v1/request/callback/", r.URL.Query())
		if r.Header.Get("Authorization") != want || r.URL.Query().Get("from") != "101" {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"status":"error","message":"Not authorized"}`))
			return
		}
		seen = true
		w.Write([]byte(`{"status":"success","from":101,"to":79001234567,"time":1700000000}`))
	}))
	defer srv.Close()
	z := &ZadarmaAPI{BaseURL: srv.URL, Key: "KEY", Secret: "SECRET"}
	if err := z.Callback(context.Background(), "101", "+79001234567"); err != nil || !seen {
		t.Fatalf("callback: %v (seen %v)", err, seen)
	}
	bad := &ZadarmaAPI{BaseURL: srv.URL, Key: "KEY", Secret: "WRONG"}
	if err := bad.Callback(context.Background(), "101", "+79001234567"); err == nil {
		t.Fatal("a callback with a wrong secret was taken as placed")
	}
}

func TestMangoCallback(t *testing.T) {
	m := &Mango{APIKey: "vpbx-key", Salt: "salt"}
	var cmd string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/vpbx/commands/callback" || r.ParseForm() != nil {
			http.NotFound(w, r)
			return
		}
		js, err := m.Verify(r.PostForm)
		if err != nil {
			w.Write([]byte(`{"result":3102}`))
			return
		}
		cmd = string(js)
		w.Write([]byte(`{"result":1000}`))
	}))
	defer srv.Close()
	api := &MangoAPI{BaseURL: srv.URL + "/vpbx", Mango: m}
	if err := api.Callback(context.Background(), "cmd-1", "101", "79001234567"); err != nil {
		t.Fatal(err)
	}
	if cmd != `{"command_id":"cmd-1","from":{"extension":"101"},"to_number":"79001234567"}` {
		t.Fatalf("command json = %s", cmd)
	}
	wrong := &MangoAPI{BaseURL: srv.URL + "/vpbx", Mango: &Mango{APIKey: "vpbx-key", Salt: "other"}}
	if err := wrong.Callback(context.Background(), "cmd-2", "101", "79001234567"); err == nil {
		t.Fatal("a refused Mango command was taken as done")
	}
}
