// Package testenv starts the real backing services the tests and the local run need on this machine: Google's
// Cloud Firestore emulator (a Java process, started in its own process group and stopped with it) and an
// embedded FerretDB on SQLite that speaks MongoDB's wire protocol to the official driver.
package testenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// DefaultEmulatorDir is where the Google Cloud SDK package installs the Firestore emulator.
const DefaultEmulatorDir = "/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator"

// Emulator is a running Cloud Firestore emulator.
type Emulator struct {
	// Host is host:port, the value FIRESTORE_EMULATOR_HOST takes.
	Host string
	cmd  *exec.Cmd
	done chan struct{}
}

// EmulatorOptions tune StartFirestore.
type EmulatorOptions struct {
	Dir        string    // emulator install folder; DefaultEmulatorDir, or $FIRESTORE_EMULATOR_DIR, when empty
	ImportData string    // optional: an export folder to load at start
	ExportDir  string    // optional: where Export writes
	Log        io.Writer // the emulator's own output; discarded when nil
}

// StartFirestore starts the emulator on a free loopback port and waits until it answers. Stop it with Stop.
func StartFirestore(ctx context.Context, o EmulatorOptions) (*Emulator, error) {
	dir := o.Dir
	if dir == "" {
		dir = os.Getenv("FIRESTORE_EMULATOR_DIR")
	}
	if dir == "" {
		dir = DefaultEmulatorDir
	}
	jar := filepath.Join(dir, "cloud-firestore-emulator.jar")
	if _, err := os.Stat(jar); err != nil {
		return nil, fmt.Errorf("firestore emulator not installed (apt-get install google-cloud-cli-firestore-emulator): %w", err)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	host := "127.0.0.1:" + strconv.Itoa(port)
	args := []string{"-Duser.language=en", "-cp", jar, "com.google.cloud.datastore.emulator.firestore.CloudFirestore",
		"start", "--host=127.0.0.1", "--port=" + strconv.Itoa(port)}
	if o.ImportData != "" {
		args = append(args, "--import-data="+o.ImportData)
	}
	// Java is started directly, not through the SDK's shell wrapper, so that the process-group kill and the
	// parent-death signal reach the JVM itself and no java lingers.
	cmd := exec.Command("java", args...)
	cmd.Env = append(os.Environ(), "JAVA_TOOL_OPTIONS=-Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	log := o.Log
	if log == nil {
		log = io.Discard
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start firestore emulator: %w", err)
	}
	e := &Emulator{Host: host, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(e.done) }()
	if err := e.waitReady(ctx); err != nil {
		e.Stop()
		return nil, err
	}
	return e, nil
}

func (e *Emulator) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+e.Host+"/", nil)
		if err != nil {
			return fmt.Errorf("probe firestore emulator: %w", err)
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("firestore emulator on %s did not answer: %w", e.Host, ctx.Err())
		case <-e.done:
			return errors.New("firestore emulator exited during start-up")
		case <-tick.C:
		}
	}
}

// Reset deletes every document of the project's default database.
func (e *Emulator) Reset(ctx context.Context, project string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	url := "http://" + e.Host + "/emulator/v1/projects/" + project + "/databases/(default)/documents"
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, url, nil)
	if err != nil {
		return fmt.Errorf("reset firestore emulator: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("reset firestore emulator: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reset firestore emulator: %s", resp.Status)
	}
	return nil
}

// Export writes the project's documents to dir, in the form ImportData loads.
func (e *Emulator) Export(ctx context.Context, project, dir string) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("export firestore emulator: %w", err)
	}
	body := fmt.Sprintf(`{"database":"projects/%s/databases/(default)","export_directory":%q}`, project, abs)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+e.Host+"/emulator/v1/projects/"+project+":export",
		strings.NewReader(body))
	if err != nil {
		return fmt.Errorf("export firestore emulator: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("export firestore emulator: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return fmt.Errorf("export firestore emulator: %s: %s", resp.Status, msg)
	}
	return nil
}

// Stop ends the emulator's whole process group and waits for it.
func (e *Emulator) Stop() {
	pgid := e.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-e.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-e.done
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
