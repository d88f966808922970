-- The auth schema of Nhost Auth (the net result of nhost/hasura-auth:
-- go/migrations/postgres 00001-00019), written so that it applies both to
-- an empty database and to one made by Nhost Auth, plus graft's own
-- tables. {{citext}} is the schema of the citext extension.
CREATE SCHEMA IF NOT EXISTS auth;

DO $$ BEGIN
  CREATE DOMAIN auth.email AS {{citext}}.citext
    CONSTRAINT email_check CHECK (VALUE OPERATOR({{citext}}.~) '^[a-zA-Z0-9.!#$%&''*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$'::{{citext}}.citext);
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

CREATE OR REPLACE FUNCTION auth.set_current_timestamp_updated_at() RETURNS trigger
  LANGUAGE plpgsql AS $$
DECLARE
  _new record;
BEGIN
  _new := new;
  _new."updated_at" = now();
  RETURN _new;
END;
$$;

CREATE TABLE IF NOT EXISTS auth.roles (
  role text NOT NULL CONSTRAINT roles_pkey PRIMARY KEY
);
COMMENT ON TABLE auth.roles IS 'Persistent Hasura roles for users. Don''t modify its structure as Hasura Auth relies on it to function properly.';

CREATE TABLE IF NOT EXISTS auth.providers (
  id text NOT NULL CONSTRAINT providers_pkey PRIMARY KEY
);
COMMENT ON TABLE auth.providers IS 'List of available Oauth providers. Don''t modify its structure as Hasura Auth relies on it to function properly.';

CREATE TABLE IF NOT EXISTS auth.provider_requests (
  id uuid NOT NULL CONSTRAINT provider_requests_pkey PRIMARY KEY,
  options jsonb
);
COMMENT ON TABLE auth.provider_requests IS 'Oauth requests, inserted before redirecting to the provider''s site. Don''t modify its structure as Hasura Auth relies on it to function properly.';

CREATE TABLE IF NOT EXISTS auth.refresh_token_types (
  value text NOT NULL CONSTRAINT refresh_token_types_pkey PRIMARY KEY,
  comment text
);

CREATE TABLE IF NOT EXISTS auth.users (
  id uuid DEFAULT gen_random_uuid() NOT NULL CONSTRAINT users_pkey PRIMARY KEY,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  last_seen timestamp with time zone,
  disabled boolean DEFAULT false NOT NULL,
  display_name text DEFAULT ''::text NOT NULL,
  avatar_url text DEFAULT ''::text NOT NULL,
  locale character varying(3) NOT NULL,
  email auth.email CONSTRAINT users_email_key UNIQUE,
  phone_number text CONSTRAINT users_phone_number_key UNIQUE,
  password_hash text,
  email_verified boolean DEFAULT false NOT NULL,
  phone_number_verified boolean DEFAULT false NOT NULL,
  new_email auth.email,
  otp_method_last_used text,
  otp_hash text,
  otp_hash_expires_at timestamp with time zone DEFAULT now() NOT NULL,
  default_role text DEFAULT 'user'::text NOT NULL
    CONSTRAINT fk_default_role REFERENCES auth.roles(role) ON UPDATE CASCADE ON DELETE RESTRICT,
  is_anonymous boolean DEFAULT false NOT NULL,
  totp_secret text,
  active_mfa_type text CONSTRAINT active_mfa_types_check CHECK (active_mfa_type = 'totp'::text OR active_mfa_type = 'sms'::text),
  ticket text,
  ticket_expires_at timestamp with time zone DEFAULT now() NOT NULL,
  metadata jsonb,
  webauthn_current_challenge text
);
COMMENT ON TABLE auth.users IS 'User account information. Don''t modify its structure as Hasura Auth relies on it to function properly.';
-- Nhost's 00019 widened locale to three characters.
ALTER TABLE auth.users ALTER COLUMN locale TYPE character varying(3);

CREATE TABLE IF NOT EXISTS auth.user_roles (
  id uuid DEFAULT gen_random_uuid() NOT NULL CONSTRAINT user_roles_pkey PRIMARY KEY,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  user_id uuid NOT NULL CONSTRAINT fk_user REFERENCES auth.users(id) ON UPDATE CASCADE ON DELETE CASCADE,
  role text NOT NULL CONSTRAINT fk_role REFERENCES auth.roles(role) ON UPDATE CASCADE ON DELETE RESTRICT,
  CONSTRAINT user_roles_user_id_role_key UNIQUE (user_id, role)
);
COMMENT ON TABLE auth.user_roles IS 'Roles of users. Don''t modify its structure as Hasura Auth relies on it to function properly.';

