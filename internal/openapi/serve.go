package openapi

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/pgrest-lambda/pgrest-lambda/internal/apirequest"
	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/internal/maintx"
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
	"github.com/pgrest-lambda/pgrest-lambda/internal/query"
	"github.com/pgrest-lambda/pgrest-lambda/internal/response"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// ContentType is the Content-Type of the document.
const ContentType = "application/openapi+json; charset=utf-8"

// Respond answers GET or HEAD / as PostgREST does: PGRST107 unless the
// Accept header allows application/openapi+json, application/json or */*;
// PGRST126 with openapi-mode disabled; otherwise the document of the
// request's schema (Accept-Profile), reading the schema comment and, with
// follow-privileges, the role's privileges in one read-only transaction
// with the request's settings (role, the role's settings, search path,
// request.method and request.path). With several exposed schemas the response
// names its schema in Content-Profile.
func Respond(ctx context.Context, db maintx.Pool, cfg *config.Config, req *apirequest.Request, path, role string,
	roleSettings map[string]string, sc *schemacache.SchemaCache) (*response.Response, *pgrsterr.Error) {
	if err := negotiate(req.Accept); err != nil {
		return nil, err
	}
	if cfg.OpenAPIMode == "disabled" {
		return nil, pgrsterr.OpenAPIDisabled()
	}
	settings := query.TxSettings{
		Role:         role,
		RoleSettings: roleSettings,
		SearchPath:   append([]string{req.Schema}, cfg.DBExtraSearchPath...),
		Method:       req.Method,
		Path:         path,
		ReadOnly:     true,
	}
	access, err := maintx.ReadOpenAPIAccess(ctx, db, settings, req.Schema, cfg.OpenAPIMode == "follow-privileges")
	if err != nil {
		return nil, err
	}
	body, merr := Document(sc, Options{Schema: req.Schema, Server: ServerFor(cfg), Access: access})
	if merr != nil {
		return nil, pgrsterr.Internal("the OpenAPI document could not be encoded")
	}
	h := http.Header{}
	h.Set("Content-Type", ContentType)
	if len(cfg.DBSchemas) > 1 {
		h.Set("Content-Profile", req.Schema)
	}
	if req.Method == http.MethodHead {
		body = nil
	}
	return &response.Response{Status: http.StatusOK, Headers: h, Body: body}, nil
}

// negotiate accepts what PostgREST's inspect plan produces; anything else
// is PGRST107 listing every Accept entry.
func negotiate(accepts []apirequest.MediaType) *pgrsterr.Error {
	for _, m := range accepts {
		switch m.Kind {
		case apirequest.MediaOpenAPI, apirequest.MediaJSON, apirequest.MediaAny:
			return nil
		}
	}
	mimes := make([]string, len(accepts))
	for i, m := range accepts {
		mimes[i] = m.Mime()
	}
	return pgrsterr.MediaTypeUnavailable(mimes)
}

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
