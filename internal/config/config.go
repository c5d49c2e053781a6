// Package config reads Okno's settings: OKNO_* environment variables first,
// then command-line flags over them. Every secret also has a _FILE variant
// that names a file holding it. docs/configuration.md is the table.
package config

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"time"
	_ "time/tzdata" // OKNO_MIS_TZ on hosts without a zoneinfo database

	"github.com/caarlos0/env/v11"
)

// Config is every setting of the okno binary.
type Config struct {
	Addr              string        `env:"OKNO_ADDR" envDefault:"127.0.0.1:8080"`
	Data              string        `env:"OKNO_DATA" envDefault:"./data"`
	DB                string        `env:"OKNO_DB"`
	DBFile            string        `env:"OKNO_DB_FILE,file"`
	NATS              string        `env:"OKNO_NATS"`
	NATSFile          string        `env:"OKNO_NATS_FILE,file"`
	Demo              bool          `env:"OKNO_DEMO"`
	IntakeRatePerMin  int           `env:"OKNO_INTAKE_RATE_PER_MIN" envDefault:"30"`
	WebhookRatePerMin int           `env:"OKNO_WEBHOOK_RATE_PER_MIN" envDefault:"300000"`
	PublicURL         string        `env:"OKNO_PUBLIC_URL"`
	DemoPBX           bool          `env:"OKNO_DEMO_PBX"`
	LoginRatePerMin   int           `env:"OKNO_LOGIN_RATE_PER_MIN" envDefault:"20"`
	APIRatePerMin     int           `env:"OKNO_API_RATE_PER_MIN" envDefault:"600"`
	InternalToken     string        `env:"OKNO_INTERNAL_TOKEN"`
	InternalTokenFile string        `env:"OKNO_INTERNAL_TOKEN_FILE,file"`
	IdentityURL       string        `env:"OKNO_IDENTITY_URL"`
	ContactCenterURL  string        `env:"OKNO_CONTACTCENTER_URL"`
	AuditURL          string        `env:"OKNO_AUDIT_URL"`
	MISURL            string        `env:"OKNO_MIS_URL"`
	MISFHIRURL        string        `env:"OKNO_MIS_FHIR_URL"`
	MISKind           string        `env:"OKNO_MIS_KIND"`
	RenovatioURL      string        `env:"OKNO_MIS_RENOVATIO_URL"`
	RenovatioKey      string        `env:"OKNO_MIS_RENOVATIO_KEY"`
	RenovatioKeyFile  string        `env:"OKNO_MIS_RENOVATIO_KEY_FILE,file"`
	MISTZ             string        `env:"OKNO_MIS_TZ" envDefault:"Asia/Yekaterinburg"`
	MISFeedEvery      time.Duration `env:"OKNO_MIS_FEED_EVERY" envDefault:"15s"`
	TLSCert           string        `env:"OKNO_TLS_CERT"`
	TLSKey            string        `env:"OKNO_TLS_KEY"`
	BehindTLSProxy    bool          `env:"OKNO_BEHIND_TLS_PROXY"`
	TrustedProxies    []string      `env:"OKNO_TRUSTED_PROXIES" envSeparator:","`
	SessionIdle       time.Duration `env:"OKNO_SESSION_IDLE" envDefault:"2h"`
	SessionAbsolute   time.Duration `env:"OKNO_SESSION_ABSOLUTE" envDefault:"12h"`
	Argon2MemoryKiB   uint32        `env:"OKNO_ARGON2_MEMORY_KIB" envDefault:"65536"`
	Argon2Time        uint32        `env:"OKNO_ARGON2_TIME" envDefault:"2"`
	MasterKeyFile     string        `env:"OKNO_MASTER_KEY_FILE"`
	WebDir            string        `env:"OKNO_WEB_DIR"`
	LogLevel          string        `env:"OKNO_LOG_LEVEL" envDefault:"info"`
	LogFormat         string        `env:"OKNO_LOG_FORMAT" envDefault:"text"`
}

