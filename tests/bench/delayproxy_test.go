package bench

import (
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"
)

// delayProxy is a loopback stand-in for a network: it forwards TCP
// connections to an upstream server and holds every chunk of bytes for
// half the round trip time in each direction, so a request and its answer
// take at least rtt more than on loopback. Order within a connection is
// kept; throughput is not limited.
type delayProxy struct {
	ln       net.Listener
	upstream string
	oneWay   time.Duration
	wg       sync.WaitGroup
}

// startDelayProxy listens on a free loopback port and forwards to
// upstream (host:port) with rtt added; it stops with the benchmark.
func startDelayProxy(b *testing.B, upstream string, rtt time.Duration) *delayProxy {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	p := &delayProxy{ln: ln, upstream: upstream, oneWay: rtt / 2}
	p.wg.Add(1)
	go p.accept()
	b.Cleanup(func() {
		_ = ln.Close()
		p.wg.Wait()
	})
	return p
}

// Addr is the proxy's host:port.
func (p *delayProxy) Addr() string { return p.ln.Addr().String() }

func (p *delayProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.upstream)
		if err != nil {
			_ = c.Close()
			continue
		}
		// Each direction closes both ends when it ends, so the other
		// direction's blocked read returns too.
		go p.pipe(c, up)
		go p.pipe(up, c)
	}
}

// chunk is bytes read from one side and the time they may be written to
// the other.
type chunk struct {
	buf *[chunkSize]byte
	n   int
	due time.Time
}

// chunkSize is the most bytes one read forwards.
const chunkSize = 32 << 10

// chunkBufs recycles the read buffers, so the proxy allocates (almost)
// nothing per message and the servers' allocation counts stay theirs.
var chunkBufs = sync.Pool{New: func() any { return new([chunkSize]byte) }} //nolint:gochecknoglobals

// pipe copies src to dst, each chunk oneWay after it was read.
func (p *delayProxy) pipe(src, dst net.Conn) {
	queue := make(chan chunk, 4096)
	go func() {
		defer close(queue)
		for {
			buf := chunkBufs.Get().(*[chunkSize]byte)
			n, err := src.Read(buf[:])
			if n > 0 {
				queue <- chunk{buf, n, time.Now().Add(p.oneWay)}
			} else {
				chunkBufs.Put(buf)
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range queue {
		sleepUntil(c.due)
		_, err := dst.Write(c.buf[:c.n])
		chunkBufs.Put(c.buf)
		if err != nil && !errors.Is(err, io.EOF) {
			break
		}
	}
	_ = src.Close()
	_ = dst.Close()
	for c := range queue {
		// Drain so the reader ends.
		chunkBufs.Put(c.buf)
	}
}

// timerSlack is Linux's default timer slack: a nanosleep lasts about this
// much longer than asked.
const timerSlack = 50 * time.Microsecond

// sleepUntil blocks the calling thread until t. time.Sleep would wake up
// to a millisecond late (the runtime's idle poll has millisecond
// resolution), ten times the delays simulated here; nanosleep wakes about
// timerSlack late, which is taken off.
func sleepUntil(t time.Time) {
	d := time.Until(t) - timerSlack
	if d <= 0 {
		return
	}
	ts := syscall.NsecToTimespec(int64(d))
	_ = syscall.Nanosleep(&ts, nil)
}
