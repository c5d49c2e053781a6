package gateway

import (
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter keeps one token bucket per client address.
type limiter struct {
	mu      sync.Mutex
	perMin  int
	buckets map[string]*bucket
}

type bucket struct {
	l    *rate.Limiter
	seen time.Time
}

func newLimiter(perMin int) *limiter {
	return &limiter{perMin: perMin, buckets: map[string]*bucket{}}
}

// Allow reports whether key may make one more request now.
func (l *limiter) Allow(key string, now time.Time) bool {
	if l.perMin <= 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{l: rate.NewLimiter(rate.Limit(float64(l.perMin)/60), l.perMin)}
		l.buckets[key] = b
		if len(l.buckets) > 100_000 {
			l.sweepLocked(now)
		}
	}
	b.seen = now
	return b.l.AllowN(now, 1)
}

// sweepLocked forgets addresses idle long enough for their bucket to refill.
func (l *limiter) sweepLocked(now time.Time) {
	for k, b := range l.buckets {
		if now.Sub(b.seen) > 2*time.Minute {
			delete(l.buckets, k)
		}
	}
}

func (l *limiter) sweep(now time.Time) {
	l.mu.Lock()
	l.sweepLocked(now)
	l.mu.Unlock()
}

// clientAddr is the caller's IP: the socket's peer, or — when that peer is
// a trusted reverse proxy — the nearest untrusted address it forwarded.
func clientAddr(r *http.Request, trusted []*net.IPNet) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if len(trusted) == 0 || !inNets(net.ParseIP(host), trusted) {
		return host
	}
	hops := strings.Split(r.Header.Get("X-Forwarded-For"), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		h := strings.TrimSpace(hops[i])
		ip := net.ParseIP(h)
		if ip == nil {
			break
		}
		if !inNets(ip, trusted) {
			return ip.String()
		}
	}
	return host
}

func inNets(ip net.IP, nets []*net.IPNet) bool {
	if ip == nil {
		return false
	}
	for _, n := range nets {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}
