package app

import (
	"context"

	"github.com/graftql/graft/internal/auth"
)

// startAuth builds the authenticator from the authentication settings:
// admin secret(s), unauthorized role, JWT or auth webhook. JWK sets are
// fetched in the background; a bad JWT config stops startup here, before
// any database is touched.
func (a *App) startAuth(ctx context.Context) error {
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
		Logger:                  a.log,
	})
	if err != nil {
		return err
	}
	a.auth = svc
	return nil
}
