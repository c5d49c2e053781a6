package problem

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The catalog is kept complete by reading the source: every message the
// server can put into a problem must have a Russian text, or the Russian UI
// shows an English sentence again. The scan uses go/parser only (no type
// checking), so it recognises problem values by how Okno writes them:
//
//   - problem.New(code, MSG), problem.Newf(code, FORMAT, ...),
//     problem.Field(field, MSG), problem.Fieldf(field, FORMAT, ...);
//   - problem.Error{Message: MSG} and problem.FieldError{Message: MSG},
//     including the elements of a []problem.FieldError literal;
//   - telephony.FieldError{Reason: MSG}: its reason becomes a field message
//     in the contact center's webhook handler.
//
// MSG is followed to where its text is written: a string literal, the
// format of fmt.Sprintf / fmt.Errorf / errors.New, a local variable (every
// value assigned to it), a parameter (the argument at every call of the
// function or closure in the package), a call of a package function (what
// it returns), err.Error() (the errors assigned to err). Anything else — a
// message glued together with +, or a value from elsewhere — fails the test
// unless it is listed in passedOn with the reason its text is covered.

// passedOn lists message expressions whose text is not written where they
// are, by file (relative to internal/) and expression, with why that is fine.
var passedOn = map[string]string{
	"gateway/clients.go: b.Detail":           "a service's answer, in English (the gateway's own calls send no Accept-Language): a message of that service, scanned where it is written, translated when the gateway writes it",
	"contactcenter/http_calls.go: fe.Reason": "telephony.FieldError reasons, scanned as messages where they are written",
}

// ownTexts are this package's own messages, which the scan skips.
var ownTexts = []string{"some fields are not acceptable", "the request body exceeds the limit"}

// A message found in the source: its text and where it is written.
type foundMessage struct {
	text string
	pos  string // file:line of the literal
	site string // file:line of the problem that carries it
}

type seenKey struct {
	e    ast.Expr
	site string
}

type scanPkg struct {
	fset  *token.FileSet
	root  string
	files []*ast.File
	funcs map[string][]*ast.FuncDecl // by name; methods of any receiver too
	calls []callAt                   // every call in the package, with its ancestors
	decls map[string]ast.Expr        // package-level const/var values by name
}

type callAt struct {
	call  *ast.CallExpr
	stack []ast.Node // ancestors, outermost first, the call last
}

type scanner struct {
	root     string
	found    []foundMessage
	problems []string
	seen     map[seenKey]bool // against following an expression twice, and cycles
	passed   map[string]bool  // passedOn entries met
}

func scanMessages(t *testing.T, root string) *scanner {
	t.Helper()
	s := &scanner{root: root, seen: map[seenKey]bool{}, passed: map[string]bool{}}
	dirs := map[string][]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			dirs[filepath.Dir(path)] = append(dirs[filepath.Dir(path)], path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range slices.Sorted(func(yield func(string) bool) {
		for d := range dirs {
			if !yield(d) {
				return
			}
		}
	}) {
		// This package's own constructors pass their parameters on; its
		// own texts are checked by TestOwnTextsTranslated.
		if filepath.Base(dir) == "problem" && filepath.Dir(dir) == filepath.Clean(root) {
			continue
		}
		p := &scanPkg{fset: token.NewFileSet(), root: root, funcs: map[string][]*ast.FuncDecl{}, decls: map[string]ast.Expr{}}
		for _, path := range dirs[dir] {
			f, err := parser.ParseFile(p.fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			p.files = append(p.files, f)
		}
		p.index()
		s.scanPkg(p)
	}
	return s
}

func (p *scanPkg) index() {
	for _, f := range p.files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				p.funcs[d.Name.Name] = append(p.funcs[d.Name.Name], d)
			case *ast.GenDecl:
				for _, sp := range d.Specs {
					if vs, ok := sp.(*ast.ValueSpec); ok && len(vs.Values) == len(vs.Names) {
						for i, n := range vs.Names {
							p.decls[n.Name] = vs.Values[i]
						}
					}
				}
			}
		}
		var stack []ast.Node
		ast.Inspect(f, func(n ast.Node) bool {
			if n == nil {
				stack = stack[:len(stack)-1]
				return true
			}
			stack = append(stack, n)
			if c, ok := n.(*ast.CallExpr); ok {
				p.calls = append(p.calls, callAt{c, slices.Clone(stack)})
			}
			return true
		})
	}
}

func (p *scanPkg) where(pos token.Pos) string {
	at := p.fset.Position(pos)
	rel, err := filepath.Rel(p.root, at.Filename)
	if err != nil {
		rel = at.Filename
	}
	return filepath.ToSlash(rel) + ":" + strconv.Itoa(at.Line)
}

