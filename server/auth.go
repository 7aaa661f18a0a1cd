package server

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"

	"github.com/matih-ai/realtime/wasm/protocol"
)

// Identity is who a connection authenticated as.
type Identity struct {
	User string
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
)

// StaticToken accepts exactly one shared token, as user "static". It suits
// a local or single-tenant deployment; an empty token accepts nobody.
func StaticToken(token string) Authenticator {
	want := []byte(token)
	return AuthenticatorFunc(func(_ context.Context, got string) (Identity, error) {
		if got == "" {
			return Identity{}, ErrMissingToken
		}
		if len(want) == 0 || subtle.ConstantTimeCompare(want, []byte(got)) != 1 {
			return Identity{}, ErrInvalidToken
		}
		return Identity{User: "static"}, nil
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

// authorizeRequest runs Auth on a plain HTTP request (SSE, the demo
// endpoints), with the token of an Authorization: Bearer header or of
// ?token=, and answers 401 when it fails.
func (s *Server) authorizeRequest(w http.ResponseWriter, r *http.Request) bool {
	if _, err := s.authenticate(r, requestToken(r, "")); err != nil {
		s.log.Info("request unauthorized", "remote", r.RemoteAddr, "path", r.URL.Path, "err", err)
		w.Header().Set("WWW-Authenticate", "Bearer")
		http.Error(w, unauthorizedReason(err), http.StatusUnauthorized)
		return false
	}
	return true
}
