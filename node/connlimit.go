package node

import (
	"net"
	"sync"
)

// limitListener caps the connections a listener holds at once, in total
// and per client address, so one client (or a crowd of slow ones) cannot
// take every file descriptor of the node. A connection over either cap is
// closed as soon as it is accepted; the others are unaffected.
func limitListener(ln net.Listener, total, perIP int) net.Listener {
	return &connLimiter{Listener: ln, total: total, perIP: perIP, byIP: map[string]int{}}
}

type connLimiter struct {
	net.Listener
	total, perIP int

	mu   sync.Mutex
	open int
	byIP map[string]int
}

// Accept returns the next connection within the caps, closing those over.
func (l *connLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := clientIP(c.RemoteAddr())
		l.mu.Lock()
		ok := l.open < l.total && l.byIP[ip] < l.perIP
		if ok {
			l.open++
			l.byIP[ip]++
		}
		l.mu.Unlock()
		if !ok {
			_ = c.Close()
			continue
		}
		return &limitedConn{Conn: c, release: func() { l.release(ip) }}, nil
	}
}

func (l *connLimiter) release(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if l.byIP[ip]--; l.byIP[ip] <= 0 {
		delete(l.byIP, ip)
	}
}

func clientIP(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// limitedConn gives its place back once, when closed.
type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