func (p *scanPkg) source(n ast.Node) string {
	var b bytes.Buffer
	_ = printer.Fprint(&b, p.fset, n)
	return b.String()
}

// isSel reports whether e is pkg.name.
func isSel(e ast.Expr, pkg, name string) bool {
	s, ok := e.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	x, ok := s.X.(*ast.Ident)
	return ok && x.Name == pkg && s.Sel.Name == name
}

func (s *scanner) scanPkg(p *scanPkg) {
	telephony := false
	for _, f := range p.files {
		telephony = telephony || f.Name.Name == "telephony"
	}
	for _, f := range p.files {
		var stack []ast.Node
		ast.Inspect(f, func(n ast.Node) bool {
			if n == nil {
				stack = stack[:len(stack)-1]
				return true
			}
			stack = append(stack, n)
			switch x := n.(type) {
			case *ast.CallExpr:
				for _, name := range []string{"New", "Newf", "Field", "Fieldf"} {
					if isSel(x.Fun, "problem", name) && len(x.Args) >= 2 {
						s.resolve(p, stack, x.Args[1], p.where(x.Pos()), 0)
					}
				}
			case *ast.CompositeLit:
				key := ""
				switch {
				case isSel(x.Type, "problem", "Error"), isSel(x.Type, "problem", "FieldError"):
					key = "Message"
				case x.Type == nil && len(stack) >= 2 && isFieldErrorList(stack[len(stack)-2]):
					key = "Message"
				case telephony && isIdent(x.Type, "FieldError"):
					key = "Reason"
				}
				if key == "" {
					return true
				}
				for _, el := range x.Elts {
					if kv, ok := el.(*ast.KeyValueExpr); ok && isIdent(kv.Key, key) {
						s.resolve(p, stack, kv.Value, p.where(x.Pos()), 0)
					}
				}
			}
			return true
		})
	}
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

func isFieldErrorList(n ast.Node) bool {
	c, ok := n.(*ast.CompositeLit)
	if !ok {
		return false
	}
	a, ok := c.Type.(*ast.ArrayType)
	return ok && isSel(a.Elt, "problem", "FieldError")
}

// resolve follows a message expression to the texts it can take. stack
// holds e's ancestors (e itself may or may not be last).
func (s *scanner) resolve(p *scanPkg, stack []ast.Node, e ast.Expr, site string, depth int) {
	key := seenKey{e, site}
	if s.seen[key] {
		return
	}
	s.seen[key] = true
	fail := func(why string) {
		rel := strings.SplitN(p.where(e.Pos()), ":", 2)[0]
		if _, ok := passedOn[rel+": "+p.source(e)]; ok {
			s.passed[rel+": "+p.source(e)] = true
			return
		}
		s.problems = append(s.problems, fmt.Sprintf("%s: message %s %s (problem at %s)", p.where(e.Pos()), p.source(e), why, site))
	}
	if depth > 8 {
		fail("is passed on too deeply to follow")
		return
	}
	switch x := e.(type) {
	case *ast.ParenExpr:
		s.resolve(p, stack, x.X, site, depth+1)
	case *ast.BasicLit:
		if x.Kind != token.STRING {
			fail("is not a string")
			return
		}
		text, err := strconv.Unquote(x.Value)
		if err != nil {
			fail("cannot be read")
			return
		}
		if text != "" { // "" is how helpers say "no message"
			s.found = append(s.found, foundMessage{text: text, pos: p.where(x.Pos()), site: site})
		}
	case *ast.BinaryExpr:
		fail("is glued together with " + x.Op.String() + ": write one template with %s for the machine names (problem.Newf, problem.Fieldf, fmt.Sprintf)")
	case *ast.CallExpr:
		switch {
		case isSel(x.Fun, "fmt", "Sprintf"), isSel(x.Fun, "fmt", "Errorf"), isSel(x.Fun, "errors", "New"):
			if len(x.Args) == 0 {
				fail("has no format")
				return
			}
			if _, ok := x.Args[0].(*ast.BasicLit); !ok {
				fail("has a format that is not a literal")
				return
			}
			s.resolve(p, stack, x.Args[0], site, depth+1)
		case isMethodCall(x, "Error"):
			s.resolve(p, stack, x.Fun.(*ast.SelectorExpr).X, site, depth+1)
		default:
			name := calleeName(x)
			decls := p.funcs[name]
			if len(decls) == 0 {
				fail("is the result of a call that cannot be followed")
				return
			}
			for _, d := range decls {
				s.returns(p, d, 0, site, depth+1)
			}
		}
	case *ast.Ident:
		s.resolveIdent(p, stack, x, site, depth, fail)
	default:
		fail("is not a literal, a template or a variable holding them")
	}
}

func isMethodCall(c *ast.CallExpr, name string) bool {
	s, ok := c.Fun.(*ast.SelectorExpr)
	return ok && s.Sel.Name == name && len(c.Args) == 0
}

func calleeName(c *ast.CallExpr) string {
	switch f := c.Fun.(type) {
	case *ast.Ident:
		return f.Name
	case *ast.SelectorExpr:
		return f.Sel.Name
	}
	return ""
}

// returns resolves result number i of every return statement of d.
func (s *scanner) returns(p *scanPkg, d *ast.FuncDecl, i int, site string, depth int) {
	if d.Body == nil {
		return
	}
	stack := []ast.Node{d}
	ast.Inspect(d.Body, func(n ast.Node) bool {
		switch r := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.ReturnStmt:
			if i < len(r.Results) {
				if id, ok := r.Results[i].(*ast.Ident); ok && id.Name == "nil" {
					return true
				}
				s.resolve(p, append(stack, d.Body), r.Results[i], site, depth)
			}
		}
		return true
	})
}

