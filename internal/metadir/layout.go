package metadir

import (
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// A project is laid out as the Hasura CLI's (config.yaml beside metadata/
// and migrations/) or as Nhost's (the same under nhost/). The graft
// commands and the server's HASURA_GRAPHQL_METADATA_DIR and
// HASURA_GRAPHQL_MIGRATIONS_DIR accept either the directory itself or a
// project that holds it.

// MetadataDir returns the metadata directory for dir: dir itself when it
// holds version.yaml or databases/ (or does not exist yet); else the
// config.yaml's metadata_directory (default metadata) of a project at dir;
// else dir/metadata or dir/nhost/metadata when one exists.
func MetadataDir(dir string) string {
	if exists(filepath.Join(dir, "version.yaml")) || exists(filepath.Join(dir, "databases")) {
		return dir
	}
	return projectDir(dir, "metadata", func(c projectConfig) string { return c.MetadataDirectory })
}

// MigrationsDir returns the migrations directory for dir, found as
// MetadataDir finds the metadata directory (config.yaml's
// migrations_directory, migrations/, nhost/migrations/).
func MigrationsDir(dir string) string {
	return projectDir(dir, "migrations", func(c projectConfig) string { return c.MigrationsDirectory })
}

// projectConfig is the part of the CLI's config.yaml that moves the
// directories.
type projectConfig struct {
	MetadataDirectory   string `yaml:"metadata_directory"`
	MigrationsDirectory string `yaml:"migrations_directory"`
}

func projectDir(dir, name string, fromConfig func(projectConfig) string) string {
	for _, root := range []string{dir, filepath.Join(dir, "nhost")} {
		b, err := os.ReadFile(filepath.Join(root, "config.yaml"))
		if err != nil {
			continue
		}
		var c projectConfig
		if yaml.Unmarshal(b, &c) == nil {
			if d := fromConfig(c); d != "" {
				return filepath.Join(root, d)
			}
		}
		if exists(filepath.Join(root, name)) {
			return filepath.Join(root, name)
		}
	}
	for _, d := range []string{filepath.Join(dir, name), filepath.Join(dir, "nhost", name)} {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d
		}
	}
	return dir
}
