package server

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/switchboardhq/switchboard/core"
)

// metrics are the server's Prometheus collectors, in a registry of its own
// (no global state).
type metrics struct {
	reg      *prometheus.Registry
	handler  http.Handler
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	inFlight prometheus.Gauge

	// cache maps route+status to resolved collectors, so the hot path is
	// one read-locked map lookup instead of hashing label values.
	mu    sync.RWMutex
	cache map[routeStatus]observers
}

type routeStatus struct {
	route  string
	status int
}

type observers struct {
	count   prometheus.Counter
	latency prometheus.Observer
}

func newMetrics(store core.Store) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "switchboard", Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests served, by API route and status code.",
		}, []string{"route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "switchboard", Subsystem: "http", Name: "request_duration_seconds",
			Help:    "Time to serve HTTP requests, by API route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "switchboard", Subsystem: "http", Name: "requests_in_flight",
			Help: "HTTP requests being served now.",
		}),
		cache: map[routeStatus]observers{},
	}
	m.reg.MustRegister(m.requests, m.latency, m.inFlight,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if ss, ok := store.(core.StoreStats); ok {
		m.reg.MustRegister(poolCollector{ss})
	}
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
	return m
}

// observe counts one finished request.
func (m *metrics) observe(route string, status int, d time.Duration) {
	key := routeStatus{route, status}
	m.mu.RLock()
	o, ok := m.cache[key]
	m.mu.RUnlock()
	if !ok {
		o = observers{
			count:   m.requests.WithLabelValues(route, strconv.Itoa(status)),
			latency: m.latency.WithLabelValues(route),
		}
		m.mu.Lock()
		if len(m.cache) < 10000 { // routes are a closed set; guard anyway
			m.cache[key] = o
		}
		m.mu.Unlock()
	}
	o.count.Inc()
	o.latency.Observe(d.Seconds())
}

// poolCollector reports a store's connection pool at scrape time.
type poolCollector struct{ s core.StoreStats }

var (
	poolOpen     = prometheus.NewDesc("switchboard_db_pool_open_connections", "Open database connections.", nil, nil)
	poolInUse    = prometheus.NewDesc("switchboard_db_pool_in_use_connections", "Database connections in use.", nil, nil)
	poolIdle     = prometheus.NewDesc("switchboard_db_pool_idle_connections", "Idle database connections.", nil, nil)
	poolWaits    = prometheus.NewDesc("switchboard_db_pool_wait_count_total", "Waits for a database connection.", nil, nil)
	poolWaitSecs = prometheus.NewDesc("switchboard_db_pool_wait_duration_seconds_total", "Time spent waiting for a database connection.", nil, nil)
)

func (c poolCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- poolOpen
	ch <- poolInUse
	ch <- poolIdle
	ch <- poolWaits
	ch <- poolWaitSecs
}

func (c poolCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.s.PoolStats()
	ch <- prometheus.MustNewConstMetric(poolOpen, prometheus.GaugeValue, float64(st.Open))
	ch <- prometheus.MustNewConstMetric(poolInUse, prometheus.GaugeValue, float64(st.InUse))
	ch <- prometheus.MustNewConstMetric(poolIdle, prometheus.GaugeValue, float64(st.Idle))
	ch <- prometheus.MustNewConstMetric(poolWaits, prometheus.CounterValue, float64(st.WaitCount))
	ch <- prometheus.MustNewConstMetric(poolWaitSecs, prometheus.CounterValue, st.WaitDurationSecs)
}
