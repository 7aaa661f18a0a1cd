package demo

import (
	"crypto/rand"
	"encoding/json"
	"math/big"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// identity is who a demo page is: each tab of the presence demo is a
// different person; the notifications demo is one user per browser.
type identity struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Color string `json:"color"`
}

var (
	demoNames  = []string{"Ada Lovelace", "Grace Hopper", "Edgar Codd", "Barbara Liskov", "Ken Thompson", "Frances Allen", "Jim Gray", "Radia Perlman", "Donald Knuth", "Margaret Hamilton"}
	demoColors = []string{"#3557d6", "#1f9d55", "#c2410c", "#7c3aed", "#0e7490", "#be185d", "#4d7c0f", "#b45309"}
)

func pick(xs []string) string {
	n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(xs))))
	return xs[n.Int64()]
}

// loadIdentity reads the identity kept under key in the browser storage
// named ("sessionStorage": one per tab, "localStorage": one per browser),
// making and keeping a new one the first time.
func loadIdentity(storage, key string) identity {
	var id identity
	if !app.IsClient {
		return id
	}
	store := app.Window().Get(storage)
	if v := store.Call("getItem", key); v.Truthy() {
		if json.Unmarshal([]byte(v.String()), &id) == nil && id.ID != "" {
			return id
		}
	}
	id = identity{ID: "u-" + rand.Text()[:8], Name: pick(demoNames), Color: pick(demoColors)}
	b, _ := json.Marshal(id)
	store.Call("setItem", key, string(b))
	return id
}
