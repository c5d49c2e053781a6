package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMISKindAndRenovatioKeyFile(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "renovatio.key")
	if err := os.WriteFile(keyFile, []byte("key-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("OKNO_MIS_KIND", "renovatio")
	t.Setenv("OKNO_MIS_RENOVATIO_KEY_FILE", keyFile)
	c, err := FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if c.RenovatioKey != "key-from-file" || c.RenovatioKeyFile != "" || c.MISTZ != "Asia/Yekaterinburg" {
		t.Fatalf("read: key set %v, file cleared %v, tz %q", c.RenovatioKey == "key-from-file", c.RenovatioKeyFile == "", c.MISTZ)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if loc, err := c.MISLocation(); err != nil || loc.String() != "Asia/Yekaterinburg" {
		t.Fatalf("location: %v %v", loc, err)
	}

	bad := map[string]func(*Config){
		"no key":   func(c *Config) { c.RenovatioKey = "" },
		"bad zone": func(c *Config) { c.MISTZ = "Mars/Olympus" },
		"bad kind": func(c *Config) { c.MISKind = "medialog" },
		"no zone":  func(c *Config) { c.MISTZ = "" },
	}
	for name, f := range bad {
		cc := c
		f(&cc)
		err := cc.Validate()
		if err == nil || !strings.Contains(err.Error(), "OKNO_MIS_") {
			t.Errorf("%s: %v", name, err)
		}
		if err != nil && strings.Contains(err.Error(), "key-from-file") {
			t.Errorf("%s: the key is in the error", name)
		}
	}
}
