// Package metrics exposes Ersatz's metrics in the Prometheus text format
// (GET /metrics): requests by service, operation and error code with their
// latency, store transactions, the Transfer data plane, and Amplify Backend
// jobs and Transfer workflow executions by status.
package metrics

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ersatz-dev/ersatz/internal/gateway"
)

// Metrics is one registry of Ersatz's metrics (never the global one).
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	txTime   *prometheus.HistogramVec
	txRetry  *prometheus.CounterVec
	// tx are the series of store transactions, looked up once: a
	// transaction then costs no label hashing.
	tx map[string]txSeries
}

type txSeries struct {
	ok, failed prometheus.Observer
	retries    prometheus.Counter
}

// New returns the metrics of one Ersatz, with the Go runtime's and the
// process's own.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ersatz_requests_total",
			Help: "AWS API requests answered, by service, operation and error code (\"\" for a success).",
		}, []string{"service", "operation", "error_code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ersatz_request_duration_seconds",
			Help:    "Time from a request's arrival to its answer, by service and operation.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}, []string{"service", "operation"}),
		txTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ersatz_store_transaction_duration_seconds",
			Help:    "Time of a store transaction, all its attempts, by kind (view or update) and outcome (ok or error).",
			Buckets: []float64{.0001, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1, 5},
		}, []string{"kind", "outcome"}),
		txRetry: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ersatz_store_transaction_retries_total",
			Help: "Attempts of store transactions beyond their first (a conflict or a lost connection ran them again), by kind.",
		}, []string{"kind"}),
	}
	m.tx = map[string]txSeries{}
	for _, kind := range []string{"view", "update"} {
		m.tx[kind] = txSeries{ok: m.txTime.WithLabelValues(kind, "ok"), failed: m.txTime.WithLabelValues(kind, "error"),
			retries: m.txRetry.WithLabelValues(kind)} // the retries are exported at 0 before the first
	}
	m.reg.MustRegister(m.requests, m.latency, m.txTime, m.txRetry,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Register adds a collector (the data plane's, the state's).
func (m *Metrics) Register(c prometheus.Collector) error { return m.reg.Register(c) }

// Observe counts one request (a gateway.Observer).
func (m *Metrics) Observe(_ context.Context, o *gateway.Outcome) {
	m.requests.WithLabelValues(o.Service, o.Operation, o.ErrorCode).Inc()
	m.latency.WithLabelValues(o.Service, o.Operation).Observe(o.Latency.Seconds())
}

// observeTx counts one store transaction of attempts attempts.
func (m *Metrics) observeTx(kind string, took time.Duration, attempts int, err error) {
	s := m.tx[kind]
	if err != nil {
		s.failed.Observe(took.Seconds())
	} else {
		s.ok.Observe(took.Seconds())
	}
	if attempts > 1 {
		s.retries.Add(float64(attempts - 1))
	}
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{MaxRequestsInFlight: 4})
}
