package contactcenter

import (
	"sync"
	"time"
)

// shortCache keeps a value read from the database for a few seconds. It
// serves settings that every call or request consults and an administrator
// rarely changes (PBX integrations, routing rules, extensions): a change
// made here drops it at once; one made by another instance of the service
// shows within the lifetime.
type shortCache[T any] struct {
	mu      sync.Mutex
	val     T
	loaded  bool
	expires time.Time
}

// shortCacheLife is how long a shortCache value is served.
const shortCacheLife = 5 * time.Second

// get returns the value, loading it when it is missing or old.
func (c *shortCache[T]) get(now time.Time, load func() (T, error)) (T, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.loaded && now.Before(c.expires) {
		return c.val, nil
	}
	v, err := load()
	if err != nil {
		var zero T
		return zero, err
	}
	c.val, c.loaded, c.expires = v, true, now.Add(shortCacheLife)
	return v, nil
}

// drop forgets the value; the next get loads it again.
func (c *shortCache[T]) drop() {
	c.mu.Lock()
	c.loaded = false
	var zero T
	c.val = zero
	c.mu.Unlock()
}
