package protocol

// Close codes used by the server; see the package doc.
const (
	CloseNormal          = 1000
	CloseGoingAway       = 1001
	CloseMessageTooBig   = 1009
	CloseInternalError   = 1011
	CloseServiceRestart  = 1012
	CloseTryAgainLater   = 1013
	CloseHeartbeatFailed = 4000 // the client closes a connection that stopped answering
	CloseFlood           = 4008 // policy violation: the client went on sending far past its rate limit
	CloseUnauthorized    = 4401 // a missing, wrong or expired token
	CloseForbidden       = 4403
)

// IsFinal reports whether a client must not reconnect after the server
// closed with code. A client that can get a fresh token may still
// reconnect once after 4401 (see the package doc).
func IsFinal(code int) bool {
	return code == CloseUnauthorized || code == CloseForbidden
}

// BearerPrefix starts the subprotocol that carries an auth token.
const BearerPrefix = "bearer."
