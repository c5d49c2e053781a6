//go:build !ui

package webui

import "io/fs"

// FS returns nil: this binary was built without the UI.
func FS() fs.FS { return nil }
