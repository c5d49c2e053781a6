// Command okno is the whole of Okno in one binary: the all-in-one server
// (okno run), one service per process (okno serve), and the administrator's
// commands that work on the same data.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/okno-crm/okno/internal/app"
	"github.com/okno-crm/okno/internal/audit"
	"github.com/okno-crm/okno/internal/config"
	"github.com/okno-crm/okno/internal/contactcenter"
	"github.com/okno-crm/okno/internal/demo"
	"github.com/okno-crm/okno/internal/identity"
	"github.com/okno-crm/okno/internal/problem"
	"github.com/okno-crm/okno/internal/vault"
)

var version = "dev"

const usage = `okno — the single window of the clinic's contact center

Usage:
  okno run [--addr 127.0.0.1:8080] [--data ./data] [--demo] [--db URL] [--nats URL]
  okno serve gateway|identity|contactcenter|audit|mis [--addr ADDR] [--data DIR] [--db URL] [--nats URL]
  okno user create --login L --role operator|supervisor|admin|security_officer [--name N] --password-stdin [--data DIR] [--db URL]
  okno token create --login L [--name N] [--ttl 90d] [--data DIR] [--db URL]
  okno migrate [--data DIR] [--db URL]
  okno audit verify [--data DIR] [--db URL]   (exit 1 and the first broken record when the chain is damaged)
  okno keys rotate [--data DIR] [--db URL]   (online: a running okno keeps working)
  okno version

Settings come from OKNO_* environment variables (see docs/configuration.md); flags override them.
`

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "okno:", describe(err))
		os.Exit(1)
	}
}

