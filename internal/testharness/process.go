package testharness

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

const (
	// readyTimeout bounds how long a server may take to accept clients.
	readyTimeout = 30 * time.Second
	// pollInterval is the pause between readiness probes.
	pollInterval = 10 * time.Millisecond
	// stopGrace is how long a server may take to exit after its stop
	// signal before it is killed.
	stopGrace = 10 * time.Second
	// startAttempts bounds retries when a free port is taken by someone
	// else between picking it and the server binding it.
	startAttempts = 5
	// logTailBytes is how much of a server log an error message quotes.
	logTailBytes = 2048
)

// errPortInUse reports that a server exited because its port was taken.
var errPortInUse = errors.New("port already in use")

// proc is a started server process. One goroutine waits for it, so its exit
// is observed (and the process reaped) exactly once.
type proc struct {
	cmd     *exec.Cmd
	logPath string
	logFrom int64         // size of the log before this process started
	done    chan struct{} // closed once the process has exited and been reaped
}

// startProc starts cmd with stdout and stderr appended to logPath. The
// process gets deathSig when the test binary dies, so it cannot outlive it.
func startProc(cmd *exec.Cmd, logPath string, deathSig syscall.Signal) (*proc, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	// The child keeps its own copy of the descriptor.
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = f, f
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = deathSig
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	p := &proc{cmd: cmd, logPath: logPath, logFrom: st.Size(), done: make(chan struct{})}
	go func() {
		_ = cmd.Wait() // the exit status after our own signal carries no news
		close(p.done)
	}()
	return p, nil
}

// pid returns the process id.
func (p *proc) pid() int { return p.cmd.Process.Pid }

// exited reports whether the process has exited.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends sig and waits for the process to exit, killing it if it takes
// longer than stopGrace. It is a no-op for a process that already exited.
func (p *proc) stop(sig syscall.Signal) error {
	if p.exited() {
		return nil
	}
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signal pid %d: %w", p.pid(), err)
	}
	t := time.NewTimer(stopGrace)
	defer t.Stop()
	select {
	case <-p.done:
		return nil
	case <-t.C:
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("pid %d did not exit within %s of %v and was killed", p.pid(), stopGrace, sig)
	}
}

// startFailure explains why the process exited or was not ready, quoting
// the end of what it logged. It wraps errPortInUse when the log says the
// port was taken.
func (p *proc) startFailure(what string) error {
	tail := logTail(p.logPath, p.logFrom)
	if strings.Contains(tail, "Address already in use") {
		return fmt.Errorf("%s (%w); log %s ends with:\n%s", what, errPortInUse, p.logPath, tail)
	}
	return fmt.Errorf("%s; log %s ends with:\n%s", what, p.logPath, tail)
}

// waitReady calls probe every pollInterval until it succeeds, the process
// exits or readyTimeout passes. On failure it stops the process.
func (p *proc) waitReady(name string, stopSig syscall.Signal, probe func() error) error {
	deadline := time.Now().Add(readyTimeout)
	for {
		if p.exited() {
			return p.startFailure(name + " exited during startup")
		}
		err := probe()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			_ = p.stop(stopSig)
			return p.startFailure(fmt.Sprintf("%s not ready after %s (last error: %v)", name, readyTimeout, err))
		}
		time.Sleep(pollInterval)
	}
}

// logTail returns at most the last logTailBytes of the file at path,
// starting no earlier than offset from, or a note saying why it could not be
// read.
func logTail(path string, from int64) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(log unreadable: %v)", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil {
		_, _ = f.Seek(max(from, st.Size()-logTailBytes), io.SeekStart)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return fmt.Sprintf("(log unreadable: %v)", err)
	}
	return string(b)
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago. The
// caller must cope with losing it to another process before binding it.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
