// Command drivefake serves the fake Google Drive v3 API of package drivefake
// until interrupted.
//
// Usage:
//
//	drivefake [-addr 127.0.0.1:0] [-dir DIR | -discard] [-folder ID[,ID...]]...
//
// When ready it prints one line, "drivefake listening on http://ADDR", to
// standard output. It stops on SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/siamledger/ledger-export/internal/drivefake"
)

func main() {
	err := run(os.Args[1:])
	switch {
	case errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		os.Exit(2) // the flag package has reported the problem
	case err != nil:
		fmt.Fprintln(os.Stderr, "drivefake:", err)
		os.Exit(1)
	}
}

// errUsage reports invalid command-line arguments, already explained.
var errUsage = errors.New("invalid arguments")

func run(args []string) error {
	fs := flag.NewFlagSet("drivefake", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "TCP address to listen on")
	dir := fs.String("dir", "", "directory to persist files and sessions in (memory only when empty)")
	discard := fs.Bool("discard", false, "keep no file content, only sizes and MD5 checksums (for benchmarks)")
	var folders []string
	fs.Func("folder", "id of an existing folder; repeatable or comma-separated", func(v string) error {
		for id := range strings.SplitSeq(v, ",") {
			if id = strings.TrimSpace(id); id != "" {
				folders = append(folders, id)
			}
		}
		return nil
	})
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected arguments: %v\n", fs.Args())
		fs.Usage()
		return errUsage
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	srv, err := drivefake.NewServer(drivefake.Options{Addr: *addr, Dir: *dir, Folders: folders, Discard: *discard})
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Println("drivefake listening on " + srv.URL())
	<-ctx.Done()
	return nil
}
