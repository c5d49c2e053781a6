// Package vault protects personal data at rest: each field is sealed with
// AES-256-GCM under a versioned data key, data keys are stored wrapped by a
// master key that lives outside the database, and exact search goes through
// a keyed blind index (HMAC-SHA256) instead of the plaintext.
//
// The Cipher interface is the seam for a certified GOST provider: a clinic
// whose threat model relies on cryptography must use FSB-certified means,
// and ours is then defence in depth that such a provider replaces.
package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Cipher seals and opens field values and computes blind indexes.
type Cipher interface {
	// Seal encrypts plaintext bound to aad (the record and field it belongs
	// to, so a sealed value cannot be moved to another row). Empty stays empty.
	Seal(plaintext string, aad string) (string, error)
	// Open decrypts what Seal produced.
	Open(sealed string, aad string) (string, error)
	// Index is a keyed, deterministic digest for exact search: equal inputs
	// give equal indexes, and without the key it reveals nothing.
	Index(kind, normalized string) string
}

// MasterKeySize is 256 bits.
const MasterKeySize = 32

// LoadMasterKey reads a master key file (64 hex characters). When the file
// does not exist and create is set, it makes one (okno run's first start).
func LoadMasterKey(path string, create bool) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && create {
		key := make([]byte, MasterKeySize)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("vault: write master key: %w", err)
		}
		slog.Warn("generated a new master key next to the data; keep it apart from the databases (OKNO_MASTER_KEY_FILE) and back it up: without it the personal data cannot be read", "path", path)
		return key, nil
	}
	if err != nil {
		return nil, fmt.Errorf("vault: read master key: %w", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != MasterKeySize {
		return nil, errors.New("vault: the master key file must hold 64 hex characters")
	}
	return key, nil
}

// Keyring is the AES-256-GCM Cipher: data keys by version, one of them
// active for sealing, and the blind-index key.
type Keyring struct {
	keys     map[int]cipher.AEAD
	active   int
	indexKey []byte
}

var _ Cipher = (*Keyring)(nil)

// NewKeyring builds a keyring from unwrapped data keys.
func NewKeyring(dataKeys map[int][]byte, active int, indexKey []byte) (*Keyring, error) {
	k := &Keyring{keys: map[int]cipher.AEAD{}, active: active, indexKey: indexKey}
	for v, key := range dataKeys {
		a, err := newAEAD(key)
		if err != nil {
			return nil, err
		}
		k.keys[v] = a
	}
	if _, ok := k.keys[active]; !ok {
		return nil, fmt.Errorf("vault: active data key v%d missing", active)
	}
	return k, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, errors.New("vault: data keys are 256 bits")
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// Active is the version new values are sealed with.
func (k *Keyring) Active() int { return k.active }

// Seal produces "v<version>.<base64(nonce|ciphertext)>".
func (k *Keyring) Seal(plaintext, aad string) (string, error) {
	if plaintext == "" {
		return "", nil
	}
	a := k.keys[k.active]
	nonce := make([]byte, a.NonceSize(), a.NonceSize()+len(plaintext)+a.Overhead())
	if _, err := io.ReadFull(rand.Reader, nonce); err != nil {
		return "", err
	}
	out := a.Seal(nonce, nonce, []byte(plaintext), []byte(aad))
	return "v" + strconv.Itoa(k.active) + "." + base64.RawStdEncoding.EncodeToString(out), nil
}

// ErrUnreadable means a sealed value could not be opened: wrong key,
// tampering, or a value moved to another record.
var ErrUnreadable = errors.New("vault: sealed value cannot be opened")

// Version returns the data-key version a sealed value was made with.
func Version(sealed string) (int, bool) {
	v, _, ok := strings.Cut(strings.TrimPrefix(sealed, "v"), ".")
	n, err := strconv.Atoi(v)
	return n, ok && err == nil && strings.HasPrefix(sealed, "v")
}

// Open decrypts a sealed value.
func (k *Keyring) Open(sealed, aad string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	ver, ok := Version(sealed)
	if !ok {
		return "", ErrUnreadable
	}
	a, ok := k.keys[ver]
	if !ok {
		return "", fmt.Errorf("%w: data key v%d is not loaded", ErrUnreadable, ver)
	}
	_, body, _ := strings.Cut(sealed, ".")
	raw, err := base64.RawStdEncoding.DecodeString(body)
	if err != nil || len(raw) < a.NonceSize()+a.Overhead() {
		return "", ErrUnreadable
	}
	pt, err := a.Open(nil, raw[:a.NonceSize()], raw[a.NonceSize():], []byte(aad))
	if err != nil {
		return "", ErrUnreadable
	}
	return string(pt), nil
}

// Index returns hex(HMAC-SHA256(indexKey, kind ":" value)); empty stays empty.
func (k *Keyring) Index(kind, normalized string) string {
	if normalized == "" {
		return ""
	}
	m := hmac.New(sha256.New, k.indexKey)
	m.Write([]byte(kind))
	m.Write([]byte{':'})
	m.Write([]byte(normalized))
	return hex.EncodeToString(m.Sum(nil))
}

// wrap seals a data key under the master key.
func wrap(master, dataKey []byte, aad string) (string, error) {
	a, err := newAEAD(master)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, a.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.RawStdEncoding.EncodeToString(a.Seal(nonce, nonce, dataKey, []byte(aad))), nil
}

func unwrap(master []byte, wrapped, aad string) ([]byte, error) {
	a, err := newAEAD(master)
	if err != nil {
		return nil, err
	}
	raw, err := base64.RawStdEncoding.DecodeString(wrapped)
	if err != nil || len(raw) < a.NonceSize() {
		return nil, errors.New("vault: wrapped key is damaged")
	}
	key, err := a.Open(nil, raw[:a.NonceSize()], raw[a.NonceSize():], []byte(aad))
	if err != nil {
		return nil, errors.New("vault: a data key does not open with this master key (wrong OKNO_MASTER_KEY_FILE?)")
	}
	return key, nil
}

// deriveIndexKey gives each service its own blind-index key from the master
// key, so that indexes of the same phone differ between services' databases.
func deriveIndexKey(master []byte, service string) []byte {
	m := hmac.New(sha256.New, master)
	m.Write([]byte("okno blind index v1\x00" + service))
	return m.Sum(nil)
}