// describe prints an error with the fields a problem names.
func describe(err error) string {
	var p *problem.Error
	if errors.As(err, &p) && len(p.Fields) > 0 {
		parts := make([]string, len(p.Fields))
		for i, f := range p.Fields {
			parts[i] = f.Field + " " + f.Message
		}
		return strings.Join(parts, "; ")
	}
	return err.Error()
}

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stdout, usage)
		return errors.New("no command given")
	}
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	setupLog(cfg)
	switch args[0] {
	case "run":
		return cmdServe(cfg, app.All, args[1:], stdout)
	case "serve":
		if len(args) < 2 {
			return errors.New("okno serve needs a service: gateway, identity, contactcenter, audit or mis")
		}
		switch args[1] {
		case app.Gateway, app.Identity, app.ContactCenter, app.Audit, app.MIS:
		default:
			return fmt.Errorf("unknown service %q: gateway, identity, contactcenter, audit or mis", args[1])
		}
		return cmdServe(cfg, args[1], args[2:], stdout)
	case "user":
		if len(args) < 2 || args[1] != "create" {
			return errors.New("usage: okno user create --login L --role R --password-stdin")
		}
		return cmdUserCreate(cfg, args[2:], stdin, stdout)
	case "token":
		if len(args) < 2 || args[1] != "create" {
			return errors.New("usage: okno token create --login L")
		}
		return cmdTokenCreate(cfg, args[2:], stdout)
	case "migrate":
		return cmdMigrate(cfg, args[1:], stdout)
	case "audit":
		if len(args) < 2 || args[1] != "verify" {
			return errors.New("usage: okno audit verify [--data DIR] [--db URL]")
		}
		return cmdAuditVerify(cfg, args[2:], stdout)
	case "keys":
		if len(args) < 2 || args[1] != "rotate" {
			return errors.New("usage: okno keys rotate [--data DIR] [--db URL]")
		}
		return cmdKeysRotate(cfg, args[2:], stdout)
	case "version":
		fmt.Fprintln(stdout, "okno", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stdout, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

func setupLog(cfg config.Config) {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	var h slog.Handler = slog.NewTextHandler(os.Stderr, opts)
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(os.Stderr, opts)
	}
	slog.SetDefault(slog.New(h))
}

// storageFlags adds --data and --db, the flags every command shares.
func storageFlags(fs *flag.FlagSet, cfg *config.Config) {
	fs.StringVar(&cfg.Data, "data", cfg.Data, "data directory (SQLite files, embedded NATS store)")
	fs.StringVar(&cfg.DB, "db", cfg.DB, "PostgreSQL URL instead of SQLite (OKNO_DB)")
}

func cmdServe(cfg config.Config, only string, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("okno", flag.ContinueOnError)
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address")
	storageFlags(fs, &cfg)
	fs.StringVar(&cfg.NATS, "nats", cfg.NATS, "external NATS URL instead of the embedded server (OKNO_NATS)")
	fs.BoolVar(&cfg.Demo, "demo", cfg.Demo, "seed demo users, a web form and requests; serve /demo/form/; simulate a PBX")
	fs.BoolVar(&cfg.DemoPBX, "demo-pbx", cfg.DemoPBX, "simulate a PBX placing calls (on by default with --demo) (OKNO_DEMO_PBX)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// --demo brings the simulated PBX along unless told otherwise (the
	// browser tests place their own calls).
	explicit := false
	fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "demo-pbx" })
	if _, set := os.LookupEnv("OKNO_DEMO_PBX"); cfg.Demo && !explicit && !set {
		cfg.DemoPBX = true
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var extra = demoRoutes(cfg)
	a, err := app.Open(ctx, cfg, only, extra)
	if err != nil {
		return err
	}
	if cfg.Demo && a.CC != nil {
		if err := demo.Seed(ctx, a.Identity, a.CC, stdout, time.Now()); err != nil {
			a.Close(context.Background())
			return fmt.Errorf("demo: %w", err)
		}
	}
	if err := a.Start(); err != nil {
		a.Close(context.Background())
		return err
	}
	storage := "SQLite under " + cfg.Data
	if cfg.DB != "" {
		storage = "PostgreSQL"
	}
	bus := "embedded NATS"
	if cfg.NATS != "" {
		bus = "external NATS"
	}
	slog.Info("okno started", "service", only, "addr", a.Addr(), "storage", storage, "bus", bus, "version", version)
	if only == app.All {
		fmt.Fprintf(stdout, "Okno is running at http://%s/\n", a.Addr())
		if cfg.Demo {
			fmt.Fprintf(stdout, "Demo website form: http://%s/demo/form/\n", a.Addr())
		}
	}
	if cfg.DemoPBX && a.CC != nil && only == app.All {
		pbx, err := demo.SetupPBX(ctx, a.Identity, a.CC, "http://"+a.Addr())
		if err != nil {
			slog.Warn("demo PBX not started", "err", err)
		} else {
			fmt.Fprintf(stdout, "Demo PBX: a simulated exchange places calls every few seconds (extensions 101 operator, 102 supervisor)\n")
			go pbx.Run(ctx)
		}
	}
	<-ctx.Done()
	slog.Info("okno stopping")
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return a.Close(sctx)
}

func demoRoutes(cfg config.Config) map[string]http.Handler {
	if !cfg.Demo {
		return nil
	}
	return demo.Routes()
}

func cmdUserCreate(cfg config.Config, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("okno user create", flag.ContinueOnError)
	storageFlags(fs, &cfg)
	login := fs.String("login", "", "login")
	name := fs.String("name", "", "display name")
	role := fs.String("role", "operator", "role: operator, supervisor, admin, security_officer")
	fromStdin := fs.Bool("password-stdin", false, "read the password from standard input")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !*fromStdin {
		return errors.New("give the password on standard input with --password-stdin (never on the command line)")
	}
	pw, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	pw = strings.TrimRight(pw, "\r\n")
	ctx := context.Background()
	svc, closeDB, err := openIdentity(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeDB()
	u, err := svc.CreateUser(ctx, identity.NewUser{Login: *login, Name: *name, Role: *role, Password: pw})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "user %s created with role %s\n", u.Login, u.Role)
	return nil
}

func cmdTokenCreate(cfg config.Config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("okno token create", flag.ContinueOnError)
	storageFlags(fs, &cfg)
	login := fs.String("login", "", "the user the token acts as")
	name := fs.String("name", "api", "what the token is for")
	ttlText := fs.String("ttl", "90d", "lifetime: e.g. 90d, 12h")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ttl, err := parseTTL(*ttlText)
	if err != nil {
		return err
	}
	ctx := context.Background()
	svc, closeDB, err := openIdentity(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeDB()
	tok, exp, err := svc.CreateToken(ctx, *login, *name, ttl)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "token for %s, valid until %s; send it as 'Authorization: Bearer <token>'. It is shown only now:\n%s\n",
		strings.ToLower(*login), exp.Format(time.RFC3339), tok)
	return nil
}

func parseTTL(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("bad --ttl %q", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("bad --ttl %q", s)
	}
	return d, nil
}

func openIdentity(ctx context.Context, cfg config.Config) (*identity.Service, func(), error) {
	db, err := app.OpenDB(ctx, cfg, app.Identity)
	if err != nil {
		return nil, nil, err
	}
	master, err := app.MasterKey(cfg)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	svc, err := identity.New(ctx, db, master, identity.Config{
		Argon2: identity.Argon2{MemoryKiB: cfg.Argon2MemoryKiB, Time: cfg.Argon2Time, Threads: 2},
	})
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return svc, func() { db.Close() }, nil
}

func cmdMigrate(cfg config.Config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("okno migrate", flag.ContinueOnError)
	storageFlags(fs, &cfg)
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	svc, closeDB, err := openIdentity(ctx, cfg)
	if err != nil {
		return err
	}
	closeDB()
	_ = svc
	db, err := app.OpenDB(ctx, cfg, app.ContactCenter)
	if err != nil {
		return err
	}
	defer db.Close()
	master, err := app.MasterKey(cfg)
	if err != nil {
		return err
	}
	if _, err := contactcenter.New(ctx, db, master, nil); err != nil {
		return err
	}
	adb, err := app.OpenDB(ctx, cfg, app.Audit)
	if err != nil {
		return err
	}
	defer adb.Close()
	if _, err := audit.New(ctx, adb, nil); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "migrations applied: identity, contactcenter, audit")
	return nil
}

