package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// ErrHelp is returned by [Load] when the command line asks for help
// (-h, --help); main then prints [Usage] and exits successfully.
var ErrHelp = flag.ErrHelp

// Load reads the configuration from the environment (getenv, normally
// os.Getenv) and the command line (args, normally os.Args[1:]), starting
// from [DefaultConfig], and validates it (see [Config.Validate]).
//
// The command line is "[flags] [serve [flags]]": no command means serve,
// and flags may also come before the command, as in Hasura
// ("graphql-engine --database-url URL serve"). main dispatches any other
// command before calling Load. A flag wins over its environment
// variable; an empty variable counts as unset.
//
// A bad value gives one line that names the setting, as in
// `HASURA_GRAPHQL_SERVER_PORT: "abc" is not a valid port`.
func Load(getenv func(string) string, args []string) (Config, error) {
	c := DefaultConfig()
	for _, s := range settings {
		v := getenv(s.env)
		if v == "" {
			continue
		}
		if err := s.set(&c, v); err != nil {
			return Config{}, fmt.Errorf("%s: %w", s.env, err)
		}
	}

	given := map[*setting]string{} // flag values, in any order
	global := newFlagSet("graft", given)
	if err := global.Parse(args); err != nil {
		return Config{}, flagError(err)
	}
	rest := global.Args()
	if len(rest) > 0 {
		if rest[0] != "serve" {
			return Config{}, fmt.Errorf("unknown command %q: graft knows serve (see graft serve --help)", rest[0])
		}
		serve := newFlagSet("graft serve", given)
		if err := serve.Parse(rest[1:]); err != nil {
			return Config{}, flagError(err)
		}
		if extra := serve.Args(); len(extra) > 0 {
			return Config{}, fmt.Errorf("graft serve: unexpected argument %q (see graft serve --help)", extra[0])
		}
	}

	for i := range settings {
		s := &settings[i]
		v, ok := given[s]
		if !ok {
			continue
		}
		if s.env == "HASURA_GRAPHQL_ACCESS_KEY" {
			// --admin-secret wins over --access-key; either wins over the environment.
			if _, both := given[settingByEnv("HASURA_GRAPHQL_ADMIN_SECRET")]; both {
				continue
			}
			c.AdminSecret = Secret(v)
			continue
		}
		if err := s.set(&c, v); err != nil {
			return Config{}, fmt.Errorf("--%s: %w", s.flags[0], err)
		}
	}
	// The demo shows the whole product: the sign-in service is on unless
	// GRAFT_AUTH_ENABLED says otherwise.
	if c.DemoMode() && getenv("GRAFT_AUTH_ENABLED") == "" {
		c.AuthEnabled = true
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

func settingByEnv(env string) *setting {
	for i := range settings {
		if settings[i].env == env {
			return &settings[i]
		}
	}
	return nil
}

func flagError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return ErrHelp
	}
	return fmt.Errorf("%w (see graft serve --help)", err)
}

// newFlagSet registers the flags of all settings. Values are recorded in
// given and applied after parsing, so that errors name the flag in graft's
// words rather than the flag package's.
func newFlagSet(name string, given map[*setting]string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	for i := range settings {
		s := &settings[i]
		for _, f := range s.flags {
			fs.Var(&rawValue{s: s, given: given}, f, s.help)
		}
	}
	return fs
}

// rawValue is a flag.Value that records the raw string.
type rawValue struct {
	s     *setting
	given map[*setting]string
}

// String is part of the flag.Value interface.
func (v *rawValue) String() string { return "" }

// Set is part of the flag.Value interface.
func (v *rawValue) Set(s string) error {
	v.given[v.s] = s
	return nil
}

// IsBoolFlag is part of the flag package's boolFlag interface: a switch
// takes no value.
func (v *rawValue) IsBoolFlag() bool { return v.s.isSwitch }

// Usage returns the help text of "graft serve": every flag with its
// environment variable, then the settings that exist only as environment
// variables.
func Usage() string {
	var b strings.Builder
	b.WriteString(`Usage: graft [--database-url URL] [serve] [flags]

Serves a GraphQL API for a PostgreSQL database, compatible with Hasura GraphQL
Engine v2. Each flag can also be given as the environment variable shown with
it; the flag wins. Without a database URL, graft starts a private PostgreSQL
with a demo data set.

Flags:
`)
	for _, s := range settings {
		if len(s.flags) == 0 {
			continue
		}
		var names []string
		for _, f := range s.flags {
			if len(f) == 1 {
				names = append(names, "-"+f)
			} else {
				names = append(names, "--"+f)
			}
		}
		line := "  " + strings.Join(names, ", ")
		if s.metavar != "" {
			line += " " + s.metavar
		}
		fmt.Fprintf(&b, "%s\n      %s\n      env: %s\n", line, s.help, s.env)
	}
	b.WriteString("\nEnvironment only:\n")
	for _, s := range settings {
		if len(s.flags) > 0 {
			continue
		}
		fmt.Fprintf(&b, "  %s %s\n      %s\n", s.env, s.metavar, s.help)
	}
	return b.String()
}
