// Command worker-image builds the listener worker's container image without
// a Docker daemon and without pulling a base image: one layer on an empty
// image (FROM scratch) holding the static worker binary at /worker, the CA
// certificates of the build machine (Debian's ca-certificates bundle) at
// /etc/ssl/certs/ca-certificates.crt, and /etc/passwd and /etc/group naming
// the non-root user 65532 ("nonroot", as distroless) that the image runs as.
//
// The output is one tar file that is both an OCI image layout (oci-layout,
// index.json, blobs/) and a `docker save` archive (manifest.json pointing at
// the same blobs), so `docker load`, `podman load`, `skopeo copy
// oci-archive:…` and `crane push` all read it.
//
//	go run ./infra/cmd/worker-image -binary worker -arch arm64 -tag pgrest-lambda-worker:v1 -o worker-image.tar
//
// File times and the image's creation time are SOURCE_DATE_EPOCH (default
// 0), so the same binary gives the same image digest.
package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Image layout constants.
const (
	// entrypoint is the worker binary's path in the image.
	entrypoint = "/worker"
	// certsPath is where Go's crypto/x509 looks first on Linux.
	certsPath = "/etc/ssl/certs/ca-certificates.crt"
	// nonroot is the user and group id the image runs as.
	nonroot = 65532
	// adminPort is the admin server's port in the image (/ready, /metrics).
	adminPort = 3001
)

// options are the command line's.
type options struct {
	binary string
	certs  string
	arch   string
	tag    string
	out    string
	epoch  time.Time
}

func main() {
	var o options
	flag.StringVar(&o.binary, "binary", "", "static (CGO_ENABLED=0) linux worker binary")
	flag.StringVar(&o.certs, "certs", "/etc/ssl/certs/ca-certificates.crt", "CA certificate bundle (PEM)")
	flag.StringVar(&o.arch, "arch", "arm64", "the binary's GOARCH (image platform linux/<arch>)")
	flag.StringVar(&o.tag, "tag", "pgrest-lambda-worker:latest", "image reference recorded in the archive")
	flag.StringVar(&o.out, "o", "worker-image.tar", "output tar file")
	flag.Parse()
	if o.binary == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	var err error
	if o.epoch, err = sourceDateEpoch(os.Getenv("SOURCE_DATE_EPOCH")); err != nil {
		fmt.Fprintln(os.Stderr, "worker-image:", err)
		os.Exit(1)
	}
	digest, size, err := build(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker-image:", err)
		os.Exit(1)
	}
	fmt.Printf("%s: %s %s (%.1f MB compressed)\n", o.out, o.tag, digest, float64(size)/1e6)
}

// sourceDateEpoch parses SOURCE_DATE_EPOCH; "" is the Unix epoch.
func sourceDateEpoch(v string) (time.Time, error) {
	if v == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH: %q is not a number of seconds", v)
	}
	return time.Unix(n, 0).UTC(), nil
}

// build writes the image to o.out and returns its manifest digest and the
// size of its compressed layer.
func build(o options) (v1.Hash, int64, error) {
	img, err := image(o)
	if err != nil {
		return v1.Hash{}, 0, err
	}
	ref, err := name.NewTag(o.tag)
	if err != nil {
		return v1.Hash{}, 0, fmt.Errorf("-tag: %w", err)
	}
	digest, err := img.Digest()
	if err != nil {
		return v1.Hash{}, 0, err
	}
	layers, err := img.Layers()
	if err != nil {
		return v1.Hash{}, 0, err
	}
	size, err := layers[0].Size()
	if err != nil {
		return v1.Hash{}, 0, err
	}
	dir, err := os.MkdirTemp("", "worker-image")
	if err != nil {
		return v1.Hash{}, 0, err
	}
	defer os.RemoveAll(dir)
	if err := writeArchiveDir(dir, img, ref); err != nil {
		return v1.Hash{}, 0, err
	}
	if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err != nil {
		return v1.Hash{}, 0, err
	}
	if err := tarDir(dir, o.out, o.epoch); err != nil {
		return v1.Hash{}, 0, err
	}
	return digest, size, nil
}

