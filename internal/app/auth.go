package app

import (
	"context"
	"fmt"

	"github.com/graftql/graft/internal/auth"
	"github.com/graftql/graft/internal/server"
	"github.com/graftql/graft/internal/signin"
)

// startAuth builds the authenticator from the authentication settings:
// admin secret(s), unauthorized role, JWT or auth webhook, and the keys of
// the sign-in service (local) when no JWT is configured. JWK sets are
// fetched in the background.
func (a *App) startAuth(ctx context.Context, local []auth.LocalKey) error {
	cfg := &a.cfg
	var secrets []auth.Secret
	for _, s := range cfg.AdminSecretList() {
		secrets = append(secrets, auth.Secret(s))
	}
	svc, err := auth.New(ctx, auth.Options{
		AdminSecrets:            secrets,
		UnauthorizedRole:        cfg.UnauthorizedRole,
		JWTSecret:               string(cfg.JWTSecret),
		JWTSecrets:              string(cfg.JWTSecrets),
		AuthHook:                cfg.AuthHook,
		AuthHookMode:            cfg.AuthHookMode,
		AuthHookSendRequestBody: cfg.AuthHookSendRequestBody,
		LocalKeys:               local,
		Logger:                  a.log,
	})
	if err != nil {
		return err
	}
	a.auth = svc
	return nil
}

// startSignIn starts the sign-in service on the source database (schema
// auth, as with Nhost) and then authentication, which trusts the
// service's generated key when no JWT is configured.
func (a *App) startSignIn(ctx context.Context, version string) error {
	svc, err := signin.New(ctx, signin.Options{
		Settings:  a.cfg.SignIn,
		Pool:      a.sourcePool,
		JWTSecret: string(a.cfg.JWTSecret),
		ServerURL: a.URL() + server.SignInPrefix,
		Version:   version,
		Logger:    a.log,
	})
	if err != nil {
		return fmt.Errorf("GRAFT_AUTH_ENABLED: %w", err)
	}
	a.signin = svc
	return a.startAuth(ctx, svc.LocalKeys())
}
