package faults

import (
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// Proxy forwards TCP connections to a backend and can break them: an outage closes every open connection and
// refuses new ones until it ends, as a dropped network or a restarting server would. It counts what each outage
// broke, so that a trial can prove its outage hit the run.
type Proxy struct {
	ln      net.Listener
	backend string

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	outage *Outage // the outage in force, nil when none
	done   chan struct{}
}

// Outage is one cut of a Proxy's connections.
type Outage struct {
	p     *Proxy
	Start time.Time
	// End is when the proxy accepts connections again; zero while an open-ended outage lasts.
	End time.Time
	// Cut is the number of open connections the outage closed when it began; Refused the connection attempts it
	// turned away while it lasted.
	Cut, Refused int
}

// NewProxy listens on a free loopback port and forwards to backend (host:port).
func NewProxy(backend string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("proxy listen: %w", err)
	}
	p := &Proxy{ln: ln, backend: backend, conns: map[net.Conn]struct{}{}, done: make(chan struct{})}
	go p.serve()
	return p, nil
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Cut begins an outage now: it closes every connection and refuses new ones for d, or, with d = 0, until Restore.
func (p *Proxy) Cut(d time.Duration) *Outage {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	o := &Outage{p: p, Start: now, Cut: len(p.conns) / 2} // each forwarded connection is a pair
	if d > 0 {
		o.End = now.Add(d)
	}
	p.outage = o
	for c := range p.conns {
		c.Close()
	}
	return o
}

// Restore ends the outage in force.
func (p *Proxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if o := p.outage; o != nil && o.End.IsZero() {
		o.End = time.Now()
	}
	p.outage = nil
}

// Report returns a copy of the outage's figures so far.
func (o *Outage) Report() Outage {
	o.p.mu.Lock()
	defer o.p.mu.Unlock()
	return Outage{Start: o.Start, End: o.End, Cut: o.Cut, Refused: o.Refused}
}

// Close stops the proxy and its connections.
func (p *Proxy) Close() {
	p.ln.Close()
	<-p.done
	p.Cut(time.Nanosecond)
}

// refusing reports whether an outage is in force now, and counts the refused attempt.
func (p *Proxy) refusing() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	o := p.outage
	if o == nil {
		return false
	}
	if !o.End.IsZero() && !time.Now().Before(o.End) {
		p.outage = nil
		return false
	}
	o.Refused++
	return true
}

func (p *Proxy) serve() {
	defer close(p.done)
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if p.refusing() {
			c.Close()
			continue
		}
		go p.pipe(c)
	}
}

func (p *Proxy) pipe(c net.Conn) {
	b, err := net.DialTimeout("tcp", p.backend, 5*time.Second)
	if err != nil {
		c.Close()
		return
	}
	if !p.track(c, b) {
		return
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _, _ = io.Copy(b, c); b.Close() }()
	go func() { defer wg.Done(); _, _ = io.Copy(c, b); c.Close() }()
	wg.Wait()
	p.untrack(c, b)
}

// track registers a forwarded pair, unless an outage began while it was being dialled: then it closes both.
func (p *Proxy) track(c, b net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if o := p.outage; o != nil && (o.End.IsZero() || time.Now().Before(o.End)) {
		o.Refused++
		c.Close()
		b.Close()
		return false
	}
	p.conns[c] = struct{}{}
	p.conns[b] = struct{}{}
	return true
}

func (p *Proxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		delete(p.conns, c)
	}
}
