package identity

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Argon2 holds argon2id cost parameters. Production uses the defaults
// (≈ 270 ms a hash on two cores); tests use cheap ones. The parameters are
// stored in each hash, so changing them never locks anyone out.
type Argon2 struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
}

// DefaultArgon2 are the production costs.
var DefaultArgon2 = Argon2{MemoryKiB: 64 * 1024, Time: 2, Threads: 2}

// hashSlots bounds concurrent hashes: each takes MemoryKiB of RAM and a core.
var hashSlots = make(chan struct{}, 2)

// verifications counts password checks, so that tests can prove that an
// unknown login costs the same argon2 work as a wrong password, and a
// locked one none.
var verifications atomic.Int64

// HashPassword returns a PHC-formatted argon2id hash.
func (a Argon2) HashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	hashSlots <- struct{}{}
	key := argon2.IDKey([]byte(password), salt, a.Time, a.MemoryKiB, a.Threads, 32)
	<-hashSlots
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, a.MemoryKiB, a.Time, a.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// VerifyPassword checks password against a PHC hash in constant time.
func VerifyPassword(encoded, password string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("identity: unknown password hash format")
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false, fmt.Errorf("identity: password hash params: %w", err)
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, err
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil {
		return false, err
	}
	verifications.Add(1)
	hashSlots <- struct{}{}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	<-hashSlots
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// commonPasswords are refused whatever their length (lower-cased).
var commonPasswords = map[string]bool{
	"123456789012": true, "1234567890123": true, "qwertyuiop12": true, "qwerty123456": true,
	"password1234": true, "password12345": true, "passwordpassword": true, "administrator": true,
	"1q2w3e4r5t6y": true, "1qaz2wsx3edc": true, "qwertyuiopasdfgh": true, "iloveyou1234": true,
	"000000000000": true, "111111111111": true, "123123123123": true, "abcdefghijkl": true,
	"йцукенгшщзхъ": true, "пароль123456": true, "парольпароль": true, "qazwsxedcrfv": true,
	"zaq12wsxcde3": true, "welcome12345": true, "letmein12345": true, "changeme1234": true,
}

// CheckPasswordPolicy enforces the clinic's password policy.
func CheckPasswordPolicy(login, password string) error {
	if utf8.RuneCountInString(password) < 12 {
		return errors.New("must be at least 12 characters")
	}
	if len(password) > 256 {
		return errors.New("must be at most 256 bytes")
	}
	low := strings.ToLower(password)
	if strings.EqualFold(strings.TrimSpace(password), login) || strings.Contains(low, strings.ToLower(login)) && len(login) >= 4 {
		return errors.New("must not contain the login")
	}
	if commonPasswords[low] {
		return errors.New("is too common")
	}
	return nil
}
