package faults

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// instance is one exportserver process: a Cloud Run instance.
type instance struct {
	cmd  *exec.Cmd
	url  string
	mark string        // the file where it leaves "crash POINT OFFSET" and "stop POINT OFFSET"
	done chan struct{} // closed once the process has exited and its output is read

	posted atomic.Int64 // requests sent to it
	served atomic.Int64 // requests it has finished handling ("served" lines)
	// frozen: stopped by SIGSTOP; never given another attempt.
	frozen atomic.Bool
	// killedInFlight: the harness's SIGKILL found a request still being handled.
	killedInFlight atomic.Bool
}

func startInstance(ctx context.Context, bin string, env []string, mark string, logs io.Writer) (*instance, error) {
	cmd := exec.Command(bin)
	cmd.Env = append(env[:len(env):len(env)], "LEDGER_EXPORT_MARK="+mark)
	cmd.Stderr = logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start exportserver: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start exportserver: %w", err)
	}
	i := &instance{cmd: cmd, mark: mark, done: make(chan struct{})}
	ready := make(chan string, 1)
	go func() {
		// Read everything the process prints before waiting for it: Wait closes the pipe.
		lines := bufio.NewScanner(out)
		first := true
		for lines.Scan() {
			line := lines.Text()
			if first {
				ready <- line
				first = false
			}
			if strings.HasPrefix(line, "served ") {
				i.served.Add(1)
			}
			_, _ = fmt.Fprintln(logs, line)
		}
		if first {
			close(ready)
		}
		_ = cmd.Wait()
		close(i.done)
	}()
	select {
	case line, ok := <-ready:
		if !ok || !strings.HasPrefix(line, "listening on ") {
			i.kill()
			return nil, fmt.Errorf("exportserver did not start: %q", line)
		}
		i.url = strings.TrimPrefix(line, "listening on ") + "/"
	case <-time.After(30 * time.Second):
		i.kill()
		return nil, errors.New("exportserver did not start within 30 s")
	case <-ctx.Done():
		i.kill()
		return nil, ctx.Err()
	}
	return i, nil
}

func (i *instance) alive() bool {
	select {
	case <-i.done:
		return false
	default:
		return true
	}
}

// busy reports whether a request sent to the instance is still being handled.
func (i *instance) busy() bool { return i.alive() && i.served.Load() < i.posted.Load() }

// kill sends SIGKILL to the instance's process group and waits for it to exit. A stopped process dies too.
func (i *instance) kill() {
	if i.busy() {
		i.killedInFlight.Store(true)
	}
	_ = syscall.Kill(-i.cmd.Process.Pid, syscall.SIGKILL)
	<-i.done
}

// killedBySIGKILL reports whether the process ended by SIGKILL (its own crash point, or the harness).
func (i *instance) killedBySIGKILL() bool {
	if i.alive() {
		return false
	}
	ws, ok := i.cmd.ProcessState.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// stopped reports whether the process is stopped (state T in /proc).
func (i *instance) stopped() bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", i.cmd.Process.Pid))
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses and may hold spaces.
	s := string(b)
	j := strings.LastIndexByte(s, ')')
	return j > 0 && j+2 < len(s) && (s[j+2] == 'T' || s[j+2] == 't')
}

// thaw sends SIGCONT to the instance's process group.
func (i *instance) thaw() { _ = syscall.Kill(-i.cmd.Process.Pid, syscall.SIGCONT) }

// marks returns the lines the instance left in its mark file: "crash POINT OFFSET" or "stop POINT OFFSET".
func (i *instance) marks() []string {
	b, err := os.ReadFile(i.mark)
	if err != nil {
		return nil
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// waitIdle waits until the instance has finished every request sent to it (or has died), for at most max.
func (i *instance) waitIdle(ctx context.Context, max time.Duration) bool {
	deadline := time.Now().Add(max)
	for i.busy() {
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-i.done:
		case <-time.After(20 * time.Millisecond):
		}
	}
	return true
}
