package bench

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of /proc CPU times (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

// cpuSample is the CPU time used so far by this process (the servers under
// test and the load generator), by the PostgreSQL and Redis servers it
// started, by its delay proxies (the simulated network), and by the whole
// machine.
type cpuSample struct {
	goProc, postgres, redis, proxy time.Duration
	// busy and idle are the machine's totals over all cores.
	busy, idle time.Duration
	ok         bool
}

// own is the CPU time of this process and its servers, in µs; the
// proxies stand for the network and are left out.
func (a cpuSample) own() float64 {
	return float64((a.goProc + a.postgres + a.redis).Microseconds())
}

func (a cpuSample) sub(b cpuSample) cpuSample {
	return cpuSample{goProc: a.goProc - b.goProc, postgres: a.postgres - b.postgres, redis: a.redis - b.redis,
		proxy: a.proxy - b.proxy, busy: a.busy - b.busy, idle: a.idle - b.idle, ok: a.ok && b.ok}
}

// add is a + b.
func (a cpuSample) add(b cpuSample) cpuSample {
	return cpuSample{goProc: a.goProc + b.goProc, postgres: a.postgres + b.postgres, redis: a.redis + b.redis,
		proxy: a.proxy + b.proxy, busy: a.busy + b.busy, idle: a.idle + b.idle, ok: a.ok && b.ok}
}

// procStat returns the command name, parent pid and user+system CPU time
// of a process from /proc/<pid>/stat.
func procStat(pid string) (comm string, ppid int, cpu time.Duration, ok bool) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return "", 0, 0, false
	}
	s := string(b)
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return "", 0, 0, false
	}
	f := strings.Fields(s[end+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return "", 0, 0, false
	}
	ppid, _ = strconv.Atoi(f[1])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return s[open+1 : end], ppid, time.Duration(ut+st) * clockTick, true
}

// sampleCPU reads /proc: this process, its descendants named postgres or
// redis-server, those running this binary (the delay proxies), and the
// machine's cpu line. ok is false without /proc.
func sampleCPU() cpuSample {
	var out cpuSample
	self := strconv.Itoa(os.Getpid())
	selfComm, _, cpu, ok := procStat(self)
	if !ok {
		return out
	}
	out.goProc, out.ok = cpu, true
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return cpuSample{}
	}
	type proc struct {
		comm string
		ppid int
		cpu  time.Duration
	}
	procs := map[int]proc{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if comm, ppid, cpu, ok := procStat(e.Name()); ok {
			procs[pid] = proc{comm, ppid, cpu}
		}
	}
	me := os.Getpid()
	descendant := func(pid int) bool {
		for range 64 {
			p, ok := procs[pid]
			if !ok || p.ppid <= 1 {
				return false
			}
			if p.ppid == me {
				return true
			}
			pid = p.ppid
		}
		return false
	}
	for pid, p := range procs {
		if pid == me || !descendant(pid) {
			continue
		}
		switch {
		case p.comm == "postgres":
			out.postgres += p.cpu
		case strings.HasPrefix(p.comm, "redis"):
			out.redis += p.cpu
		case p.comm == selfComm:
			out.proxy += p.cpu
		}
	}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		f := strings.Fields(line)
		for i := 1; i < len(f) && i <= 8; i++ {
			v, _ := strconv.ParseInt(f[i], 10, 64)
			if i == 4 || i == 5 { // idle, iowait
				out.idle += time.Duration(v) * clockTick
			} else {
				out.busy += time.Duration(v) * clockTick
			}
		}
	}
	return out
}
