package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMakeInstall installs with the Makefile into a temporary prefix and
// checks what an operator relies on: the binary runs, the example config is
// valid, an existing config is kept, and systemd accepts the unit.
func TestMakeInstall(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make not installed")
	}
	root := t.TempDir()
	prefix, etc := filepath.Join(root, "usr"), filepath.Join(root, "etc")
	install := func(args ...string) string {
		cmd := exec.Command("make", append([]string{"-C", "../..", "install"}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("make install: %v\n%s", err, out)
		}
		return string(out)
	}
	install("PREFIX="+prefix, "SYSCONFDIR="+etc, "BIN="+filepath.Join(root, "build", "feedmill"))

	bin := filepath.Join(prefix, "bin", "feedmill")
	unit := filepath.Join(prefix, "lib", "systemd", "system", "feedmill.service")
	cfg := filepath.Join(etc, "feedmill", "config.yaml")
	if out, err := exec.Command(bin, "version").Output(); err != nil || !strings.HasPrefix(string(out), "feedmill ") {
		t.Errorf("installed binary: %q, %v", out, err)
	}
	if out, err := exec.Command(bin, "--config", cfg, "check").CombinedOutput(); err != nil {
		t.Errorf("installed config: %v\n%s", err, out)
	}
	body, err := os.ReadFile(unit)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ExecStart=" + bin + " --config " + cfg, "DynamicUser=yes", "StateDirectory=feedmill",
		"ProtectSystem=strict", "NoNewPrivileges=yes"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("unit lacks %q", want)
		}
	}

	// A second install keeps the operator's config.
	if err := os.WriteFile(cfg, []byte("# mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := install("PREFIX="+prefix, "SYSCONFDIR="+etc, "BIN="+filepath.Join(root, "build", "feedmill")); !strings.Contains(out, "keeping existing") {
		t.Errorf("second install did not say it kept the config:\n%s", out)
	}
	if b, _ := os.ReadFile(cfg); string(b) != "# mine\n" {
		t.Error("second install overwrote the config")
	}

	// DESTDIR stages everything under a root.
	stage := filepath.Join(root, "stage")
	install("DESTDIR="+stage, "PREFIX=/usr", "BIN="+filepath.Join(root, "build", "feedmill"))
	for _, p := range []string{"usr/bin/feedmill", "usr/lib/systemd/system/feedmill.service", "etc/feedmill/config.yaml"} {
		if _, err := os.Stat(filepath.Join(stage, p)); err != nil {
			t.Errorf("DESTDIR install: %v", err)
		}
	}

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed: unit not verified")
	}
	if out, err := exec.Command(analyze, "verify", unit).CombinedOutput(); err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
