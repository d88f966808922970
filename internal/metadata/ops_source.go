package metadata

import (
	"encoding/json"

	"github.com/graftql/graft/internal/apierr"
)

// Source operations (hasura/graphql-engine: server/src-lib/Hasura/RQL/DDL/Schema/Source.hs).

type addSourceArgs struct {
	Name                 string               `json:"name"`
	Configuration        json.RawMessage      `json:"configuration"`
	ReplaceConfiguration bool                 `json:"replace_configuration"`
	Customization        *SourceCustomization `json:"customization"`
	HealthCheck          json.RawMessage      `json:"health_check"`
}

func addSource(md *Metadata, raw json.RawMessage, path string, _ Env) (*Change, error) {
	var a addSourceArgs
	if err := decodeArgs(raw, path, &a, "name", "configuration"); err != nil {
		return nil, err
	}
	if err := checkSourceConfiguration(a.Configuration, path+".configuration"); err != nil {
		return nil, err
	}
	if s, ok := md.Source(a.Name); ok {
		if !a.ReplaceConfiguration {
			return nil, errf(apierr.AlreadyExists, "source with name %q already exists", a.Name)
		}
		s.Configuration = a.Configuration
		if a.Customization != nil {
			s.Customization = a.Customization
		}
		if !IsNull(a.HealthCheck) {
			s.HealthCheck = a.HealthCheck
		}
		return objectChange(SourceID(a.Name))
	}
	md.Sources = append(md.Sources, &Source{
		Name:          a.Name,
		Kind:          "postgres",
		Tables:        []*Table{},
		Configuration: a.Configuration,
		Customization: a.Customization,
		HealthCheck:   nilIfNull(a.HealthCheck),
	})
	return objectChange(SourceID(a.Name))
}

func nilIfNull(b json.RawMessage) json.RawMessage {
	if IsNull(b) {
		return nil
	}
	return b
}

// checkSourceConfiguration checks the shape Hasura requires of a Postgres
// source's configuration: an object with connection_info.database_url.
func checkSourceConfiguration(raw json.RawMessage, path string) error {
	var c struct {
		ConnectionInfo json.RawMessage `json:"connection_info"`
	}
	if err := decodeArgs(raw, path, &c, "connection_info"); err != nil {
		return err
	}
	var ci struct {
		DatabaseURL json.RawMessage `json:"database_url"`
	}
	return decodeArgs(c.ConnectionInfo, path+".connection_info", &ci, "database_url")
}

type dropSourceArgs struct {
	Name    string `json:"name"`
	Cascade bool   `json:"cascade"`
}

func dropSource(md *Metadata, raw json.RawMessage, path string, _ Env) (*Change, error) {
	var a dropSourceArgs
	if err := decodeArgs(raw, path, &a, "name"); err != nil {
		return nil, err
	}
	for i, s := range md.Sources {
		if s.Name == a.Name {
			md.Sources = append(md.Sources[:i], md.Sources[i+1:]...)
			return newCheck()
		}
	}
	return nil, errf(apierr.NotExists, "source with name %q does not exist", a.Name)
}

type updateSourceArgs struct {
	Name          string               `json:"name"`
	Configuration json.RawMessage      `json:"configuration"`
	Customization *SourceCustomization `json:"customization"`
	HealthCheck   json.RawMessage      `json:"health_check"`
}

func updateSource(md *Metadata, raw json.RawMessage, path string, _ Env) (*Change, error) {
	var a updateSourceArgs
	if err := decodeArgs(raw, path, &a, "name"); err != nil {
		return nil, err
	}
	s, err := md.sourceOf(a.Name)
	if err != nil {
		return nil, err
	}
	if !IsNull(a.Configuration) {
		if err := checkSourceConfiguration(a.Configuration, path+".configuration"); err != nil {
			return nil, err
		}
		s.Configuration = a.Configuration
	}
	if a.Customization != nil {
		s.Customization = a.Customization
	}
	if !IsNull(a.HealthCheck) {
		s.HealthCheck = a.HealthCheck
	}
	return objectChange(SourceID(a.Name))
}

type renameSourceArgs struct {
	Name    string `json:"name"`
	NewName string `json:"new_name"`
}

func renameSource(md *Metadata, raw json.RawMessage, path string, _ Env) (*Change, error) {
	var a renameSourceArgs
	if err := decodeArgs(raw, path, &a, "name", "new_name"); err != nil {
		return nil, err
	}
	s, ok := md.Source(a.Name)
	if !ok {
		return nil, errf(apierr.NotExists, "Could not find source with name %q", a.Name)
	}
	if _, ok := md.Source(a.NewName); ok {
		return nil, errf(apierr.AlreadyExists, "Source with name %q already exists", a.NewName)
	}
	s.Name = a.NewName
	return newCheck()
}
