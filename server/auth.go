package server

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/matih-ai/realtime/wasm/protocol"
)

// Identity is who a connection authenticated as.
type Identity struct {
	// User names the person the token belongs to. Empty means the token
	// names nobody (no Auth, or a shared token such as [StaticToken]): the
	// per-user rules (see [DefaultAuthorizer] and presence) do not apply.
	User string

	// Expires is when the token stops being valid; zero never. A WebSocket
	// is closed with 4401 ("token expired") at that instant, on
	// [Options.Clock], and an SSE stream ends, so that its client comes
	// back with a fresh token. A token already expired is refused like a
	// wrong one.
	Expires time.Time
}

// Authenticator checks the token a WebSocket client or SSE request offers.
// It is called once per connection or request, before the upgrade or the
// stream, with "" when the client offered no token. An error closes a
// WebSocket with 4401 and answers an SSE request with 401.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (Identity, error)
}

// AuthenticatorFunc adapts a function to [Authenticator].
type AuthenticatorFunc func(ctx context.Context, token string) (Identity, error)

// Authenticate calls f.
func (f AuthenticatorFunc) Authenticate(ctx context.Context, token string) (Identity, error) {
	return f(ctx, token)
}

// Errors of the bundled authenticators.
var (
	ErrMissingToken = errors.New("server: missing token")
	ErrInvalidToken = errors.New("server: invalid token")
	// ErrTokenExpired refuses an identity whose Expires has passed.
	ErrTokenExpired = errors.New("server: token expired")
)

// StaticToken accepts exactly one shared token. It suits a local or
// single-tenant deployment; an empty token accepts nobody. The token is
// everyone's, so its identity names no user: the per-user rules do not
// apply to it, and the demo pages, whose people are made up in the
// browser, work behind it.
func StaticToken(token string) Authenticator {
	want := []byte(token)
	return AuthenticatorFunc(func(_ context.Context, got string) (Identity, error) {
		if got == "" {
			return Identity{}, ErrMissingToken
		}
		if len(want) == 0 || subtle.ConstantTimeCompare(want, []byte(got)) != 1 {
			return Identity{}, ErrInvalidToken
		}
		return Identity{}, nil
	})
}

// bearerSubprotocol returns the first offered subprotocol that carries a
// token, exactly as offered: the handshake must echo it or Chrome fails it.
func bearerSubprotocol(r *http.Request) string {
	for _, v := range r.Header.Values("Sec-WebSocket-Protocol") {
		for p := range strings.SplitSeq(v, ",") {
			p = strings.TrimSpace(p)
			if len(p) > len(protocol.BearerPrefix) && strings.HasPrefix(p, protocol.BearerPrefix) {
				return p
			}
		}
	}
	return ""
}

// requestToken finds the token of a handshake: the bearer subprotocol
// (browsers), the "token" query parameter (browsers), or an Authorization
// header (native clients, which can set headers).
func requestToken(r *http.Request, subprotocol string) string {
	if subprotocol != "" {
		return strings.TrimPrefix(subprotocol, protocol.BearerPrefix)
	}
	if t := r.URL.Query().Get("token"); t != "" {
		return t
	}
	const scheme = "Bearer "
	if a := r.Header.Get("Authorization"); len(a) > len(scheme) && strings.EqualFold(a[:len(scheme)], scheme) {
		return a[len(scheme):]
	}
	return ""
}

// authorizeRequest runs Auth on a plain HTTP request (the demo
// endpoints), with the token of an Authorization: Bearer header or of
// ?token=, and answers 401 when it fails.
func (s *Server) authorizeRequest(w http.ResponseWriter, r *http.Request) bool {
	_, ok := s.requestIdentity(w, r)
	return ok
}

// requestIdentity is authorizeRequest for a handler that needs the
// identity too, as an SSE stream does to end when its token expires.
func (s *Server) requestIdentity(w http.ResponseWriter, r *http.Request) (Identity, bool) {
	id, err := s.authenticate(r, requestToken(r, ""))
	if err != nil {
		s.log.Info("request unauthorized", "remote", r.RemoteAddr, "path", r.URL.Path, "err", err)
		w.Header().Set("WWW-Authenticate", "Bearer")
		http.Error(w, unauthorizedReason(err), http.StatusUnauthorized)
		return Identity{}, false
	}
	return id, true
}

// authenticate runs the configured Authenticator; without one everyone is
// accepted. An identity whose token has expired is refused.
func (s *Server) authenticate(r *http.Request, token string) (Identity, error) {
	if s.opts.Auth == nil {
		return Identity{}, nil
	}
	id, err := s.opts.Auth.Authenticate(r.Context(), token)
	if err != nil {
		return Identity{}, err
	}
	if !id.Expires.IsZero() && !s.opts.Clock.Now().Before(id.Expires) {
		return Identity{}, ErrTokenExpired
	}
	return id, nil
}

// unauthorizedReason is the close reason of a refused token; it names no
// detail beyond missing, expired or invalid, and fits the 123 bytes of a
// reason.
func unauthorizedReason(err error) string {
	switch {
	case errors.Is(err, ErrMissingToken):
		return "unauthorized: missing token"
	case errors.Is(err, ErrTokenExpired):
		return reasonTokenExpired
	default:
		return "unauthorized: invalid token"
	}
}

// reasonTokenExpired is the close reason, and the 401 body, of an expired
// token: a client that can get a fresh token reconnects with it.
const reasonTokenExpired = "token expired"
