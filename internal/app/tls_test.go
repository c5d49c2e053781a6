package app_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/okno-crm/okno/internal/app"
	"github.com/okno-crm/okno/internal/config"
)

func selfSigned(t *testing.T, dir string) (string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "okno.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kd, _ := x509.MarshalECPrivateKey(key)
	cert, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	_ = os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	_ = os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd}), 0o600)
	return cert, keyPath
}

// With certificate files Okno speaks HTTPS, sends HSTS and marks its
// cookies Secure; without them it refuses to listen off loopback.
func TestSystemTLS(t *testing.T) {
	dir := t.TempDir()
	cfg := baseConfig(dir, "", "")
	cfg.TLSCert, cfg.TLSKey = selfSigned(t, dir)
	a := boot(t, cfg, false)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, Timeout: 10 * time.Second}
	r, err := c.Get("https://" + a.Addr() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if !strings.Contains(r.Header.Get("Strict-Transport-Security"), "max-age=") {
		t.Fatalf("no HSTS under TLS: %v", r.Header)
	}
	r, err = c.Post("https://"+a.Addr()+"/api/v1/auth/login", "application/json", strings.NewReader(`{"login":"operator","password":"`+password+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	cookies := r.Cookies()
	if r.StatusCode != 200 || len(cookies) == 0 {
		t.Fatalf("login over TLS: %d", r.StatusCode)
	}
	for _, ck := range cookies {
		if !ck.Secure {
			t.Fatalf("cookie %s is not Secure under TLS", ck.Name)
		}
	}

	plain := config.Config{Addr: "0.0.0.0:0", Data: t.TempDir(), Argon2MemoryKiB: 1024, Argon2Time: 1}
	b, err := app.Open(context.Background(), plain, app.All, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close(context.Background())
	if err := b.Start(); err == nil || !strings.Contains(err.Error(), "refusing plain HTTP") {
		t.Fatalf("plain HTTP off loopback: %v", err)
	}
}
