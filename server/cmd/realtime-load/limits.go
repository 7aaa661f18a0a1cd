package main

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// errNotLoopback refuses a target off this machine: the tool opens
// thousands of connections as fast as it can, which is an attack on
// anything but a server of one's own.
var errNotLoopback = errors.New("only loopback targets (127.0.0.0/8 or ::1) are allowed")

// checkLoopback accepts "ip:port" whose ip is a loopback address. Names,
// localhost included, are refused: what they resolve to is up to the
// resolver.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("bad address %q: %w", addr, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("%w: %q is not an IP address", errNotLoopback, host)
	}
	if !ip.Unmap().IsLoopback() {
		return fmt.Errorf("%w: %s is not", errNotLoopback, ip)
	}
	return nil
}

// raiseFileLimit makes room for need open files. Each connection is a file
// descriptor at both ends; a default soft limit of 1024 would stop a run
// of 2,000 at its thousandth dial with "too many open files". Go raises
// the soft limit to the hard one when a program starts (Go 1.19), so this
// mostly checks, and says what to do when the hard limit is too low: only
// root can raise that one.
func raiseFileLimit(need uint64) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("failed to read the open-file limit: %w", err)
	}
	if lim.Cur >= need {
		return lim.Cur, nil
	}
	lim.Cur = min(need, lim.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("failed to raise the open-file limit to %d: %w", lim.Cur, err)
	}
	if lim.Cur < need {
		return lim.Cur, fmt.Errorf("the open-file limit is %d (hard limit %d), this run needs %d: lower -n or raise the hard limit (ulimit -Hn, as root)", lim.Cur, lim.Max, need)
	}
	return lim.Cur, nil
}
