package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
)

// The Cloud Functions runtime ID names a Go minor version (go127 is Go
// 1.27.x) but not its patch: Google's base image for that runtime picks the
// patch and updates it. A runtime therefore surely builds a module whose go
// directive is 1.M.P when the runtime's minor is newer than M, or when it is
// M and P is 0. For an equal minor with a patch above 0 (go126 for go 1.26.8)
// it depends on the image of the day, which nothing here can read, so pack
// refuses it: the failure comes at `make package`, not halfway through a
// Cloud Build at deploy.

var (
	goDirective  = regexp.MustCompile(`(?m)^go[ \t]+1\.([0-9]+)(?:\.([0-9]+))?[ \t]*(?://.*)?$`)
	runtimeID    = regexp.MustCompile(`^go1([0-9]{2})$`)
	runtimeVar   = regexp.MustCompile(`(?s)variable\s+"runtime"\s*\{.*?\n\s*default\s*=\s*"([^"]*)"`)
	runtimeTfvar = regexp.MustCompile(`(?m)^[ \t]*runtime[ \t]*=[ \t]*"([^"]*)"`)
)

// goVersion returns the minor and patch of go.mod's go directive.
func goVersion(goMod []byte) (minor, patch int, err error) {
	m := goDirective.FindSubmatch(goMod)
	if m == nil {
		return 0, 0, errors.New("go.mod has no go directive of the form go 1.N[.P]")
	}
	minor, _ = strconv.Atoi(string(m[1]))
	if len(m[2]) > 0 {
		patch, _ = strconv.Atoi(string(m[2]))
	}
	return minor, patch, nil
}

// checkRuntime returns an error unless runtime surely builds a module with
// this go.mod (see above).
func checkRuntime(runtime string, goMod []byte) error {
	minor, patch, err := goVersion(goMod)
	if err != nil {
		return err
	}
	m := runtimeID.FindStringSubmatch(runtime)
	if m == nil {
		return fmt.Errorf("runtime %q is not a Go runtime ID such as go127", runtime)
	}
	rtMinor, _ := strconv.Atoi(m[1])
	want := fmt.Sprintf("go 1.%d.%d", minor, patch)
	switch {
	case rtMinor > minor, rtMinor == minor && patch == 0:
		return nil
	case rtMinor == minor:
		return fmt.Errorf("runtime %s builds with the Go 1.%d.x of Google's image, whose patch nothing here can check, and go.mod asks for %s: use go1%d or newer (terraform variable runtime)", runtime, rtMinor, want, minor+1)
	default:
		return fmt.Errorf("runtime %s builds with Go 1.%d, older than go.mod's %s: use go1%d or newer (terraform variable runtime)", runtime, rtMinor, want, minor+1)
	}
}

// terraformRuntime returns the runtime Terraform will deploy with from the
// configuration in dir: runtime in terraform.tfvars when set there, else the
// default of variable "runtime", and the file it came from.
func terraformRuntime(dir string) (runtime, from string, err error) {
	tfvars := filepath.Join(dir, "terraform.tfvars")
	b, err := os.ReadFile(tfvars)
	switch {
	case err == nil:
		if m := runtimeTfvar.FindSubmatch(b); m != nil {
			return string(m[1]), tfvars, nil
		}
	case !errors.Is(err, fs.ErrNotExist):
		return "", "", err
	}
	vars := filepath.Join(dir, "variables.tf")
	b, err = os.ReadFile(vars)
	if err != nil {
		return "", "", err
	}
	m := runtimeVar.FindSubmatch(b)
	if m == nil {
		return "", "", fmt.Errorf("%s declares no variable \"runtime\" with a default", vars)
	}
	return string(m[1]), vars, nil
}
