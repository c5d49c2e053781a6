package gateway

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"strings"
	"time"
)

// static serves the web UI (a Next.js static export). Each page gets a
// Content-Security-Policy that allows exactly its own inline bootstrap
// scripts by hash, so no other inline script can run.
type static struct {
	fsys fs.FS
	csp  map[string]string // page path → policy
}

var inlineScript = regexp.MustCompile(`(?s)<script(?:\s[^>]*)?>(.*?)</script>`)
var scriptSrc = regexp.MustCompile(`<script[^>]*\ssrc=`)

const basePolicy = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

func newStatic(fsys fs.FS) *static {
	s := &static{fsys: fsys, csp: map[string]string{}}
	if fsys == nil {
		return s
	}
	_ = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".html") {
			return nil
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil
		}
		s.csp[p] = policyFor(b)
		return nil
	})
	return s
}

func policyFor(html []byte) string {
	hashes := []string{"'self'"}
	seen := map[string]bool{}
	for _, m := range inlineScript.FindAllSubmatchIndex(html, -1) {
		tag := html[m[0]:m[2]]
		if scriptSrc.Match(tag) {
			continue
		}
		body := html[m[2]:m[3]]
		if len(bytes.TrimSpace(body)) == 0 {
			continue
		}
		sum := sha256.Sum256(body)
		h := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
		if !seen[h] {
			seen[h] = true
			hashes = append(hashes, h)
		}
	}
	return basePolicy + "; script-src " + strings.Join(hashes, " ")
}

const notBuilt = `<!doctype html><html lang="ru"><meta charset="utf-8"><title>Окно</title>
<body style="font-family:sans-serif;max-width:40em;margin:4em auto">
<h1>Окно</h1><p>The web UI is not built into this binary. Build it with <code>make build</code>
(or run <code>make run</code>); the API is available under <code>/api/v1</code>.</p></body></html>`

func (s *static) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if s.fsys == nil {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", basePolicy+"; script-src 'none'")
		_, _ = w.Write([]byte(notBuilt))
		return
	}
	p := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if p == "" || strings.HasSuffix(r.URL.Path, "/") {
		p = path.Join(p, "index.html")
	}
	if _, err := fs.Stat(s.fsys, p); err != nil {
		// Next exports /login as login/index.html (trailingSlash); send
		// "/login" to "/login/".
		if _, err2 := fs.Stat(s.fsys, path.Join(p, "index.html")); err2 == nil {
			http.Redirect(w, r, "/"+p+"/", http.StatusMovedPermanently)
			return
		}
		s.serveFile(w, r, "404.html", http.StatusNotFound)
		return
	}
	s.serveFile(w, r, p, http.StatusOK)
}

func (s *static) serveFile(w http.ResponseWriter, r *http.Request, p string, status int) {
	b, err := fs.ReadFile(s.fsys, p)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	if strings.HasSuffix(p, ".html") {
		h.Set("Content-Security-Policy", s.csp[p])
		h.Set("Cache-Control", "no-cache")
	} else if strings.HasPrefix(p, "_next/static/") {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	}
	if status != http.StatusOK {
		h.Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write(b)
		return
	}
	http.ServeContent(w, r, path.Base(p), zeroTime, bytes.NewReader(b))
}

var zeroTime time.Time
