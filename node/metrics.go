package node

import (
	"errors"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/quantum1net/q1/node/runtime"
)

// metrics are the node's own Prometheus metrics, beside CometBFT's and the
// Go runtime's in the default registry: what the gateway served, and what
// the running replicas hold and have used.
type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	bytes    *prometheus.CounterVec
}

func newMetrics(replicas replicaStats) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "q1", Subsystem: "gateway", Name: "requests_total",
			Help: "Requests the gateway answered, by service, status code and whether this node ran them.",
		}, []string{"service", "code", "served"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "q1", Subsystem: "gateway", Name: "request_duration_seconds",
			Help:    "Time from a request's arrival to its answer, by service and whether this node ran it.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"service", "served"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "q1", Subsystem: "gateway", Name: "bytes_total",
			Help: "Request and response body bytes through the gateway, by service and direction.",
		}, []string{"service", "direction"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.latency, m.bytes, &replicaCollector{replicas}} {
		register(c)
	}
	return m
}

// register adds c to the default registry; a second node in one process
// (tests) keeps the first one's collectors.
func register(c prometheus.Collector) {
	var are prometheus.AlreadyRegisteredError
	if err := prometheus.Register(c); err != nil && !errors.As(err, &are) {
		panic(err)
	}
}

// Observe implements gateway.Meter.
func (m *metrics) Observe(service string, local bool, status int, d time.Duration, reqBytes, respBytes int64) {
	served := "forwarded"
	if local {
		served = "local"
	}
	m.requests.WithLabelValues(service, strconv.Itoa(status), served).Inc()
	m.latency.WithLabelValues(service, served).Observe(d.Seconds())
	m.bytes.WithLabelValues(service, "in").Add(float64(reqBytes))
	m.bytes.WithLabelValues(service, "out").Add(float64(respBytes))
}

// replicaStats is what the metrics read of the replica manager.
type replicaStats interface {
	Stats() map[string]runtime.Stats
}

// replicaCollector reports the running replicas' runtime statistics.
type replicaCollector struct{ r replicaStats }

var (
	descInstances = prometheus.NewDesc("q1_service_instances", "Warm wasm instances of the service on this node.", []string{"service"}, nil)
	descCPU       = prometheus.NewDesc("q1_service_cpu_seconds_total", "Thread CPU time spent running the service's code on this node (since its current version loaded).", []string{"service"}, nil)
	descRequests  = prometheus.NewDesc("q1_service_requests_total", "Requests the service's replica on this node ran (since its current version loaded).", []string{"service"}, nil)
	descErrors    = prometheus.NewDesc("q1_service_errors_total", "Failed requests of the service on this node, by kind (timeout, trap, memory, …).", []string{"service", "kind"}, nil)
	descReplaced  = prometheus.NewDesc("q1_service_instances_replaced_total", "Instances discarded after a trap, timeout or memory failure.", []string{"service"}, nil)
	descKV        = prometheus.NewDesc("q1_service_kv_bytes", "Size of the service's kv store on this node.", []string{"service"}, nil)
)

func (c *replicaCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descInstances, descCPU, descRequests, descErrors, descReplaced, descKV} {
		ch <- d
	}
}

func (c *replicaCollector) Collect(ch chan<- prometheus.Metric) {
	for name, st := range c.r.Stats() {
		ch <- prometheus.MustNewConstMetric(descInstances, prometheus.GaugeValue, float64(st.Instances), name)
		ch <- prometheus.MustNewConstMetric(descCPU, prometheus.CounterValue, st.CPU.Seconds(), name)
		ch <- prometheus.MustNewConstMetric(descRequests, prometheus.CounterValue, float64(st.Requests), name)
		ch <- prometheus.MustNewConstMetric(descReplaced, prometheus.CounterValue, float64(st.InstancesReplaced), name)
		ch <- prometheus.MustNewConstMetric(descKV, prometheus.GaugeValue, float64(st.KVBytes), name)
		for kind, n := range st.Errors {
			ch <- prometheus.MustNewConstMetric(descErrors, prometheus.CounterValue, float64(n), name, string(kind))
		}
	}
}
