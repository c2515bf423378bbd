package main

import (
	"archive/tar"
	"crypto/x509"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// TestWorkerImage builds the worker statically for this machine, builds
// the image from it, reads the archive back both as a `docker save`
// archive and as an OCI layout, checks the config, unpacks the layers into
// a directory and runs the entrypoint from there.
func TestWorkerImage(t *testing.T) {
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "worker")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w -X main.version=image-test", "-o", bin, "../../../listenerworker/cmd/worker")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	certs := "/etc/ssl/certs/ca-certificates.crt"
	if _, err := os.Stat(certs); err != nil {
		// The image needs the build machine's bundle; Go's own module
		// downloads need it too, so a machine without it cannot build.
		t.Fatalf("no CA bundle at %s (apt-get install ca-certificates): %v", certs, err)
	}
	out := filepath.Join(tmp, "worker-image.tar")
	o := options{binary: bin, certs: certs, arch: runtime.GOARCH, tag: "pgrest-lambda-worker:test", out: out}
	digest, size, err := build(o)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(out)
	t.Logf("image %s: layer %.1f MB compressed, archive %.1f MB", digest, float64(size)/1e6, float64(st.Size())/1e6)

	// Reproducible: the same inputs give the same digest.
	again, _, err := build(options{binary: bin, certs: certs, arch: runtime.GOARCH, tag: o.tag, out: filepath.Join(tmp, "again.tar")})
	if err != nil || again != digest {
		t.Fatalf("second build: %v %v, want %v", again, err, digest)
	}

	// As `docker load` reads it: the same config and layer as the OCI
	// manifest below (the docker archive has no manifest of its own).
	img, err := tarball.ImageFromPath(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.OS != "linux" || cf.Architecture != runtime.GOARCH {
		t.Errorf("platform %s/%s", cf.OS, cf.Architecture)
	}
	c := cf.Config
	if !slices.Equal(c.Entrypoint, []string{"/worker"}) || len(c.Cmd) != 0 {
		t.Errorf("entrypoint %q cmd %q", c.Entrypoint, c.Cmd)
	}
	if c.User != "65532:65532" {
		t.Errorf("user %q, want 65532:65532 (non-root)", c.User)
	}
	for _, want := range []string{"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
		"PGRST_ADMIN_SERVER_HOST=0.0.0.0", "PGRST_ADMIN_SERVER_PORT=3001"} {
		if !slices.Contains(c.Env, want) {
			t.Errorf("env %q lacks %s", c.Env, want)
		}
	}
	if _, ok := c.ExposedPorts["3001/tcp"]; !ok {
		t.Errorf("exposed ports %v", c.ExposedPorts)
	}

	// As an OCI layout (oci-archive).
	ociDir := filepath.Join(tmp, "oci")
	untar(t, out, ociDir)
	idx, err := layout.ImageIndexFromPath(ociDir)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 || im.Manifests[0].Digest != digest || im.Manifests[0].MediaType != types.OCIManifestSchema1 {
		t.Fatalf("OCI index %+v, want the one manifest %v", im.Manifests, digest)
	}
	if im.Manifests[0].Annotations["org.opencontainers.image.ref.name"] != "test" {
		t.Errorf("annotations %v", im.Manifests[0].Annotations)
	}
	ociImg, err := idx.Image(digest)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ociImg.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	dockerCfg, _ := img.ConfigName()
	dockerLayers, _ := img.Layers()
	if len(dockerLayers) != 1 {
		t.Fatalf("docker archive: %d layers", len(dockerLayers))
	}
	if d, _ := dockerLayers[0].Digest(); dockerCfg != m.Config.Digest || len(m.Layers) != 1 || d != m.Layers[0].Digest {
		t.Errorf("docker archive config %v layer %v; OCI manifest %+v", dockerCfg, d, m)
	}
	if m.Config.MediaType != types.OCIConfigJSON || len(m.Layers) != 1 || m.Layers[0].MediaType != types.OCILayer {
		t.Errorf("manifest media types: config %s, layers %+v", m.Config.MediaType, m.Layers)
	}

	// The unpacked root filesystem.
	root := filepath.Join(tmp, "rootfs")
	rc := mutate.Extract(img)
	defer rc.Close()
	files := untarReader(t, rc, root)
	for _, want := range []string{"worker", "etc/ssl/certs/ca-certificates.crt", "etc/passwd", "etc/group"} {
		if !slices.Contains(files, want) {
			t.Errorf("image lacks /%s (has %q)", want, files)
		}
	}
	pem, err := os.ReadFile(filepath.Join(root, "etc/ssl/certs/ca-certificates.crt"))
	if err != nil {
		t.Fatal(err)
	}
	if pool := x509.NewCertPool(); !pool.AppendCertsFromPEM(pem) {
		t.Error("the image's CA bundle holds no certificate")
	}
	if passwd, _ := os.ReadFile(filepath.Join(root, "etc/passwd")); !strings.Contains(string(passwd), "nonroot:x:65532:65532:") {
		t.Errorf("/etc/passwd: %s", passwd)
	}

	// The entrypoint runs from the unpacked image with only its env.
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(filepath.Join(root, strings.TrimPrefix(c.Entrypoint[0], "/")), args...)
		cmd.Env = c.Env
		cmd.Dir = root
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v %v: %v\n%s", c.Entrypoint, args, err, b)
		}
		return string(b)
	}
	if v := run("--version"); !strings.HasPrefix(v, "pgrest-lambda listener worker image-test, PostgREST ") {
		t.Errorf("--version: %q", v)
	}
	if h := run("--help"); !strings.Contains(h, "--ready") || !strings.HasPrefix(h, "Usage: worker") {
		t.Errorf("--help: %q", h)
	}
}

// untar unpacks the tar file src into dir.
func untar(t *testing.T, src, dir string) {
	t.Helper()
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	untarReader(t, f, dir)
}

// untarReader unpacks the regular files and directories of r into dir
// (modes kept, owners not) and returns the files' names.
func untarReader(t *testing.T, r io.Reader, dir string) []string {
	t.Helper()
	var files []string
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(p, dir+string(filepath.Separator)) {
			t.Fatalf("tar entry %q escapes the directory", h.Name)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, os.FileMode(h.Mode).Perm()|0o600)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(f, tr); err != nil {
				t.Fatal(err)
			}
			f.Close()
			files = append(files, strings.TrimPrefix(h.Name, "./"))
		}
	}
}
