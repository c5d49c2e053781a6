// Package webui holds the built web UI. Built with the "ui" tag (make build)
// the Next.js export is embedded; without it Go builds and tests need no
// Node build and FS returns nil.
package webui