// resolveIdent finds what a name holds: a parameter's arguments, a local
// variable's assignments, or a package-level value.
func (s *scanner) resolveIdent(p *scanPkg, stack []ast.Node, id *ast.Ident, site string, depth int, fail func(string)) {
	if id.Name == "nil" {
		return
	}
	for i := len(stack) - 1; i >= 0; i-- {
		var typ *ast.FuncType
		var body *ast.BlockStmt
		switch f := stack[i].(type) {
		case *ast.FuncDecl:
			typ, body = f.Type, f.Body
		case *ast.FuncLit:
			typ, body = f.Type, f.Body
		default:
			continue
		}
		if idx := paramIndex(typ, id.Name); idx >= 0 {
			s.arguments(p, stack[:i+1], idx, site, depth, fail)
			return
		}
		if s.assignments(p, stack[:i+1], body, id.Name, id.Pos(), site, depth, fail) {
			return
		}
	}
	if v, ok := p.decls[id.Name]; ok {
		s.resolve(p, nil, v, site, depth+1)
		return
	}
	fail("names a value that cannot be followed")
}

func paramIndex(t *ast.FuncType, name string) int {
	i := 0
	for _, f := range t.Params.List {
		for _, n := range f.Names {
			if n.Name == name {
				return i
			}
			i++
		}
		if len(f.Names) == 0 {
			i++
		}
	}
	return -1
}

// arguments resolves argument idx at every call of the function that
// stack ends with: a declared function or method by name in the package,
// or a closure by the name it is assigned to, within its enclosing function.
func (s *scanner) arguments(p *scanPkg, stack []ast.Node, idx int, site string, depth int, fail func(string)) {
	fn := stack[len(stack)-1]
	var name string
	var within ast.Node // nil: the whole package
	switch f := fn.(type) {
	case *ast.FuncDecl:
		name = f.Name.Name
	case *ast.FuncLit:
		if len(stack) >= 2 {
			if as, ok := stack[len(stack)-2].(*ast.AssignStmt); ok && len(as.Lhs) == 1 {
				if lid, ok := as.Lhs[0].(*ast.Ident); ok {
					name = lid.Name
				}
			}
		}
		for i := len(stack) - 2; i >= 0; i-- {
			if _, ok := stack[i].(*ast.FuncDecl); ok {
				within = stack[i]
				break
			}
		}
	}
	if name == "" {
		fail("is a parameter of a function that is not named")
		return
	}
	var calls []callAt
	if within == nil {
		for _, c := range p.calls {
			if calleeName(c.call) == name {
				calls = append(calls, c)
			}
		}
	} else {
		calls = p.callsOf(name, within, 0)
	}
	n := 0
	for _, c := range calls {
		if c.call.Ellipsis.IsValid() || idx >= len(c.call.Args) {
			continue
		}
		n++
		s.resolve(p, c.stack, c.call.Args[idx], site, depth+1)
	}
	if n == 0 && within != nil {
		fail("is a parameter of a closure that is never called")
	}
}

// callsOf returns the calls of the function value name inside scope, and
// inside the package's functions it is passed to (bad handed to a helper
// that calls it under its own parameter name).
func (p *scanPkg) callsOf(name string, scope ast.Node, depth int) []callAt {
	var out []callAt
	for _, c := range p.calls {
		if !slices.Contains(c.stack, scope) {
			continue
		}
		if isIdent(c.call.Fun, name) {
			out = append(out, c)
			continue
		}
		for j, a := range c.call.Args {
			if !isIdent(a, name) || depth > 3 {
				continue
			}
			for _, d := range p.funcs[calleeName(c.call)] {
				if pn := paramName(d.Type, j); pn != "" {
					out = append(out, p.callsOf(pn, d, depth+1)...)
				}
			}
		}
	}
	return out
}

