package components

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/matih-ai/realtime/wasm/live"
)

// Column is a column of a LiveTable.
type Column struct {
	Field string
	Label string
	// Format renders the field; default prints it as it is, numbers with
	// thousands separators.
	Format func(v any) string
	// Numeric aligns the column to the right.
	Numeric bool
}

// ILiveTable renders a feed's items as a table.
type ILiveTable interface {
	app.UI
	// Feed names the LiveUpdates provider.
	Feed(name string) ILiveTable
	// Columns are the columns to show. Default is the key only.
	Columns(cols ...Column) ILiveTable
}

// LiveTable returns a table bound to a LiveUpdates provider. In the
// browser it draws its rows itself, a row per item by the feed's key, and
// writes only the cells whose text changed (see drawnRows): go-app would
// build every cell of every row again on each state and compare them
// with the last, four fifths of its live page's rendering at thousands of
// updates a second. On the server it renders as LiveTableView.
func LiveTable() ILiveTable { return &liveTable{} }

type liveTable struct {
	app.Compo
	IFeed    string
	IColumns []Column

	state live.State
	rows  drawnRows
}

func (t *liveTable) Feed(name string) ILiveTable       { t.IFeed = name; return t }
func (t *liveTable) Columns(cols ...Column) ILiveTable { t.IColumns = cols; return t }

func (t *liveTable) OnMount(ctx app.Context) {
	ObserveLive(ctx, t.IFeed, &t.state).OnChange(func() { t.drawLater(ctx) })
	t.drawLater(ctx)
}

// OnUpdate draws the rows again when the parent changed the columns'
// fields (go-app redraws the head itself).
func (t *liveTable) OnUpdate(ctx app.Context) {
	if t.rows.body != nil && !sameColumns(t.rows.cols, columnsOf(t.state, t.IColumns)) {
		t.drawLater(ctx)
	}
}

// drawLater draws the rows after go-app's update of the frame (a deferred
// function), so that they change in the frame that changes the table's
// status, and LiveUpdates counts their drawing in its render's cost.
func (t *liveTable) drawLater(ctx app.Context) {
	ctx.Defer(func(app.Context) { t.rows.draw(t.JSValue(), t.state, columnsOf(t.state, t.IColumns)) })
}

func (t *liveTable) OnDismount() { t.rows = drawnRows{} }

func (t *liveTable) Render() app.UI {
	if app.IsServer {
		return LiveTableView(t.state, t.IColumns)
	}
	// The body's rows are drawnRows': go-app's tree holds none, so its
	// updates leave them alone.
	return liveTableHead(t.state, columnsOf(t.state, t.IColumns), app.TBody())
}

// LiveTableView renders items as a table; it holds no state, so it can be
// tested without a connection.
func LiveTableView(s live.State, cols []Column) app.UI {
	cols = columnsOf(s, cols)
	// Attr rather than DataSet, which formats each value with fmt: every
	// cell, every frame of a busy feed.
	return liveTableHead(s, cols, app.TBody().Body(
		app.Range(s.Items).Slice(func(r int) app.UI {
			item := s.Items[r]
			return app.Tr().Attr("data-key", item.String(s.Key)).Body(
				app.Range(cols).Slice(func(i int) app.UI {
					c := cols[i]
					return app.Td().Class(alignClass(c)).Attr("data-field", c.Field).Text(formatCell(c, item[c.Field]))
				}),
			)
		}),
	))
}

// columnsOf returns cols, or the key's column when there are none.
func columnsOf(s live.State, cols []Column) []Column {
	if len(cols) == 0 {
		return []Column{{Field: s.Key, Label: s.Key}}
	}
	return cols
}

// liveTableHead is the table around body: its status, sequence and head.
func liveTableHead(s live.State, cols []Column, body app.HTMLTBody) app.UI {
	return app.Table().Class("rt-table", "rt-table--"+string(s.Status)).DataSet("seq", s.Seq).Body(
		app.THead().Body(app.Tr().Body(
			app.Range(cols).Slice(func(i int) app.UI {
				return app.Th().Class(alignClass(cols[i])).Text(cols[i].Label)
			}),
		)),
		body,
	)
}

// drawnRows are a LiveTable's rows in the page, as LiveTableView would
// render them: a tr with data-key per item, in the items' order, a td with
// data-field (and rt-num for a numeric column) per column.
type drawnRows struct {
	body  app.Value // the tbody they are in
	doc   app.Value // its document, which makes the rows
	cols  []Column  // what they were drawn for
	order []string  // their keys, in the page's order
	spare []string  // the order before, reused for the next
	byKey map[string]*drawnRow
	draws uint64 // draws so far: a row drawn in this one has it in drawnRow.draw

	// cells is a JavaScript array of every cell, a row's at the indexes
	// of its drawnRow.at (free: those of rows removed), for setTexts.
	cells    app.Value
	free     []int
	setTexts app.Value // realtime-socket.js's realtimeSetTexts, when there
	written  []pendingText
	packed   strings.Builder
}

type drawnRow struct {
	draw   uint64 // the draw that last had its item
	tr     app.Value
	cells  []app.Value
	at     []int    // the cells' indexes in drawnRows.cells
	values []any    // the cells' values, as last drawn
	texts  []string // the cells' text
}

// pendingText is a cell's new text, written at the end of a draw.
type pendingText struct {
	cell app.Value
	at   int
	text string
}

