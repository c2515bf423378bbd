package openapi

import (
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
)

// ContentType is the Content-Type of the document.
const ContentType = "application/openapi+json; charset=utf-8"

// ServerFor is where the document says the API is: the parts of
// openapi-server-proxy-uri (default port by scheme, basePath "/" when the
// path is empty), or else http on server-host and server-port with
// PostgREST's special host names ("*", "!4", ...) shown as 0.0.0.0.
func ServerFor(cfg *config.Config) Server {
	if cfg.OpenAPIServerProxyURI != "" && config.CheckProxyURI(cfg.OpenAPIServerProxyURI) == nil {
		if u, err := url.Parse(cfg.OpenAPIServerProxyURI); err == nil {
			return proxyServer(u)
		}
	}
	host := cfg.ServerHost
	switch host {
	case "*", "*4", "!4", "*6", "!6":
		host = "0.0.0.0"
	}
	return Server{Scheme: "http", Host: host, Port: cfg.ServerPort, BasePath: "/"}
}

func proxyServer(u *url.URL) Server {
	s := Server{Scheme: strings.ToLower(u.Scheme), Host: u.Host, BasePath: u.EscapedPath()}
	if s.BasePath == "" {
		s.BasePath = "/"
	}
	if p := u.Port(); p != "" {
		s.Host = strings.TrimSuffix(u.Host, ":"+p)
		s.Port, _ = strconv.Atoi(p)
	} else if s.Scheme == "https" {
		s.Port = 443
	} else {
		s.Port = 80
	}
	return s
}

// hostPort is Swagger's host: "host:port", the host as written (IPv6
// addresses keep their brackets).
func hostPort(s Server) string {
	if strings.HasPrefix(s.Host, "[") {
		return s.Host + ":" + strconv.Itoa(s.Port)
	}
	return net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
}