// FromEnv reads the environment.
func FromEnv() (Config, error) {
	var c Config
	if err := env.Parse(&c); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	pick := func(v, file string) string {
		if v != "" {
			return v
		}
		return strings.TrimSpace(file)
	}
	c.DB = pick(c.DB, c.DBFile)
	c.NATS = pick(c.NATS, c.NATSFile)
	c.InternalToken = pick(c.InternalToken, c.InternalTokenFile)
	c.RenovatioKey = pick(c.RenovatioKey, c.RenovatioKeyFile)
	c.DBFile, c.NATSFile, c.InternalTokenFile, c.RenovatioKeyFile = "", "", "", ""
	return c, nil
}

// Validate checks settings that depend on each other.
func (c Config) Validate() error {
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return fmt.Errorf("config: OKNO_TLS_CERT and OKNO_TLS_KEY go together")
	}
	if c.DB != "" && !strings.HasPrefix(c.DB, "postgres://") && !strings.HasPrefix(c.DB, "postgresql://") {
		return fmt.Errorf("config: OKNO_DB must be a postgres:// URL")
	}
	if c.IntakeRatePerMin < 0 || c.LoginRatePerMin < 0 || c.APIRatePerMin < 0 {
		return fmt.Errorf("config: rates must not be negative")
	}
	if _, err := c.Proxies(); err != nil {
		return err
	}
	if c.MISFeedEvery != 0 && c.MISFeedEvery < time.Second { // zero: the mis service's default
		return fmt.Errorf("config: OKNO_MIS_FEED_EVERY must be at least 1s")
	}
	switch c.MISKind {
	case "", "fhir":
	case "renovatio":
		if c.RenovatioKey == "" {
			return fmt.Errorf("config: OKNO_MIS_KIND=renovatio needs OKNO_MIS_RENOVATIO_KEY or OKNO_MIS_RENOVATIO_KEY_FILE")
		}
		if _, err := c.MISLocation(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("config: OKNO_MIS_KIND must be fhir or renovatio")
	}
	return nil
}

// MISLocation is the clinic's time zone (OKNO_MIS_TZ), in which an MIS
// without offsets in its times (Renovatio) is read.
func (c Config) MISLocation() (*time.Location, error) {
	loc, err := time.LoadLocation(c.MISTZ)
	if err != nil || c.MISTZ == "" {
		return nil, fmt.Errorf("config: OKNO_MIS_TZ must be a time zone name such as Asia/Yekaterinburg")
	}
	return loc, nil
}

// Proxies parses OKNO_TRUSTED_PROXIES.
func (c Config) Proxies() ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, s := range c.TrustedProxies {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			if strings.Contains(s, ":") {
				s += "/128"
			} else {
				s += "/32"
			}
		}
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			return nil, fmt.Errorf("config: OKNO_TRUSTED_PROXIES: %q is not an address or CIDR", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// MasterKeyPath is where the master key lives: OKNO_MASTER_KEY_FILE, or
// master.key in the data directory, which may then be created on first use.
func (c Config) MasterKeyPath() (path string, mayCreate bool) {
	if c.MasterKeyFile != "" {
		return c.MasterKeyFile, false
	}
	return filepath.Join(c.Data, "master.key"), true
}

// PublicBase is where the clinic's PBX and browsers reach Okno: webhook
// URLs are given under it. OKNO_PUBLIC_URL, else the listening address.
func (c Config) PublicBase() string {
	if c.PublicURL != "" {
		return strings.TrimRight(c.PublicURL, "/")
	}
	scheme := "http"
	if c.TLSCert != "" {
		scheme = "https"
	}
	return scheme + "://" + c.Addr
}

// PlainHTTPAllowed says whether serving without TLS is acceptable: only on
// loopback, or behind a reverse proxy that terminates TLS.
func (c Config) PlainHTTPAllowed() bool {
	if c.TLSCert != "" || c.BehindTLSProxy {
		return true
	}
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