// draw brings the rows of table (a LiveTable's root element) to s.Items:
// a row made for a new key, removed for a key gone, moved when the order
// changed, and a cell written only when its text changed. A table drawn
// before in another tbody, or for other columns, is drawn again whole.
func (d *drawnRows) draw(table app.Value, s live.State, cols []Column) {
	if !table.Truthy() {
		return // not in the page (yet)
	}
	body := table.Get("tBodies").Index(0)
	if !body.Truthy() {
		return
	}
	if d.body == nil || !d.body.Equal(body) || !sameColumns(d.cols, cols) {
		body.Set("textContent", "")
		*d = drawnRows{body: body, doc: app.Window().Get("document"), cols: slices.Clone(cols), byKey: map[string]*drawnRow{},
			cells: app.Window().Get("Array").New(), setTexts: app.Window().Get("realtimeSetTexts")}
	}
	d.draws++
	order := d.spare[:0]
	for _, item := range s.Items {
		key := item.String(s.Key)
		row := d.byKey[key]
		if row != nil && row.draw == d.draws {
			continue // a key twice: its first item, as the page can show one row a key
		}
		if row == nil {
			row = d.newRow(key, cols)
			d.byKey[key] = row
		}
		row.draw = d.draws
		order = append(order, key)
		for i, c := range cols {
			v := item[c.Field]
			if sameValue(v, row.values[i]) {
				continue // formatting it is most of a quiet cell's cost
			}
			row.values[i] = v
			if text := formatCell(c, v); text != row.texts[i] {
				row.texts[i] = text
				d.written = append(d.written, pendingText{row.cells[i], row.at[i], text})
			}
		}
	}
	d.writeTexts()
	for _, key := range d.order {
		if row := d.byKey[key]; row.draw != d.draws {
			row.tr.Call("remove")
			for _, at := range row.at {
				d.cells.SetIndex(at, nil)
			}
			d.free = append(d.free, row.at...)
			delete(d.byKey, key)
		}
	}
	if !slices.Equal(order, d.order) {
		// New rows, or an order that changed: each row appended in order
		// (an append moves a row already there). A steady feed's keys
		// stay as they are, and this is not done.
		for _, key := range order {
			body.Call("appendChild", d.byKey[key].tr)
		}
	}
	d.order, d.spare = order, d.order
}

// writeTexts writes the texts of the cells that changed: in one call of
// realtimeSetTexts, given them packed as "index\x00text\x00..." (a call
// from Go costs a string made in JavaScript, with a finalizer, and most
// of a busy table's drawing was that, a call a cell), or a call a cell
// where realtime-socket.js is not loaded or a text holds a NUL.
func (d *drawnRows) writeTexts() {
	if len(d.written) == 0 {
		return
	}
	defer func() {
		clear(d.written)
		d.written = d.written[:0]
	}()
	if d.setTexts != nil && d.setTexts.Type() == app.TypeFunction {
		d.packed.Reset()
		ok := true
		for _, w := range d.written {
			if strings.IndexByte(w.text, 0) >= 0 {
				ok = false
				break
			}
			d.packed.WriteString(strconv.Itoa(w.at))
			d.packed.WriteByte(0)
			d.packed.WriteString(w.text)
			d.packed.WriteByte(0)
		}
		if ok {
			d.setTexts.Invoke(d.cells, d.packed.String())
			return
		}
	}
	for _, w := range d.written {
		w.cell.Set("textContent", w.text)
	}
}

// newRow makes the row of key, its cells empty, not yet in the page.
func (d *drawnRows) newRow(key string, cols []Column) *drawnRow {
	n := len(cols)
	row := &drawnRow{tr: d.doc.Call("createElement", "tr"), cells: make([]app.Value, n), at: make([]int, n), values: make([]any, n), texts: make([]string, n)}
	row.tr.Call("setAttribute", "data-key", key)
	for i, c := range cols {
		td := d.doc.Call("createElement", "td")
		if class := alignClass(c); class != "" {
			td.Set("className", class)
		}
		td.Call("setAttribute", "data-field", c.Field)
		row.tr.Call("appendChild", td)
		row.cells[i] = td
		row.values[i] = unset{}
		// Call converts td for JavaScript; SetIndex would not.
		if k := len(d.free); k > 0 {
			row.at[i], d.free = d.free[k-1], d.free[:k-1]
			d.cells.Call("splice", row.at[i], 1, td)
		} else {
			row.at[i] = d.cells.Call("push", td).Int() - 1
		}
	}
	return row
}

// unset is the value of a cell not yet drawn: equal to no item's.
type unset struct{}

// sameValue reports whether a and b are the same JSON value of a kind
// that compares cheaply; values of other kinds never are.
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	}
	return false
}

// sameColumns reports whether a and b draw the same cells (their Format
// functions cannot be compared, and are taken to be the same).
func sameColumns(a, b []Column) bool {
	return slices.EqualFunc(a, b, func(x, y Column) bool {
		return x.Field == y.Field && x.Numeric == y.Numeric
	})
}

func alignClass(c Column) string {
	if c.Numeric {
		return "rt-num"
	}
	return ""
}

func formatCell(c Column, v any) string {
	if c.Format != nil {
		return c.Format(v)
	}
	switch x := v.(type) {
	case nil:
		return ""
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return GroupDigits(int64(x))
		}
		return strconv.FormatFloat(x, 'f', 2, 64)
	default:
		return fmt.Sprint(x)
	}
}