func paramName(t *ast.FuncType, idx int) string {
	i := 0
	for _, f := range t.Params.List {
		for _, n := range f.Names {
			if i == idx {
				return n.Name
			}
			i++
		}
		if len(f.Names) == 0 {
			i++
		}
	}
	return ""
}

// assignments resolves the values name can hold where it is used: the
// nearest definition before the use (:= or var) and every assignment
// between it and the use, as in
//
//	msg := "…is required"
//	if seen { msg = "…must be given" }
//
// It reports whether name is declared or assigned in body at all.
func (s *scanner) assignments(p *scanPkg, stack []ast.Node, body *ast.BlockStmt, name string, use token.Pos, site string, depth int, fail func(string)) bool {
	if body == nil {
		return false
	}
	type value struct {
		pos    token.Pos
		define bool
		follow func()
	}
	var values []value
	var inner []ast.Node
	ast.Inspect(body, func(n ast.Node) bool {
		if n == nil {
			inner = inner[:len(inner)-1]
			return true
		}
		inner = append(inner, n)
		here := append(slices.Clone(stack), inner...)
		switch a := n.(type) {
		case *ast.AssignStmt:
			for i, l := range a.Lhs {
				if !isIdent(l, name) {
					continue
				}
				v := value{pos: a.Pos(), define: a.Tok == token.DEFINE}
				switch {
				case len(a.Rhs) == len(a.Lhs):
					v.follow = func() { s.resolve(p, here, a.Rhs[i], site, depth+1) }
				default:
					v.follow = func() {
						c, ok := a.Rhs[0].(*ast.CallExpr)
						if !ok || len(p.funcs[calleeName(c)]) == 0 {
							fail("is a result of a call that cannot be followed")
							return
						}
						for _, d := range p.funcs[calleeName(c)] {
							s.returns(p, d, i, site, depth+1)
						}
					}
				}
				values = append(values, v)
			}
		case *ast.ValueSpec:
			for i, id := range a.Names {
				if id.Name != name {
					continue
				}
				v := value{pos: a.Pos(), define: true, follow: func() {}}
				if i < len(a.Values) {
					v.follow = func() { s.resolve(p, here, a.Values[i], site, depth+1) }
				}
				values = append(values, v)
			}
		}
		return true
	})
	if len(values) == 0 {
		return false
	}
	from := token.NoPos
	for _, v := range values {
		if v.define && v.pos < use {
			from = v.pos
		}
	}
	for _, v := range values {
		if from == token.NoPos || v.pos >= from && v.pos < use {
			v.follow()
		}
	}
	return true
}

// anyVerb finds every formatting verb, supported or not.
var anyVerb = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?[a-zA-Z%]`)

func TestCatalogComplete(t *testing.T) {
	s := scanMessages(t, "..")
	for _, pr := range s.problems {
		t.Error(pr)
	}
	// The scan must keep seeing the code: a change in how problems are
	// written could make it find nothing and pass.
	if len(s.found) < 300 {
		t.Fatalf("found only %d messages: the scan no longer recognises how problems are written", len(s.found))
	}
	for _, m := range s.found {
		if os.Getenv("OKNO_LIST_MESSAGES") != "" {
			fmt.Printf("%s\t%q\n", m.pos, m.text)
		}
		for _, v := range anyVerb.FindAllString(m.text, -1) {
			if v != "%s" && v != "%d" {
				t.Errorf("%s: message %q uses %s: a template takes only %%s (a machine name) and %%d (a number)", m.pos, m.text, v)
			}
		}
		if _, ok := messagesRU[m.text]; !ok {
			t.Errorf("%s: no Russian for %q (add it to messagesRU in internal/problem/catalog_ru.go)", m.pos, m.text)
		}
	}
	// A translation of a message no longer written is dead weight, and
	// hides that the message changed.
	used := map[string]bool{}
	for _, m := range s.found {
		used[m.text] = true
	}
	for _, own := range ownTexts {
		used[own] = true
	}
	for en := range messagesRU {
		if !used[en] {
			t.Errorf("messagesRU translates %q, which no code writes any more: remove it", en)
		}
	}
	for k := range passedOn {
		if !s.passed[k] {
			t.Errorf("passedOn lists %q, which the scan no longer meets: remove it", k)
		}
	}
}
