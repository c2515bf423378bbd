package bench

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// delayProxy is a loopback stand-in for a network: it forwards TCP
// connections to an upstream server and holds every chunk of bytes for
// half the round trip time in each direction, so a request and its answer
// take at least rtt more than on loopback. Order within a connection is
// kept; throughput is not limited. It runs in a process of its own
// (startDelayProxy), so its CPU is counted apart from the servers under
// test and its goroutines do not take their Ps.
type delayProxy struct {
	ln       net.Listener
	upstream string
	oneWay   time.Duration
}

// delayProxyEnv makes the test binary a delay proxy when set, to
// "<upstream host:port> <round trip>" (e.g. "127.0.0.1:5432 300µs").
const delayProxyEnv = "PGREST_BENCH_DELAY_PROXY"

// startDelayProxy starts this test binary again as a delay proxy to
// upstream (host:port) adding rtt, and returns its host:port; it stops
// with the benchmark.
func startDelayProxy(b *testing.B, upstream string, rtt time.Duration) string {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), delayProxyEnv+"="+upstream+" "+rtt.String())
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = stdin.Close() // the proxy exits when its stdin ends
		_ = cmd.Wait()
	})
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatalf("delay proxy to %s: %v", upstream, err)
	}
	return strings.TrimSpace(addr)
}

// runDelayProxy is the proxy process (spec as in delayProxyEnv): it
// prints the address it listens on, then forwards until its stdin ends.
func runDelayProxy(spec string) int {
	upstream, rttText, _ := strings.Cut(spec, " ")
	rtt, err := time.ParseDuration(rttText)
	if err != nil {
		fmt.Fprintln(os.Stderr, "delay proxy:", err)
		return 2
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "delay proxy:", err)
		return 1
	}
	p := &delayProxy{ln: ln, upstream: upstream, oneWay: rtt / 2}
	go p.accept()
	fmt.Println(ln.Addr().String())
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

func (p *delayProxy) accept() {
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
// nothing per message.
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
	clock, err := newDelayClock()
	if err != nil {
		// The connection is closed rather than forwarded without delay.
		fmt.Fprintln(os.Stderr, "delay proxy:", err)
	}
	for c := range queue {
		if err == nil {
			err = clock.sleepUntil(c.due)
		}
		if err == nil {
			_, err = dst.Write(c.buf[:c.n])
		}
		chunkBufs.Put(c.buf)
		if err != nil && !errors.Is(err, io.EOF) {
			break
		}
	}
	_ = src.Close()
	_ = dst.Close()
	if clock != nil {
		_ = clock.Close()
	}
	for c := range queue {
		// Drain so the reader ends.
		chunkBufs.Put(c.buf)
	}
}

// delayClock waits for a point in time the way a socket waits for data:
// a timerfd read through Go's network poller. The goroutine parks without
// holding a thread or a P, and the kernel's high-resolution timer wakes
// the poller on time. time.Sleep would wake up to a millisecond late (the
// runtime's idle poll has millisecond resolution), ten times the delays
// simulated here; a nanosleep holds its P until the runtime takes it
// back, which starved the servers under test when the proxies shared
// their process.
type delayClock struct {
	fd   int
	file *os.File
	// expirations receives the timer's count; here, so a read allocates
	// nothing.
	expirations [8]byte
}

func newDelayClock() (*delayClock, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	// A non-blocking descriptor is registered with the network poller.
	return &delayClock{fd: fd, file: os.NewFile(uintptr(fd), "timerfd")}, nil
}

// sleepUntil returns at t (time.Now's monotonic reading), at once when t
// has passed.
func (c *delayClock) sleepUntil(t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return nil
	}
	var now unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &now); err != nil {
		return err
	}
	due := unix.NsecToTimespec(now.Nano() + int64(d))
	if err := unix.TimerfdSettime(c.fd, unix.TFD_TIMER_ABSTIME, &unix.ItimerSpec{Value: due}, nil); err != nil {
		return err
	}
	_, err := io.ReadFull(c.file, c.expirations[:])
	return err
}

// Close releases the timer.
func (c *delayClock) Close() error { return c.file.Close() }