// image assembles the image: the empty image, one layer and the config.
func image(o options) (v1.Image, error) {
	bin, err := os.ReadFile(o.binary)
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(bin, []byte("\x7fELF")) {
		return nil, fmt.Errorf("%s is not an ELF binary", o.binary)
	}
	certs, err := os.ReadFile(o.certs)
	if err != nil {
		return nil, fmt.Errorf("CA certificates (Debian: apt-get install ca-certificates): %w", err)
	}
	if !bytes.Contains(certs, []byte("BEGIN CERTIFICATE")) {
		return nil, fmt.Errorf("%s holds no PEM certificate", o.certs)
	}
	layerTar, err := rootfs(bin, certs, o.epoch)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.Append(img, mutate.Addendum{
		Layer:     layer,
		MediaType: types.OCILayer,
		History:   v1.History{Created: v1.Time{Time: o.epoch}, CreatedBy: "worker-image: /worker, CA certificates, user nonroot"},
	})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", o.arch
	cf.Config = v1.Config{
		Entrypoint: []string{entrypoint},
		User:       fmt.Sprintf("%d:%d", nonroot, nonroot),
		WorkingDir: "/",
		Env: []string{
			"PATH=/",
			"SSL_CERT_FILE=" + certsPath,
			// Reachable by the container health check and the load
			// balancer's, unlike the default 127.0.0.1.
			"PGRST_ADMIN_SERVER_HOST=0.0.0.0",
			"PGRST_ADMIN_SERVER_PORT=" + strconv.Itoa(adminPort),
		},
		ExposedPorts: map[string]struct{}{strconv.Itoa(adminPort) + "/tcp": {}},
		Labels: map[string]string{
			"org.opencontainers.image.title":       "pgrest-lambda listener worker",
			"org.opencontainers.image.description": "Keeps the pgrest-lambda schema cache in Redis current",
		},
		StopSignal: "SIGTERM",
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, err
	}
	return mutate.CreatedAt(img, v1.Time{Time: o.epoch})
}

// rootfs is the layer's tar: the directories, /worker, the certificates
// and the user database.
func rootfs(bin, certs []byte, epoch time.Time) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dir := func(name string, mode int64, uid int) error {
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode,
			Uid: uid, Gid: uid, ModTime: epoch, Format: tar.FormatPAX})
	}
	file := func(name string, mode int64, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode,
			Size: int64(len(data)), ModTime: epoch, Format: tar.FormatPAX}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	passwd := fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%d:%d:nonroot:/home/nonroot:/sbin/nologin\n", nonroot, nonroot)
	group := fmt.Sprintf("root:x:0:\nnonroot:x:%d:\n", nonroot)
	err := errors.Join(
		dir("etc", 0o755, 0), dir("etc/ssl", 0o755, 0), dir("etc/ssl/certs", 0o755, 0),
		file("etc/ssl/certs/ca-certificates.crt", 0o644, certs),
		file("etc/passwd", 0o644, []byte(passwd)),
		file("etc/group", 0o644, []byte(group)),
		dir("home", 0o755, 0), dir("home/nonroot", 0o700, nonroot),
		dir("tmp", 0o1777, 0),
		file(strings.TrimPrefix(entrypoint, "/"), 0o755, bin),
		tw.Close(),
	)
	return buf.Bytes(), err
}

// writeArchiveDir writes img into dir as an OCI image layout and adds the
// manifest.json of a `docker save` archive naming the same blobs.
func writeArchiveDir(dir string, img v1.Image, ref name.Tag) error {
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": ref.TagStr(),
		"io.containerd.image.name":          ref.Name(),
	})); err != nil {
		return err
	}
	cfgName, err := img.ConfigName()
	if err != nil {
		return err
	}
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	blob := func(h v1.Hash) string { return path.Join("blobs", h.Algorithm, h.Hex) }
	entry := tarball.Descriptor{Config: blob(cfgName), RepoTags: []string{ref.Name()}}
	for _, l := range layers {
		d, err := l.Digest()
		if err != nil {
			return err
		}
		entry.Layers = append(entry.Layers, blob(d))
	}
	m, err := json.Marshal(tarball.Manifest{entry})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "manifest.json"), m, 0o644)
}

// tarDir writes the files under dir into the tar file out, in lexical
// order, with fixed times and owners.
func tarDir(dir, out string, epoch time.Time) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(f)
	walkErr := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: rel + "/", Mode: 0o755, ModTime: epoch})
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: rel, Mode: 0o644,
			Size: int64(len(data)), ModTime: epoch}); err != nil {
			return err
		}
		_, err = tw.Write(data)
		return err
	})
	return errors.Join(walkErr, tw.Close(), f.Close())
}
