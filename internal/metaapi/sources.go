package metaapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/metadata"
)

// poolLocked returns a connection pool for the named source: SourcePool for
// "default" when given, else a pool opened from the source's
// configuration (and kept until the configuration changes).
func (s *Service) poolLocked(ctx context.Context, md *metadata.Metadata, name string) (*pgxpool.Pool, error) {
	src, ok := md.Source(name)
	if !ok {
		return nil, apierr.New(apierr.NotExists, "source with name %q does not exist", name)
	}
	if name == metadata.DefaultSource && s.o.SourcePool != nil {
		return s.o.SourcePool, nil
	}
	key := name + "\x00" + string(src.Configuration)
	if p, ok := s.pools[key]; ok {
		return p, nil
	}
	connString, err := s.connString(src)
	if err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		return nil, fmt.Errorf("source %s: parse database url: %w", name, err)
	}
	cfg.MaxConns = 8
	p, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("source %s: connect: %w", name, err)
	}
	for k, old := range s.pools {
		if len(k) > len(name) && k[:len(name)+1] == name+"\x00" {
			old.Close()
			delete(s.pools, k)
		}
	}
	s.pools[key] = p
	return p, nil
}

// connString resolves a source's database_url: a URL, {"from_env": VAR}
// or {"connection_parameters": {...}}.
func (s *Service) connString(src *metadata.Source) (string, error) {
	var cfg metadata.SourceConfiguration
	if err := json.Unmarshal(src.Configuration, &cfg); err != nil {
		return "", fmt.Errorf("source %s: decode configuration: %w", src.Name, err)
	}
	raw := cfg.ConnectionInfo.DatabaseURL
	var direct string
	if json.Unmarshal(raw, &direct) == nil {
		return direct, nil
	}
	var v struct {
		FromEnv              string `json:"from_env"`
		ConnectionParameters *struct {
			Username string `json:"username"`
			Password string `json:"password"`
			Host     string `json:"host"`
			Port     int    `json:"port"`
			Database string `json:"database"`
		} `json:"connection_parameters"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", fmt.Errorf("source %s: decode database_url: %w", src.Name, err)
	}
	if v.FromEnv != "" {
		u := s.o.Getenv(v.FromEnv)
		if u == "" {
			return "", apierr.New(apierr.InvalidConfiguration, "environment variable '%s' not set", v.FromEnv)
		}
		return u, nil
	}
	if p := v.ConnectionParameters; p != nil {
		u := url.URL{Scheme: "postgresql", Host: p.Host, Path: "/" + p.Database}
		if p.Port != 0 {
			u.Host += ":" + strconv.Itoa(p.Port)
		}
		if p.Password != "" {
			u.User = url.UserPassword(p.Username, p.Password)
		} else {
			u.User = url.User(p.Username)
		}
		return u.String(), nil
	}
	return "", fmt.Errorf("source %s: no database_url", src.Name)
}

// Close closes the pools the service opened for sources.
func (s *Service) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, p := range s.pools {
		p.Close()
		delete(s.pools, k)
	}
}
