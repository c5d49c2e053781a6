package contactcenter

import (
	"strings"

	"github.com/okno-crm/okno/internal/store"
)

// listQuery builds the filter of a newest-first list (requests, calls,
// tasks) with the database's placeholders.
type listQuery struct {
	db    *store.DB
	where []string
	args  []any
}

// eq adds "cond <value>" (cond ends with its operator).
func (q *listQuery) eq(cond string, v any) {
	q.args = append(q.args, v)
	q.where = append(q.where, cond+" "+q.db.Params(len(q.args), 1))
}

// raw adds a condition without a value.
func (q *listQuery) raw(cond string) { q.where = append(q.where, cond) }

// in adds "col IN (…)" when vals is not empty.
func (q *listQuery) in(col string, vals []string) {
	if len(vals) == 0 {
		return
	}
	q.where = append(q.where, col+" IN ("+q.db.Params(len(q.args)+1, len(vals))+")")
	for _, v := range vals {
		q.args = append(q.args, v)
	}
}

// build appends the filter, the order by idCol descending and a limit one
// above the page size, so that page can tell whether another page follows.
func (q *listQuery) build(base, idCol string, limit int) (string, []any) {
	text := base
	if len(q.where) > 0 {
		text += " WHERE " + strings.Join(q.where, " AND ")
	}
	args := append(q.args, limit+1)
	return text + " ORDER BY " + idCol + " DESC LIMIT " + q.db.Params(len(args), 1), args
}

// page trims a list read with one row too many and gives the next page's
// cursor, empty on the last page.
func page[T any](items []T, limit int, id func(T) string) ([]T, string) {
	if len(items) <= limit {
		return items, ""
	}
	items = items[:limit]
	return items, id(items[len(items)-1])
}
