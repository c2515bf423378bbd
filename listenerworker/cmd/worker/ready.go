package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
)

// readyTimeout bounds the --ready probe.
const readyTimeout = 5 * time.Second

// probeHost is the host to reach an admin server listening on host: a
// wildcard address (or PostgREST's special values "*", "*4", "!4", "*6",
// "!6") is reached on the loopback interface.
func probeHost(host string) string {
	switch {
	case host == "", host == "0.0.0.0", host == "::", host == "[::]",
		strings.HasPrefix(host, "*"), strings.HasPrefix(host, "!"):
		return "localhost"
	}
	return strings.Trim(host, "[]")
}

// probeReady asks the admin server of cfg for /ready and returns nil when
// it answers 200, as PostgREST's --ready; the error says why not.
func probeReady(ctx context.Context, cfg *config.Config) error {
	if cfg.AdminServerPort == 0 {
		return fmt.Errorf("--ready needs the admin server: PGRST_ADMIN_SERVER_PORT is not set")
	}
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	url := "http://" + net.JoinHostPort(probeHost(cfg.AdminHost()), strconv.Itoa(cfg.AdminServerPort)) + "/ready"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", url, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, res.Status)
	}
	return nil
}