CREATE TABLE IF NOT EXISTS auth.refresh_tokens (
  id uuid DEFAULT gen_random_uuid() NOT NULL CONSTRAINT refresh_tokens_pkey PRIMARY KEY,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  expires_at timestamp with time zone NOT NULL,
  user_id uuid NOT NULL CONSTRAINT fk_user REFERENCES auth.users(id) ON UPDATE CASCADE ON DELETE CASCADE,
  metadata jsonb,
  type text DEFAULT 'regular'::text NOT NULL
    CONSTRAINT refresh_tokens_types_fkey REFERENCES auth.refresh_token_types(value) ON UPDATE RESTRICT ON DELETE RESTRICT,
  refresh_token_hash character varying(255)
);
COMMENT ON TABLE auth.refresh_tokens IS 'User refresh tokens. Hasura auth uses them to rotate new access tokens as long as the refresh token is not expired. Don''t modify its structure as Hasura Auth relies on it to function properly.';
CREATE INDEX IF NOT EXISTS refresh_tokens_refresh_token_hash_expires_at_user_id_idx
  ON auth.refresh_tokens USING btree (refresh_token_hash, expires_at, user_id);

CREATE TABLE IF NOT EXISTS auth.user_providers (
  id uuid DEFAULT gen_random_uuid() NOT NULL CONSTRAINT user_providers_pkey PRIMARY KEY,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  user_id uuid NOT NULL CONSTRAINT fk_user REFERENCES auth.users(id) ON UPDATE CASCADE ON DELETE CASCADE,
  access_token text NOT NULL,
  refresh_token text,
  provider_id text NOT NULL CONSTRAINT fk_provider REFERENCES auth.providers(id) ON UPDATE CASCADE ON DELETE RESTRICT,
  provider_user_id text NOT NULL,
  CONSTRAINT user_providers_provider_id_provider_user_id_key UNIQUE (provider_id, provider_user_id)
);
COMMENT ON TABLE auth.user_providers IS 'Active providers for a given user. Don''t modify its structure as Hasura Auth relies on it to function properly.';

CREATE TABLE IF NOT EXISTS auth.user_security_keys (
  id uuid DEFAULT gen_random_uuid() NOT NULL CONSTRAINT user_security_keys_pkey PRIMARY KEY,
  user_id uuid NOT NULL CONSTRAINT fk_user REFERENCES auth.users(id) ON UPDATE CASCADE ON DELETE CASCADE,
  credential_id text NOT NULL CONSTRAINT user_security_key_credential_id_key UNIQUE,
  credential_public_key bytea,
  counter bigint DEFAULT 0 NOT NULL,
  transports character varying(255) DEFAULT ''::character varying NOT NULL,
  nickname text
);
COMMENT ON TABLE auth.user_security_keys IS 'User webauthn security keys. Don''t modify its structure as Hasura Auth relies on it to function properly.';

DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_trigger WHERE tgname = 'set_auth_users_updated_at' AND tgrelid = 'auth.users'::regclass) THEN
    CREATE TRIGGER set_auth_users_updated_at BEFORE UPDATE ON auth.users
      FOR EACH ROW EXECUTE FUNCTION auth.set_current_timestamp_updated_at();
  END IF;
  IF NOT EXISTS (SELECT FROM pg_trigger WHERE tgname = 'set_auth_user_providers_updated_at' AND tgrelid = 'auth.user_providers'::regclass) THEN
    CREATE TRIGGER set_auth_user_providers_updated_at BEFORE UPDATE ON auth.user_providers
      FOR EACH ROW EXECUTE FUNCTION auth.set_current_timestamp_updated_at();
  END IF;
END $$;

INSERT INTO auth.roles (role) VALUES ('user'), ('me'), ('anonymous') ON CONFLICT DO NOTHING;
INSERT INTO auth.refresh_token_types (value, comment) VALUES
  ('regular', 'Regular refresh token'), ('pat', 'Personal access token')
  ON CONFLICT DO NOTHING;
INSERT INTO auth.providers (id) VALUES
  ('github'), ('facebook'), ('twitter'), ('google'), ('apple'), ('linkedin'), ('windowslive'), ('spotify'),
  ('strava'), ('gitlab'), ('bitbucket'), ('discord'), ('twitch'), ('workos'), ('azuread'), ('entraid')
  ON CONFLICT DO NOTHING;

-- graft's own tables, never tracked in GraphQL.
CREATE TABLE IF NOT EXISTS auth.graft_keys (
  name text NOT NULL PRIMARY KEY,
  kid text NOT NULL,
  alg text NOT NULL,
  secret text NOT NULL,
  created_at timestamp with time zone DEFAULT now() NOT NULL
);
COMMENT ON TABLE auth.graft_keys IS 'graft''s signing and refresh-token keys. Secret: never expose it.';

CREATE TABLE IF NOT EXISTS auth.graft_refresh_token_history (
  refresh_token_hash character varying(255) NOT NULL PRIMARY KEY,
  refresh_token_id uuid NOT NULL REFERENCES auth.refresh_tokens(id) ON DELETE CASCADE,
  retired_at timestamp with time zone NOT NULL
);
CREATE INDEX IF NOT EXISTS graft_refresh_token_history_retired_at_idx ON auth.graft_refresh_token_history (retired_at);
CREATE INDEX IF NOT EXISTS graft_refresh_token_history_refresh_token_id_idx ON auth.graft_refresh_token_history (refresh_token_id);
