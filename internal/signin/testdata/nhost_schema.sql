-- The auth schema as Nhost Auth (golang-migrate version 19) leaves it,
-- abridged from nhost/hasura-auth: go/sql/auth_schema_dump.sql, with
-- locale still varchar(2) and a user whose password Nhost hashed with
-- bcrypt ("nhost-password").
CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;
CREATE SCHEMA auth;
CREATE DOMAIN auth.email AS public.citext
  CONSTRAINT email_check CHECK ((VALUE OPERATOR(public.~) '^[a-zA-Z0-9.!#$%&''*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$'::public.citext));
CREATE TABLE auth.schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);
INSERT INTO auth.schema_migrations VALUES (19, false);
CREATE TABLE auth.roles (role text NOT NULL PRIMARY KEY);
CREATE TABLE auth.providers (id text NOT NULL PRIMARY KEY);
CREATE TABLE auth.provider_requests (id uuid NOT NULL PRIMARY KEY, options jsonb);
CREATE TABLE auth.refresh_token_types (value text NOT NULL PRIMARY KEY, comment text);
CREATE TABLE auth.users (
    id uuid DEFAULT public.gen_random_uuid() NOT NULL PRIMARY KEY,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    last_seen timestamp with time zone,
    disabled boolean DEFAULT false NOT NULL,
    display_name text DEFAULT ''::text NOT NULL,
    avatar_url text DEFAULT ''::text NOT NULL,
    locale character varying(2) NOT NULL,
    email auth.email CONSTRAINT users_email_key UNIQUE,
    phone_number text CONSTRAINT users_phone_number_key UNIQUE,
    password_hash text,
    email_verified boolean DEFAULT false NOT NULL,
    phone_number_verified boolean DEFAULT false NOT NULL,
    new_email auth.email,
    otp_method_last_used text,
    otp_hash text,
    otp_hash_expires_at timestamp with time zone DEFAULT now() NOT NULL,
    default_role text DEFAULT 'user'::text NOT NULL CONSTRAINT fk_default_role REFERENCES auth.roles(role) ON UPDATE CASCADE ON DELETE RESTRICT,
    is_anonymous boolean DEFAULT false NOT NULL,
    totp_secret text,
    active_mfa_type text,
    ticket text,
    ticket_expires_at timestamp with time zone DEFAULT now() NOT NULL,
    metadata jsonb,
    webauthn_current_challenge text,
    CONSTRAINT active_mfa_types_check CHECK (((active_mfa_type = 'totp'::text) OR (active_mfa_type = 'sms'::text)))
);
CREATE TABLE auth.user_roles (
    id uuid DEFAULT public.gen_random_uuid() NOT NULL PRIMARY KEY,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    user_id uuid NOT NULL CONSTRAINT fk_user REFERENCES auth.users(id) ON UPDATE CASCADE ON DELETE CASCADE,
    role text NOT NULL CONSTRAINT fk_role REFERENCES auth.roles(role) ON UPDATE CASCADE ON DELETE RESTRICT,
    CONSTRAINT user_roles_user_id_role_key UNIQUE (user_id, role)
);
CREATE TABLE auth.refresh_tokens (
    id uuid DEFAULT gen_random_uuid() NOT NULL PRIMARY KEY,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    user_id uuid NOT NULL CONSTRAINT fk_user REFERENCES auth.users(id) ON UPDATE CASCADE ON DELETE CASCADE,
    metadata jsonb,
    type text DEFAULT 'regular'::text NOT NULL CONSTRAINT refresh_tokens_types_fkey REFERENCES auth.refresh_token_types(value),
    refresh_token_hash character varying(255)
);
CREATE INDEX refresh_tokens_refresh_token_hash_expires_at_user_id_idx ON auth.refresh_tokens USING btree (refresh_token_hash, expires_at, user_id);
CREATE TABLE auth.user_providers (
    id uuid DEFAULT public.gen_random_uuid() NOT NULL PRIMARY KEY,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    user_id uuid NOT NULL REFERENCES auth.users(id) ON UPDATE CASCADE ON DELETE CASCADE,
    access_token text NOT NULL,
    refresh_token text,
    provider_id text NOT NULL REFERENCES auth.providers(id) ON UPDATE CASCADE ON DELETE RESTRICT,
    provider_user_id text NOT NULL
);
CREATE TABLE auth.user_security_keys (
    id uuid DEFAULT public.gen_random_uuid() NOT NULL PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES auth.users(id) ON UPDATE CASCADE ON DELETE CASCADE,
    credential_id text NOT NULL UNIQUE,
    credential_public_key bytea,
    counter bigint DEFAULT 0 NOT NULL,
    transports character varying(255) DEFAULT ''::character varying NOT NULL,
    nickname text
);
INSERT INTO auth.roles VALUES ('user'), ('me'), ('anonymous');
INSERT INTO auth.refresh_token_types VALUES ('regular', 'Regular refresh token'), ('pat', 'Personal access token');
INSERT INTO auth.users (id, email, password_hash, locale, email_verified)
  VALUES ('8f9023b0-578f-43ef-a242-0a21006d9fe9', 'nhost@example.com', '$2a$10$PLACEHOLDER', 'en', true);
INSERT INTO auth.user_roles (user_id, role) VALUES ('8f9023b0-578f-43ef-a242-0a21006d9fe9', 'user'), ('8f9023b0-578f-43ef-a242-0a21006d9fe9', 'me');
-- A session Nhost issued: refresh token 8beb30da-4e0a-435b-bf2e-d935ab1b29df.
INSERT INTO auth.refresh_tokens (user_id, expires_at, refresh_token_hash)
  VALUES ('8f9023b0-578f-43ef-a242-0a21006d9fe9', now() + interval '30 days', sha256('8beb30da-4e0a-435b-bf2e-d935ab1b29df'::bytea)::text);
