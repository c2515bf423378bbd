package localdev

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// MaxPayload is Lambda's limit on a synchronous invocation's event and on
// its response: 6 MB.
const MaxPayload = 6 * 1024 * 1024

// ErrPayloadTooLarge is returned by RuntimeAPI.Invoke for an event larger
// than MaxPayload, as Lambda's Invoke answers RequestEntityTooLarge.
var ErrPayloadTooLarge = errors.New("request payload exceeds 6291456 bytes")

// FunctionError is an invocation that failed inside the function: an
// error posted to /error or /init/error, a response over MaxPayload, a
// timeout, or a process that exited.
type FunctionError struct {
	// Type is Lambda's errorType, e.g. "Runtime.ExitError" or
	// "Function.ResponseSizeTooLarge".
	Type string
	// Message is Lambda's errorMessage.
	Message string
}

func (e *FunctionError) Error() string { return e.Type + ": " + e.Message }

// RuntimeAPI runs a Lambda bootstrap binary the way the Lambda service
// does: each container is one process with its own Runtime API endpoint
// (the documented 2018-06-01 paths invocation/next, invocation/{id}/response,
// invocation/{id}/error and init/error), handed one event at a time. Invoke
// uses an idle container, starts another when all are busy (up to
// Concurrency), and waits otherwise. Each cold start is logged with its init
// duration (process start to the first invocation/next). Set the fields
// before the first Invoke; Close stops the processes.
type RuntimeAPI struct {
	// Bootstrap is the path of the executable.
	Bootstrap string
	// Env is the processes' environment (AWS_LAMBDA_* variables are added).
	Env []string
	// Concurrency is the maximum number of containers; 0 means 1.
	Concurrency int
	// Timeout is the function timeout, after which the container is
	// stopped and the invocation fails; 0 means 28 s (template.yaml).
	Timeout time.Duration
	// Logger receives the cold start, REPORT and error lines; nil discards.
	Logger *slog.Logger
	// Output receives the processes' stdout and stderr, each line prefixed
	// with the container number; nil means os.Stderr.
	Output io.Writer

	mu    sync.Mutex
	count int
	// finishing counts containers that answered and will ask for the next
	// event: Invoke waits for them rather than start a container.
	finishing int
	nextID    int
	all       map[*container]bool
	closed    bool
	idle      chan *container
	freed     chan struct{}
	once      sync.Once
	reqSeq    atomic.Int64
	outMu     sync.Mutex
}

type container struct {
	id      int
	cmd     *exec.Cmd
	srv     *http.Server
	next    chan *invocation
	dead    chan struct{}
	started time.Time
	inited  atomic.Bool
	fin     bool // counted in finishing
	mu      sync.Mutex
	cur     *invocation
}

type invocation struct {
	id       string
	payload  []byte
	deadline time.Time
	start    time.Time
	done     chan result   // the result, read once by Invoke
	ended    chan struct{} // closed with the result
	once     sync.Once
}

type result struct {
	body []byte
	err  error
}

func (inv *invocation) finish(r result) bool {
	ok := false
	inv.once.Do(func() { inv.done <- r; close(inv.ended); ok = true })
	return ok
}

func (rt *RuntimeAPI) init() {
	rt.once.Do(func() {
		if rt.Concurrency <= 0 {
			rt.Concurrency = 1
		}
		if rt.Timeout <= 0 {
			rt.Timeout = 28 * time.Second
		}
		if rt.Logger == nil {
			rt.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		}
		if rt.Output == nil {
			rt.Output = os.Stderr
		}
		rt.idle = make(chan *container, rt.Concurrency)
		rt.freed = make(chan struct{}, rt.Concurrency)
		rt.all = map[*container]bool{}
	})
}

// Containers returns the number of running containers.
func (rt *RuntimeAPI) Containers() int {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.count
}

