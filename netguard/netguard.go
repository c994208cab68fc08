// Package netguard keeps feedmill from being used as a proxy into the
// operator's network: connections made for addresses that feed content
// names (article pages for full text, discovery) are allowed only to public
// IP addresses. The check runs on the address actually dialled, after DNS
// resolution, for every connection, so redirects and DNS rebinding cannot
// get around it.
package netguard

import (
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// nonPublic lists the prefixes that are not the public internet, beyond
// what netip.Addr's predicates cover.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
}

// Public reports whether addr is a public unicast address.
func Public(addr netip.Addr) bool {
	addr = addr.Unmap()
	if !addr.IsValid() || addr.IsLoopback() || addr.IsPrivate() || addr.IsLinkLocalUnicast() ||
		addr.IsLinkLocalMulticast() || addr.IsInterfaceLocalMulticast() || addr.IsMulticast() ||
		addr.IsUnspecified() || !addr.IsGlobalUnicast() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(addr) {
			return false
		}
	}
	return true
}

// NotPublicError is the error of a connection refused by Control.
type NotPublicError struct{ Addr string }

func (e *NotPublicError) Error() string {
	return fmt.Sprintf("refused to connect to %s: not a public address (allow_private: true allows it)", e.Addr)
}

// Control is a net.Dialer Control function that refuses connections to
// addresses that are not public.
func Control(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return &NotPublicError{Addr: address}
	}
	if !Public(addr) {
		return &NotPublicError{Addr: address}
	}
	return nil
}
