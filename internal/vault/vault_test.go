package vault

import (
	"strings"
	"testing"
)

func testRing(t *testing.T) *Keyring {
	t.Helper()
	k1 := make([]byte, 32)
	k2 := make([]byte, 32)
	k2[0] = 1
	r, err := NewKeyring(map[int][]byte{1: k1, 2: k2}, 2, []byte("index-key"))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSealOpen(t *testing.T) {
	r := testRing(t)
	s, err := r.Seal("+79123456701", "contact:1:phone")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s, "v2.") || strings.Contains(s, "9123456701") {
		t.Fatalf("sealed %q", s)
	}
	if got, err := r.Open(s, "contact:1:phone"); err != nil || got != "+79123456701" {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := r.Open(s, "contact:2:phone"); err == nil {
		t.Fatal("a value moved to another record opened")
	}
	tampered := s[:len(s)-2] + "AA"
	if _, err := r.Open(tampered, "contact:1:phone"); err == nil {
		t.Fatal("a tampered value opened")
	}
	s2, _ := r.Seal("+79123456701", "contact:1:phone")
	if s2 == s {
		t.Fatal("sealing is deterministic: equal values would be visible as equal")
	}
	if e, _ := r.Seal("", "x"); e != "" {
		t.Fatal("empty must stay empty")
	}
}

func TestIndex(t *testing.T) {
	r := testRing(t)
	a, b := r.Index("phone", "+79123456701"), r.Index("phone", "+79123456701")
	if a != b || a == r.Index("phone", "+79123456702") || a == r.Index("email", "+79123456701") {
		t.Fatal("blind index is not an exact, kind-separated match")
	}
	other, _ := NewKeyring(map[int][]byte{1: make([]byte, 32)}, 1, []byte("another-key"))
	if other.Index("phone", "+79123456701") == a {
		t.Fatal("the index does not depend on its key")
	}
}

func FuzzOpen(f *testing.F) {
	r, _ := NewKeyring(map[int][]byte{1: make([]byte, 32)}, 1, []byte("k"))
	s, _ := r.Seal("Анна", "a")
	f.Add(s)
	f.Add("v1.")
	f.Fuzz(func(t *testing.T, sealed string) {
		_, _ = r.Open(sealed, "a") // must not panic
	})
}
