package main

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// runHealthcheck asks a running serve whether it is up: GET /healthz on
// TOUCHBASE_ADDR (or --addr). It is the container's HEALTHCHECK, since the
// image has no shell or curl.
func (m *Main) runHealthcheck(ctx context.Context, args []string) error {
	fs, _ := m.flagSet("healthcheck")
	addr := fs.String("addr", cmp.Or(m.Getenv("TOUCHBASE_ADDR"), ":3000"), "the address serve listens on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	host, port, err := net.SplitHostPort(*addr)
	if err != nil {
		return fmt.Errorf("--addr %q is not host:port", *addr)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("not healthy: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("not healthy: /healthz answered %d", resp.StatusCode)
	}
	fmt.Fprintln(m.Stdout, "ok")
	return nil
}