// Invoke runs one event (a JSON document) in a container and returns the
// function's response. It fails with ErrPayloadTooLarge, a *FunctionError,
// or ctx's error when ctx ends first (the container then finishes the
// event on its own, as Lambda does after API Gateway gives up). Its
// signature is that of Invoke, so it plugs into a Gateway.
func (rt *RuntimeAPI) Invoke(ctx context.Context, payload json.RawMessage) (any, error) {
	rt.init()
	if len(payload) > MaxPayload {
		return nil, ErrPayloadTooLarge
	}
	c, err := rt.acquire(ctx)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	inv := &invocation{
		id:      fmt.Sprintf("%08x-0000-4000-8000-%012x", now.Unix()&0xffffffff, rt.reqSeq.Add(1)),
		payload: payload, start: now, deadline: now.Add(rt.Timeout), done: make(chan result, 1), ended: make(chan struct{}),
	}
	c.next <- inv
	var r result
	select {
	case r = <-inv.done:
	case <-c.dead:
		// Exited before taking the event, or while running it.
		inv.finish(result{err: &FunctionError{Type: "Runtime.ExitError", Message: "RequestId: " + inv.id + " Error: Runtime exited"}})
		r = <-inv.done
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if r.err != nil {
		return nil, r.err
	}
	return json.RawMessage(r.body), nil
}

// acquire returns an idle container, a new one, or waits for one.
func (rt *RuntimeAPI) acquire(ctx context.Context) (*container, error) {
	for {
		select {
		case c := <-rt.idle:
			if c.alive() {
				return c, nil
			}
			continue
		default:
		}
		rt.mu.Lock()
		if rt.closed {
			rt.mu.Unlock()
			return nil, errors.New("runtime API closed")
		}
		if rt.count < rt.Concurrency && rt.finishing == 0 {
			rt.count++
			rt.nextID++
			id := rt.nextID
			rt.mu.Unlock()
			c, err := rt.start(id)
			if err != nil {
				rt.release(nil)
				return nil, err
			}
			return c, nil
		}
		rt.mu.Unlock()
		select {
		case c := <-rt.idle:
			if c.alive() {
				return c, nil
			}
		case <-rt.freed:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// release frees the slot of a container that ended (c nil: never started).
func (rt *RuntimeAPI) release(c *container) {
	rt.mu.Lock()
	rt.count--
	delete(rt.all, c)
	rt.mu.Unlock()
	select {
	case rt.freed <- struct{}{}:
	default:
	}
}

func (rt *RuntimeAPI) setFinishing(c *container, on bool) {
	rt.mu.Lock()
	if c.fin != on {
		c.fin = on
		if on {
			rt.finishing++
		} else {
			rt.finishing--
		}
	}
	rt.mu.Unlock()
	if !on {
		select {
		case rt.freed <- struct{}{}:
		default:
		}
	}
}

func (c *container) alive() bool {
	select {
	case <-c.dead:
		return false
	default:
		return true
	}
}

// start launches container id: its Runtime API endpoint, then the process.
func (rt *RuntimeAPI) start(id int) (*container, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	c := &container{id: id, next: make(chan *invocation, 1), dead: make(chan struct{})}
	c.srv = &http.Server{Handler: rt.routes(c), ReadHeaderTimeout: 10 * time.Second}

	cmd := exec.Command(rt.Bootstrap)
	cmd.Env = append(append([]string(nil), rt.Env...),
		"AWS_LAMBDA_RUNTIME_API="+ln.Addr().String(),
		"AWS_LAMBDA_FUNCTION_NAME=ApiFunction",
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/ApiFunction",
		fmt.Sprintf("AWS_LAMBDA_LOG_STREAM_NAME=%s/[$LATEST]localdev%04d", time.Now().UTC().Format("2006/01/02"), id),
		"_HANDLER=bootstrap",
	)
	out := &prefixWriter{rt: rt, prefix: fmt.Sprintf("[container %d] ", id)}
	cmd.Stdout, cmd.Stderr = out, out
	c.cmd = cmd
	c.started = time.Now()
	// Serving starts once the container is complete: its handlers read it.
	go func() { _ = c.srv.Serve(ln) }()
	if err := cmd.Start(); err != nil {
		_ = c.srv.Close()
		return nil, fmt.Errorf("start %s: %w", rt.Bootstrap, err)
	}
	rt.mu.Lock()
	rt.all[c] = true
	rt.mu.Unlock()
	rt.Logger.Info("INIT_START", "container", id, "pid", cmd.Process.Pid)
	go func() {
		err := cmd.Wait()
		out.flush()
		close(c.dead)
		_ = c.srv.Close()
		msg := "exit status 0"
		if err != nil {
			msg = err.Error()
		}
		c.mu.Lock()
		cur := c.cur
		c.mu.Unlock()
		if cur == nil {
			select {
			case cur = <-c.next:
			default:
			}
		}
		if cur != nil {
			cur.finish(result{err: &FunctionError{Type: "Runtime.ExitError", Message: "RequestId: " + cur.id + " Error: Runtime exited: " + msg}})
		}
		rt.setFinishing(c, false)
		rt.Logger.Info("container stopped", "container", id, "status", msg)
		rt.release(c)
	}()
	return c, nil
}

// routes is one container's Runtime API.
func (rt *RuntimeAPI) routes(c *container) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		if !c.inited.Swap(true) {
			// The first event was queued by the Invoke that started it.
			rt.Logger.Info("cold start", "container", c.id, "init_duration_ms", ms(time.Since(c.started)))
		} else {
			// Done with its event and asking for the next: available again.
			rt.idle <- c
			rt.setFinishing(c, false)
		}
		var inv *invocation
		select {
		case inv = <-c.next:
		case <-r.Context().Done():
			return
		case <-c.dead:
			return
		}
		c.mu.Lock()
		c.cur = inv
		c.mu.Unlock()
		timer := time.AfterFunc(time.Until(inv.deadline), func() {
			if inv.finish(result{err: &FunctionError{Type: "Sandbox.Timedout",
				Message: fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", inv.id, rt.Timeout.Seconds())}}) {
				rt.Logger.Warn("task timed out; stopping the container", "container", c.id, "request_id", inv.id)
				_ = c.cmd.Process.Kill()
			}
		})
		go func() { <-inv.ended; timer.Stop() }()
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:ApiFunction")
		h.Set("Lambda-Runtime-Trace-Id", "Root=1-"+strconv.FormatInt(inv.start.Unix(), 16)+"-000000000000000000000000;Sampled=0")
		h.Set("Content-Type", "application/json")
		_, _ = w.Write(inv.payload)
	})
	done := func(w http.ResponseWriter, r *http.Request, res result) {
		c.mu.Lock()
		inv := c.cur
		if inv == nil || inv.id != r.PathValue("id") {
			c.mu.Unlock()
			http.Error(w, `{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}`, http.StatusBadRequest)
			return
		}
		c.cur = nil
		c.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		// Finishing before the invoker gets its answer: an event sent
		// right after it waits for this container's next call rather than
		// starting another one.
		rt.setFinishing(c, true)
		if inv.finish(res) {
			report := []any{"container", c.id, "request_id", inv.id, "duration_ms", ms(time.Since(inv.start))}
			rt.Logger.Info("REPORT", report...)
		}
	}
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(io.LimitReader(r.Body, MaxPayload+1))
		if err != nil {
			return
		}
		if len(b) > MaxPayload {
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			done(httpDiscard{}, r, result{err: &FunctionError{Type: "Function.ResponseSizeTooLarge",
				Message: "Response payload size exceeded maximum allowed payload size (6291556 bytes)."}})
			return
		}
		done(w, r, result{body: b})
	})
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, MaxPayload))
		var e struct {
			Message string `json:"errorMessage"`
			Type    string `json:"errorType"`
		}
		_ = json.Unmarshal(b, &e)
		if e.Type == "" {
			e.Type = r.Header.Get("Lambda-Runtime-Function-Error-Type")
		}
		rt.Logger.Error("function error", "container", c.id, "request_id", r.PathValue("id"), "type", e.Type, "message", e.Message)
		done(w, r, result{err: &FunctionError{Type: e.Type, Message: e.Message}})
	})
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, MaxPayload))
		rt.Logger.Error("init error; stopping the container", "container", c.id, "error", string(b))
		w.WriteHeader(http.StatusAccepted)
		_ = c.cmd.Process.Kill()
	})
	return mux
}

