package server

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/matih-ai/realtime/wasm/clock"
)

// Names of the demo feeds.
const (
	feedMetrics = "metrics"
	feedOrders  = "orders"
)

// errDemoStopped refuses a burst once the server is shutting down.
var errDemoStopped = errors.New("server: demo feeds stopped")

// demoSource makes the changes of one demo feed. Its methods run under
// the driver's lock, one at a time.
type demoSource interface {
	// fill returns the feed's first items.
	fill(rng *rand.Rand, now time.Time) []any
	// tick makes the changes of one interval.
	tick(f *Feed, rng *rand.Rand, now time.Time) error
	// change makes one change of a burst.
	change(f *Feed, rng *rand.Rand, now time.Time) (uint64, error)
}

// liveDemo drives a demo feed: it fills it and starts changing it every
// interval, on the server's clock, when the feed is first asked for, and
// stops at close. Between ticks it owns no goroutine: each tick arms a
// timer for the next one.
type liveDemo struct {
	feed     *Feed
	src      demoSource
	clock    clock.Clock
	interval time.Duration

	mu      sync.Mutex
	rng     *rand.Rand
	started bool
	stopped bool
	timer   clock.Timer
}

// addDemo creates a feed driven by src.
func (r *feeds) addDemo(name, key string, keep int, interval time.Duration, src demoSource) {
	f, err := r.add(name, key, keep)
	if err != nil {
		panic(fmt.Sprintf("server: demo feed %q: %v", name, err)) // a bug in the demo table
	}
	r.demos[name] = &liveDemo{
		feed:     f,
		src:      src,
		clock:    r.clock,
		interval: interval,
		rng:      rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
	}
}

// start fills the feed and arms the first tick, once.
func (d *liveDemo) start() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.started || d.stopped {
		return
	}
	d.started = true
	if _, err := d.feed.Replace(d.src.fill(d.rng, d.clock.Now())...); err != nil {
		d.feed.log.Error("failed to fill a demo feed", "feed", d.feed.name, "err", err)
	}
	d.timer = d.clock.AfterFunc(d.interval, d.tick)
}

func (d *liveDemo) tick() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped {
		return
	}
	if err := d.src.tick(d.feed, d.rng, d.clock.Now()); err != nil {
		d.feed.log.Error("failed to change a demo feed", "feed", d.feed.name, "err", err)
	}
	d.timer = d.clock.AfterFunc(d.interval, d.tick)
}

// change makes one change of a burst and returns the feed's seq after it.
func (d *liveDemo) change() (uint64, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped {
		return 0, errDemoStopped
	}
	return d.src.change(d.feed, d.rng, d.clock.Now())
}

// stop ends the ticks; a tick already waiting for the lock does nothing.
func (d *liveDemo) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stopped = true
	if d.timer != nil {
		d.timer.Stop()
	}
}

// addDemos creates the demo feeds, changed every interval once asked for.
func (r *feeds) addDemos(interval time.Duration) {
	r.addDemo(feedMetrics, "id", metricsKeep, interval, &metricsDemo{interval: interval})
	r.addDemo(feedOrders, "id", 0, interval, &ordersDemo{})
}

// metricsDemo is a series of points, one per tick, the newest metricsKeep.
type metricsDemo struct {
	interval time.Duration
	n        uint64  // number of the last point
	v        float64 // the last value, a random walk
}

const metricsKeep = 120

type metricPoint struct {
	ID string  `json:"id"`
	T  int64   `json:"t"`
	V  float64 `json:"v"`
}

func (m *metricsDemo) point(rng *rand.Rand, at time.Time) metricPoint {
	m.n++
	m.v = min(max(m.v+rng.NormFloat64()*3, 0), 100)
	return metricPoint{ID: strconv.FormatUint(m.n, 10), T: at.UnixMilli(), V: math.Round(m.v*100) / 100}
}

// fill makes the points of the last metricsKeep ticks, so a chart starts
// full.
func (m *metricsDemo) fill(rng *rand.Rand, now time.Time) []any {
	m.v = 50
	items := make([]any, metricsKeep)
	for i := range items {
		items[i] = m.point(rng, now.Add(time.Duration(i-metricsKeep+1)*m.interval))
	}
	return items
}

func (m *metricsDemo) tick(f *Feed, rng *rand.Rand, now time.Time) error {
	_, err := m.change(f, rng, now)
	return err
}

func (m *metricsDemo) change(f *Feed, rng *rand.Rand, now time.Time) (uint64, error) {
	return f.Append(m.point(rng, now))
}

// ordersDemo is a table of about ordersRows rows, one of which changes at
// every tick; now and then one goes and a new one comes.
type ordersDemo struct {
	rows  []orderRow // as in the feed
	next  int        // number of the next new row
	ticks int
}

const (
	ordersRows = 12
	// ordersTurnover is how many ticks pass between a row going and a new
	// one coming.
	ordersTurnover = 16
)

type orderRow struct {
	ID        string  `json:"id"`
	Region    string  `json:"region"`
	Plan      string  `json:"plan"`
	Orders    int     `json:"orders"`
	Revenue   float64 `json:"revenue"`
	UpdatedAt int64   `json:"updatedAt"`
}

var (
	orderRegions = []string{"EMEA", "AMER", "APAC", "LATAM"}
	orderPlans   = []string{"Free", "Pro", "Team", "Enterprise"}
	// orderPrices is the price of an order by plan.
	orderPrices = map[string]float64{"Free": 0, "Pro": 29, "Team": 99, "Enterprise": 499}
)

func (o *ordersDemo) newRow(rng *rand.Rand, now time.Time) orderRow {
	o.next++
	r := orderRow{
		ID:        "r" + strconv.Itoa(o.next),
		Region:    orderRegions[rng.IntN(len(orderRegions))],
		Plan:      orderPlans[rng.IntN(len(orderPlans))],
		Orders:    rng.IntN(200),
		UpdatedAt: now.UnixMilli(),
	}
	r.Revenue = math.Round(float64(r.Orders)*orderPrices[r.Plan]*(0.8+0.4*rng.Float64())*100) / 100
	return r
}

func (o *ordersDemo) fill(rng *rand.Rand, now time.Time) []any {
	o.rows = o.rows[:0]
	items := make([]any, ordersRows)
	for i := range items {
		r := o.newRow(rng, now)
		o.rows = append(o.rows, r)
		items[i] = r
	}
	return items
}

func (o *ordersDemo) tick(f *Feed, rng *rand.Rand, now time.Time) error {
	o.ticks++
	if o.ticks%ordersTurnover == 0 && len(o.rows) > 0 {
		i := rng.IntN(len(o.rows))
		f.Remove(o.rows[i].ID)
		o.rows = append(o.rows[:i], o.rows[i+1:]...)
		r := o.newRow(rng, now)
		o.rows = append(o.rows, r)
		_, err := f.Upsert(r)
		return err
	}
	_, err := o.change(f, rng, now)
	return err
}

// change sells a few more orders on a random row.
func (o *ordersDemo) change(f *Feed, rng *rand.Rand, now time.Time) (uint64, error) {
	if len(o.rows) == 0 {
		return f.Upsert(o.newRow(rng, now))
	}
	r := &o.rows[rng.IntN(len(o.rows))]
	n := 1 + rng.IntN(5)
	r.Orders += n
	r.Revenue = math.Round((r.Revenue+float64(n)*orderPrices[r.Plan])*100) / 100
	r.UpdatedAt = now.UnixMilli()
	return f.Upsert(*r)
}
