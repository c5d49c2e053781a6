package app_test

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/okno-crm/okno/internal/testenv"
)

// A stolen data directory or database dump reveals nothing: the patient's
// name, phone, e-mail and message are nowhere in plaintext — not in the
// SQLite files with their WAL, not in the NATS store, not in PostgreSQL's
// tables — while the API still shows them to a manager.
func TestStoreNothingReadableAtRest(t *testing.T) {
	secrets := [][]byte{
		[]byte("Ёлкина Алёна Тестовна"), []byte("9125550123"), []byte("alena.secret@example.ru"),
		[]byte("подозрение на редкий диагноз"),
	}
	forEachProfile(t, func(t *testing.T, p profile) {
		dir, pg := testenv.Storage(t, p.db)
		a := boot(t, baseConfig(dir, pg, p.bus.URL), false)
		resp, body := postJSON(a.browser(), "site", map[string]any{
			"name": string(secrets[0]), "phone": "8 912 555-01-23", "email": string(secrets[2]),
			"message": string(secrets[3]), "consent": true,
		}, nil)
		if resp.StatusCode != 201 {
			t.Fatalf("intake: %d %s", resp.StatusCode, body)
		}
		var created struct{ ID string }
		_ = json.Unmarshal(body, &created)
		m := a.browser()
		m.login("operator")
		_, got := m.do("GET", "/api/v1/requests/"+created.ID, "", nil, nil)
		if !bytes.Contains(got, secrets[0]) || !bytes.Contains(got, secrets[3]) {
			t.Fatalf("the manager cannot read the request back: %s", got)
		}
		waitUntil(t, "the outbox to drain", func() bool { return outboxLen(t, a) == 0 })
		a.stop()

		// Every file Okno wrote: databases, WAL, the embedded NATS store.
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, s := range secrets {
				if bytes.Contains(data, s) {
					t.Errorf("%s holds personal data in plaintext (%d bytes of it)", filepath.Base(path), len(s))
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if pg == "" {
			return
		}
		db, err := sql.Open("pgx", pg)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		rows, err := db.Query(`SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema IN ('identity', 'contactcenter', 'audit')`)
		if err != nil {
			t.Fatal(err)
		}
		var tables [][2]string
		for rows.Next() {
			var s, n string
			_ = rows.Scan(&s, &n)
			tables = append(tables, [2]string{s, n})
		}
		rows.Close()
		if len(tables) < 5 {
			t.Fatalf("found only %d tables to dump", len(tables))
		}
		for _, tb := range tables {
			dump, err := db.Query(`SELECT t::text FROM ` + tb[0] + `.` + tb[1] + ` t`)
			if err != nil {
				t.Fatal(err)
			}
			for dump.Next() {
				var line []byte
				_ = dump.Scan(&line)
				for _, s := range secrets {
					if bytes.Contains(line, s) {
						t.Errorf("%s.%s holds personal data in plaintext", tb[0], tb[1])
					}
				}
			}
			dump.Close()
		}
	})
}