// Close stops every container (SIGTERM, then SIGKILL after 2 s) and waits
// for them to exit.
func (rt *RuntimeAPI) Close() {
	rt.init()
	rt.mu.Lock()
	rt.closed = true
	var cs []*container
	for c := range rt.all {
		cs = append(cs, c)
	}
	rt.mu.Unlock()
	for _, c := range cs {
		_ = c.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, c := range cs {
		select {
		case <-c.dead:
		case <-time.After(2 * time.Second):
			_ = c.cmd.Process.Kill()
			<-c.dead
		}
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

type httpDiscard struct{}

func (httpDiscard) Header() http.Header         { return http.Header{} }
func (httpDiscard) Write(b []byte) (int, error) { return len(b), nil }
func (httpDiscard) WriteHeader(int)             {}

// prefixWriter copies whole lines to rt.Output with a prefix.
type prefixWriter struct {
	rt     *RuntimeAPI
	prefix string
	mu     sync.Mutex
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			break
		}
		p.emit(p.buf[:i+1])
		p.buf = p.buf[i+1:]
	}
	return len(b), nil
}

func (p *prefixWriter) flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.buf) > 0 {
		p.emit(append(p.buf, '\n'))
		p.buf = nil
	}
}

func (p *prefixWriter) emit(line []byte) {
	p.rt.outMu.Lock()
	defer p.rt.outMu.Unlock()
	w := bufio.NewWriter(p.rt.Output)
	_, _ = w.WriteString(p.prefix)
	_, _ = w.Write(line)
	_ = w.Flush()
}
