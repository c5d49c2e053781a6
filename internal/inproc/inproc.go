// Package inproc lets the gateway call a service's HTTP API inside one
// process (okno run) through the very same client code it uses across the
// network (okno serve): a RoundTripper that hands the request to the
// service's handler instead of a socket.
package inproc

import (
	"bytes"
	"io"
	"net/http"
)

// Transport serves requests with Handler.
type Transport struct{ Handler http.Handler }

// RoundTrip runs the handler and returns its buffered answer. Service
// answers are small JSON documents; streaming is not needed.
func (t Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	w := &writer{header: http.Header{}, status: 0}
	r := req.Clone(req.Context())
	r.RequestURI = req.URL.RequestURI()
	if r.Body == nil {
		r.Body = http.NoBody
	}
	if r.RemoteAddr == "" {
		r.RemoteAddr = "inproc"
	}
	t.Handler.ServeHTTP(w, r)
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return &http.Response{
		Status:        http.StatusText(w.status),
		StatusCode:    w.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        w.header,
		Body:          io.NopCloser(&w.body),
		ContentLength: int64(w.body.Len()),
		Request:       req,
	}, nil
}

type writer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *writer) Header() http.Header { return w.header }
func (w *writer) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *writer) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}
