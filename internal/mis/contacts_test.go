package mis

import (
	"context"
	"database/sql"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/okno-crm/okno/internal/httpapi"
	"github.com/okno-crm/okno/internal/mis/migrations"
	"github.com/okno-crm/okno/internal/principal"
	"github.com/okno-crm/okno/internal/problem"
	"github.com/okno-crm/okno/internal/store"
	"github.com/okno-crm/okno/internal/testenv"
	"github.com/pressly/goose/v3"
)

// The HTTP contact reader against a stand-in of the contact center's
// internal endpoint: the caller's principal and the purpose travel, the
// contact's id is only in the path, the answers map to problems.
func TestHTTPContactReader(t *testing.T) {
	var gotPath, gotPurpose, gotUser, gotToken string
	mux := http.NewServeMux()
	mux.HandleFunc("GET /internal/contacts/{id}", func(w http.ResponseWriter, r *http.Request) {
		gotPath, gotPurpose = r.URL.Path, r.URL.Query().Get("purpose")
		gotUser, gotToken = r.Header.Get(principal.HeaderUserID), r.Header.Get(principal.HeaderToken)
		switch r.PathValue("id") {
		case motherContact:
			httpapi.WriteJSON(w, http.StatusOK, ContactInfo{ID: motherContact, Name: "Иванова Мария", Phones: []string{"+79122223344"}})
		case sonContact:
			httpapi.WriteJSON(w, http.StatusOK, ContactInfo{ID: "someone-else"})
		case newContact:
			w.WriteHeader(http.StatusInternalServerError)
		default:
			problem.Write(w, r, problem.New(problem.NotFound, "no such contact"))
		}
	})
	cc := httptest.NewServer(mux)
	defer cc.Close()
	base, _ := url.Parse(cc.URL)
	r := &HTTPContactReader{BaseURL: base, Token: testToken}
	ctx := context.Background()
	c, err := r.Contact(ctx, operator, motherContact, PurposeMatch)
	if err != nil || c.Name != "Иванова Мария" || len(c.Phones) != 1 {
		t.Fatalf("read a contact: %v", err)
	}
	if gotPath != "/internal/contacts/"+motherContact || gotPurpose != PurposeMatch || gotUser != operator.UserID || gotToken != testToken {
		t.Fatalf("the call: %s %s %s", gotPath, gotPurpose, gotUser)
	}
	if _, err := r.Contact(ctx, operator, "0193a000-0000-7000-8000-0000000009ff", PurposeMatch); problem.CodeOf(err) != problem.Invalid {
		t.Fatalf("unknown contact: %v", err)
	}
	if _, err := r.Contact(ctx, operator, sonContact, PurposeMatch); problem.CodeOf(err) != problem.Unavailable {
		t.Fatalf("an answer about another contact: %v", err)
	}
	if _, err := r.Contact(ctx, operator, newContact, PurposeMatch); problem.CodeOf(err) != problem.Unavailable {
		t.Fatalf("a failing contact center: %v", err)
	}
	// A contact center without the endpoint: its router's plain 404.
	old := &HTTPContactReader{BaseURL: &url.URL{Scheme: "http", Host: base.Host, Path: "/elsewhere"}, Token: testToken}
	if _, err := old.Contact(ctx, operator, motherContact, PurposeMatch); problem.CodeOf(err) != problem.Unavailable ||
		!strings.Contains(err.Error(), "does not serve") {
		t.Fatalf("a contact center without the endpoint: %v", err)
	}
	cc.Close()
	if _, err := r.Contact(ctx, operator, motherContact, PurposeMatch); problem.CodeOf(err) != problem.Unavailable {
		t.Fatalf("an unreachable contact center: %v", err)
	}
}

// Migration 0002 goes down and up again on both databases.
func TestStoreMISMigrationDownUp(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		s := newTestService(t, b, nil)
		ctx := context.Background()
		dialect := goose.DialectSQLite3
		if s.DB.Dialect == store.Postgres {
			dialect = goose.DialectPostgres
		}
		sub, err := fs.Sub(migrations.FS, string(s.DB.Dialect))
		if err != nil {
			t.Fatal(err)
		}
		p, err := goose.NewProvider(dialect, s.DB.W, sub, goose.WithDisableGlobalRegistry(true))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.DownTo(ctx, 1); err != nil {
			t.Fatal(err)
		}
		if tableExists(ctx, s.DB.W, "patient_links") {
			t.Fatal("patient_links survived the down migration")
		}
		if _, err := p.Up(ctx); err != nil {
			t.Fatal(err)
		}
		if !tableExists(ctx, s.DB.W, "patient_links") {
			t.Fatal("patient_links missing after up")
		}
	})
}

func tableExists(ctx context.Context, db *sql.DB, name string) bool {
	_, err := db.ExecContext(ctx, `SELECT 1 FROM `+name+` WHERE 1 = 0`)
	return err == nil
}

// The reader passes on where a merged contact went, and refuses an answer
// that points nowhere sensible.
func TestHTTPContactReaderMerged(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /internal/contacts/{id}", func(w http.ResponseWriter, r *http.Request) {
		switch id := r.PathValue("id"); id {
		case sonContact:
			httpapi.WriteJSON(w, http.StatusOK, map[string]string{"id": id, "merged_into": motherContact})
		case newContact:
			httpapi.WriteJSON(w, http.StatusOK, map[string]string{"id": id, "merged_into": newContact})
		default:
			httpapi.WriteJSON(w, http.StatusOK, map[string]string{"id": id, "merged_into": "not-an-id"})
		}
	})
	cc := httptest.NewServer(mux)
	defer cc.Close()
	base, _ := url.Parse(cc.URL)
	r := &HTTPContactReader{BaseURL: base, Token: testToken}
	ctx := context.Background()
	c, err := r.Contact(ctx, operator, sonContact, PurposeLink)
	if err != nil || c.ID != sonContact || c.MergedInto != motherContact {
		t.Fatalf("a merged contact: %+v %v", c, err)
	}
	for _, id := range []string{newContact, motherContact} {
		if _, err := r.Contact(ctx, operator, id, PurposeLink); problem.CodeOf(err) != problem.Unavailable {
			t.Fatalf("merged into nonsense: %v", err)
		}
	}
}
