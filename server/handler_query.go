package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// maxQueryBody bounds the body of POST /queries.
const maxQueryBody = 64 << 10

// handleQueryStart starts a simulated query, {"sql":"...","kind":"..."}
// (kind short, medium, long or failing; medium when empty), and answers
// 201 {"id":"q-1042"}. A bad body gets 400, a query past MaxQueries
// running 429. It has the same auth as the SSE endpoints.
func (s *Server) handleQueryStart(w http.ResponseWriter, r *http.Request) {
	if !s.authorizeRequest(w, r) {
		return
	}
	var body struct {
		SQL  string `json:"sql"`
		Kind string `json:"kind"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxQueryBody)).Decode(&body); err != nil {
		http.Error(w, fmt.Sprintf("failed to read the request body: %v", err), http.StatusBadRequest)
		return
	}
	if body.Kind == "" {
		body.Kind = queryMedium
	}
	st, err := s.queries.start(body.SQL, body.Kind)
	switch {
	case errors.Is(err, errBadQuery):
		http.Error(w, err.Error(), http.StatusBadRequest)
	case errors.Is(err, errTooManyQueries):
		w.Header().Set("Retry-After", "1")
		http.Error(w, err.Error(), http.StatusTooManyRequests)
	case errors.Is(err, errQueriesStopped):
		http.Error(w, "server shutting down", http.StatusServiceUnavailable)
	case err != nil:
		http.Error(w, err.Error(), http.StatusInternalServerError)
	default:
		writeJSON(w, http.StatusCreated, struct {
			ID string `json:"id"`
		}{st.ID})
	}
}

// handleQueryList answers GET /queries with the statuses of the latest
// queries, newest first. The demo page of the same path is served to a
// browser that navigates there: a request that accepts HTML goes to
// Options.Pages when there are pages. It has the same auth as the SSE
// endpoints.
func (s *Server) handleQueryList(w http.ResponseWriter, r *http.Request) {
	w.Header().Add("Vary", "Accept")
	if s.opts.Pages != nil && strings.Contains(r.Header.Get("Accept"), "text/html") {
		s.opts.Pages.ServeHTTP(w, r)
		return
	}
	if !s.authorizeRequest(w, r) {
		return
	}
	writeJSON(w, http.StatusOK, s.queries.list())
}
