package gateway

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	requests  *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	wsClients prometheus.Gauge
	pushed    prometheus.Counter
	dropped   prometheus.Counter
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "okno_http_requests_total", Help: "HTTP requests by route pattern and status."}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "okno_http_request_duration_seconds", Help: "HTTP request duration by route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}}, []string{"route"}),
		wsClients: prometheus.NewGauge(prometheus.GaugeOpts{Name: "okno_ws_clients", Help: "Connected WebSocket clients."}),
		pushed:    prometheus.NewCounter(prometheus.CounterOpts{Name: "okno_ws_events_pushed_total", Help: "Messages pushed to WebSocket clients (per client; a message carries one or more events)."}),
		dropped:   prometheus.NewCounter(prometheus.CounterOpts{Name: "okno_ws_slow_clients_dropped_total", Help: "WebSocket clients closed because they could not keep up."}),
	}
	reg.MustRegister(m.requests, m.duration, m.wsClients, m.pushed, m.dropped)
	return m
}
