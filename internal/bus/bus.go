// Package bus connects Okno's services to NATS JetStream: an embedded server
// storing under the data directory (the all-in-one default) or an external
// cluster. The database stays the system of record; the bus is a replayable
// transport fed by each service's outbox.
package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Stream is the JetStream stream that carries every service's events.
const Stream = "OKNO"

// Services are the publishing services: each owns the subject root of its name.
var Services = []string{"identity", "contactcenter", "chat", "mis", "audit"}

// Subjects the stream holds: one root per publishing service.
var Subjects = func() []string {
	out := make([]string, len(Services))
	for i, s := range Services {
		out[i] = s + ".>"
	}
	return out
}()

// Bus is a connection to JetStream, with the embedded server when Okno runs one.
type Bus struct {
	NC  *nats.Conn
	JS  jetstream.JetStream
	srv *server.Server
}

// Options choose between the embedded server and an external one.
type Options struct {
	URL     string // external NATS; empty means embedded
	DataDir string // embedded store: <DataDir>/nats
	Name    string // client connection name
}

// Open starts or connects to NATS and makes sure the stream exists.
func Open(ctx context.Context, o Options) (*Bus, error) {
	b := &Bus{}
	var err error
	name := o.Name
	if name == "" {
		name = "okno"
	}
	opts := []nats.Option{nats.Name(name), nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				slog.Warn("bus disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(*nats.Conn) { slog.Info("bus reconnected") }),
	}
	if o.URL == "" {
		b.srv, err = server.NewServer(&server.Options{
			ServerName: "okno-embedded",
			JetStream:  true,
			StoreDir:   filepath.Join(o.DataDir, "nats"),
			DontListen: true,
			// The server writes each message to its file before it
			// acknowledges it (a crash of Okno loses nothing) and fsyncs
			// every second; the default, every two minutes, could lose
			// acknowledged messages when the machine itself crashes. The
			// outbox holds every event for events.DefaultHold (ten of these
			// intervals) after its acknowledgement and republishes what it
			// holds after a restart, so nothing accepted is lost even then.
			// An fsync per message (sync_interval: always) capped the whole
			// system near 2,000 events a second on one disk.
			SyncInterval: time.Second,
			NoSigs:       true,
			NoLog:        true,
		})
		if err != nil {
			return nil, fmt.Errorf("bus: embedded server: %w", err)
		}
		b.srv.Start()
		if !b.srv.ReadyForConnections(10 * time.Second) {
			b.srv.Shutdown()
			return nil, errors.New("bus: embedded server did not start")
		}
		opts = append(opts, nats.InProcessServer(b.srv))
		b.NC, err = nats.Connect("", opts...)
	} else {
		b.NC, err = nats.Connect(o.URL, opts...)
	}
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("bus: connect: %w", err)
	}
	b.JS, err = jetstream.New(b.NC)
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("bus: jetstream: %w", err)
	}
	if err := b.ensureStream(ctx); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

func (b *Bus) ensureStream(ctx context.Context) error {
	want := jetstream.StreamConfig{
		Name:       Stream,
		Subjects:   Subjects,
		Storage:    jetstream.FileStorage,
		Retention:  jetstream.LimitsPolicy,
		MaxAge:     30 * 24 * time.Hour,
		Duplicates: 2 * time.Minute,
	}
	// Update only a missing or different stream: every process of okno
	// serve opens the bus, and a stream update while another process
	// creates its consumers races inside nats-server (go test -race).
	if s, err := b.JS.Stream(ctx, Stream); err == nil {
		have := s.CachedInfo().Config
		if slices.Equal(have.Subjects, want.Subjects) && have.Storage == want.Storage && have.Retention == want.Retention &&
			have.MaxAge == want.MaxAge && have.Duplicates == want.Duplicates {
			return nil
		}
	}
	if _, err := b.JS.CreateOrUpdateStream(ctx, want); err != nil {
		return fmt.Errorf("bus: stream %s: %w", Stream, err)
	}
	return nil
}

// Embedded reports whether this Bus runs its own server.
func (b *Bus) Embedded() bool { return b.srv != nil }

// Ready checks the connection and the stream.
func (b *Bus) Ready(ctx context.Context) error {
	if b.NC == nil || !b.NC.IsConnected() {
		return errors.New("bus: not connected")
	}
	if _, err := b.JS.Stream(ctx, Stream); err != nil {
		return fmt.Errorf("bus: stream: %w", err)
	}
	return nil
}

// Close drains the connection and stops the embedded server.
func (b *Bus) Close() {
	if b.NC != nil {
		_ = b.NC.Drain()
		for i := 0; i < 50 && !b.NC.IsClosed(); i++ {
			time.Sleep(20 * time.Millisecond)
		}
		b.NC.Close()
	}
	if b.srv != nil {
		b.srv.Shutdown()
		b.srv.WaitForShutdown()
	}
}
