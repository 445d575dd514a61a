package metrics

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ersatz-dev/ersatz/internal/dataplane"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// stateScrapeTimeout bounds the read of the state at one scrape.
const stateScrapeTimeout = 5 * time.Second

// Counted is a kind of resource whose records StateCollector counts by
// their "status" member.
type Counted struct {
	Service string // the store scope's service
	Kind    string // the record's kind
}

var (
	jobsDesc = prometheus.NewDesc("ersatz_amplifybackend_jobs",
		"Amplify Backend jobs in the state, by status.", []string{"status"}, nil)
	executionsDesc = prometheus.NewDesc("ersatz_transfer_workflow_executions",
		"Transfer workflow executions in the state, by status.", []string{"status"}, nil)
)

// stateCollector counts Amplify Backend jobs and Transfer executions by
// status, reading the state at each scrape.
type stateCollector struct {
	st  store.Store
	log *slog.Logger
}

// StateCollector reads jobs and executions from st at each scrape.
func StateCollector(st store.Store, log *slog.Logger) prometheus.Collector {
	if log == nil {
		log = slog.Default()
	}
	return &stateCollector{st: st, log: log}
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- jobsDesc
	ch <- executionsDesc
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), stateScrapeTimeout)
	defer cancel()
	jobs, execs, err := countStatuses(ctx, c.st)
	if err != nil {
		c.log.Warn("metrics: counting jobs and executions", "error", err)
		return
	}
	for status, n := range jobs {
		ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, float64(n), status)
	}
	for status, n := range execs {
		ch <- prometheus.MustNewConstMetric(executionsDesc, prometheus.GaugeValue, float64(n), status)
	}
}

// countStatuses counts Amplify Backend jobs and Transfer workflow
// executions by status.
func countStatuses(ctx context.Context, st store.Store) (jobs, execs map[string]int, err error) {
	err = st.View(ctx, func(tx store.Tx) error {
		jobs, execs = map[string]int{}, map[string]int{}
		b, ok := tx.(store.BulkTx)
		if !ok {
			return store.ErrNotBulk
		}
		return b.All(func(it store.Item) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			var into map[string]int
			switch {
			case it.Key.Service == "amplifybackend" && it.Key.Kind == "job":
				into = jobs
			case it.Key.Service == "transfer" && it.Key.Kind == "execution":
				into = execs
			default:
				return nil
			}
			var rec struct {
				Status string `json:"status"`
			}
			if err := json.Unmarshal(it.Data, &rec); err != nil || rec.Status == "" {
				rec.Status = "UNKNOWN"
			}
			into[rec.Status]++
			return nil
		})
	})
	if errors.Is(err, context.DeadlineExceeded) {
		err = errors.New("the state took longer than 5 s to read")
	}
	return jobs, execs, err
}

var (
	sessionsDesc = prometheus.NewDesc("ersatz_transfer_sessions",
		"Open SFTP, FTPS and FTP sessions of Transfer servers, by protocol.", []string{"protocol"}, nil)
	loginsDesc = prometheus.NewDesc("ersatz_transfer_logins_total",
		"Login attempts to Transfer servers, by protocol and outcome (success or refused).", []string{"protocol", "outcome"}, nil)
	bytesDesc = prometheus.NewDesc("ersatz_transfer_bytes_total",
		"Bytes moved through the files of Transfer sessions, by protocol and direction (in: uploaded, out: downloaded).", []string{"protocol", "direction"}, nil)
)

// dataPlaneCollector reads the data plane's counts at each scrape.
type dataPlaneCollector struct{ dp *dataplane.Manager }

// DataPlaneCollector reports the sessions and logins of dp.
func DataPlaneCollector(dp *dataplane.Manager) prometheus.Collector { return dataPlaneCollector{dp} }

func (c dataPlaneCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- sessionsDesc
	ch <- loginsDesc
	ch <- bytesDesc
}

func (c dataPlaneCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.dp.Stats()
	for _, proto := range []string{dataplane.ProtoSFTP, dataplane.ProtoFTPS, dataplane.ProtoFTP} {
		ch <- prometheus.MustNewConstMetric(sessionsDesc, prometheus.GaugeValue, float64(st.Sessions[proto]), proto)
	}
	for k, n := range st.Logins {
		ch <- prometheus.MustNewConstMetric(loginsDesc, prometheus.CounterValue, float64(n), k.Protocol, k.Outcome)
	}
	for _, proto := range []string{dataplane.ProtoSFTP, dataplane.ProtoFTPS, dataplane.ProtoFTP} {
		b := st.Bytes[proto]
		ch <- prometheus.MustNewConstMetric(bytesDesc, prometheus.CounterValue, float64(b.In), proto, "in")
		ch <- prometheus.MustNewConstMetric(bytesDesc, prometheus.CounterValue, float64(b.Out), proto, "out")
	}
}
