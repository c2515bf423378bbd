package infra

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// lintedTemplates are the CloudFormation templates cfn-lint checks, relative
// to the repository root: the SAM template and every template in infra/.
func lintedTemplates(t *testing.T) []string {
	files := []string{"template.yaml"}
	for _, pattern := range []string{"infra/*.yaml", "infra/*.yml", "infra/*.json"} {
		m, err := filepath.Glob(filepath.Join("..", pattern))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range m {
			rel, err := filepath.Rel("..", f)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, filepath.ToSlash(rel))
		}
	}
	return files
}

// TestCfnLint runs cfn-lint (with the SAM translator it brings) on every
// template and fails on any error or warning. Where cfn-lint is not
// installed it logs one line and passes; `make test` prints that line too.
func TestCfnLint(t *testing.T) {
	bin, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Log("cfn-lint not on PATH: templates not linted (pip install cfn-lint)")
		return
	}
	files := lintedTemplates(t)
	if out, err := cfnLint(bin, "..", files...); err != nil {
		t.Errorf("cfn-lint %s: %v\n%s", strings.Join(files, " "), err, out)
	}

	// The check can fail: a template with a mistake cfn-lint knows about
	// (a timeout beyond Lambda's 900 s) must be reported.
	src, err := os.ReadFile(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(src), "Timeout: 28", "Timeout: 901", 1)
	if bad == string(src) {
		t.Fatal("template no longer contains \"Timeout: 28\"; update this check")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "template.yaml"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := cfnLint(bin, dir, "template.yaml"); err == nil {
		t.Errorf("cfn-lint accepted a template with Timeout: 901\n%s", out)
	}
}

// cfnLint runs cfn-lint on files inside dir; any finding is an error (its
// exit status is non-zero for errors and for warnings).
func cfnLint(bin, dir string, files ...string) (string, error) {
	cmd := exec.Command(bin, files...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return string(out), fmt.Errorf("findings (exit status %d)", exit.ExitCode())
	}
	return string(out), err
}
