// Package signin is graft's built-in sign-in service, mounted at /auth/v1:
// the HTTP API of Nhost Auth (nhost/nhost: services/auth), so that apps
// written for Nhost and the official @nhost/nhost-js clients work
// unchanged, with the contract in ../shared/specs/signin.md.
//
//	POST /signup/email-password, /signin/{email-password,anonymous,pat,mfa/totp}
//	  --> auth.users (argon2id; Nhost's bcrypt hashes verified, then rewritten)
//	  --> a refresh-token family in auth.refresh_tokens (only SHA-256 hashes)
//	  --> Session{accessToken: JWT with Hasura's claims, refreshToken, user}
//	POST /token: rotate the family (Note [refresh token families]): grace
//	  window for racing tabs, reuse detection revokes the family
//	GET /.well-known/jwks.json: the public half of the signing key
//
// The access tokens are signed with HASURA_GRAPHQL_JWT_SECRET when set
// (HS*, or RS* with Nhost's signing_key), else with a key the service
// makes on its first start and keeps in auth.graft_keys (Note [generated
// key]); [Service.LocalKeys] hands its public half to package auth, so the
// GraphQL engine trusts the tokens with no setup. [New] creates or
// migrates schema auth, compatible with a database Nhost Auth made (Note
// [adopting an Nhost database]); [Service.Track] tracks its tables in the
// metadata under Nhost's GraphQL names (Note [auth tables in GraphQL]);
// [Service.Run] sends mail and sweeps expired tokens.
//
// Where Nhost Auth is weak the service does better: no user enumeration
// on sign-in (one hash computation and the same answer for an unknown
// email and a wrong password), per-IP rate limits and a per-account
// back-off on by default (Note [rate limits]), revocation on password
// change, a JSON body on every error, 401 for bad Bearer tokens, and no
// 500 on races (transactions are retried on serialization failures).
package signin