func cmdKeysRotate(cfg config.Config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("okno keys rotate", flag.ContinueOnError)
	storageFlags(fs, &cfg)
	settle := fs.Duration("settle", vault.RefreshEvery+2*time.Second, "wait for running servers to pick up the new key")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	master, err := app.MasterKey(cfg)
	if err != nil {
		return err
	}
	db, err := app.OpenDB(ctx, cfg, app.ContactCenter)
	if err != nil {
		return err
	}
	defer db.Close()
	cc, err := contactcenter.New(ctx, db, master, nil)
	if err != nil {
		return err
	}
	res, err := cc.RotateKeys(ctx, *settle)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "contactcenter: data key v%d active; %d contacts and %d requests re-sealed; older keys deleted\n", res.Version, res.Contacts, res.Requests)
	return nil
}

func cmdAuditVerify(cfg config.Config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("okno audit verify", flag.ContinueOnError)
	storageFlags(fs, &cfg)
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	db, err := app.OpenDB(ctx, cfg, app.Audit)
	if err != nil {
		return err
	}
	defer db.Close()
	svc, err := audit.New(ctx, db, nil)
	if err != nil {
		return err
	}
	checked, broken, err := svc.Verify(ctx)
	if err != nil {
		return err
	}
	if broken != 0 {
		return fmt.Errorf("audit chain broken at record %d (%d records checked before it)", broken, checked)
	}
	fmt.Fprintf(stdout, "audit chain intact: %d records\n", checked)
	return nil
}
