package main

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// guidRE is the shape of a Microsoft App ID.
var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// runTeamsPackage builds the Teams app package: teams/manifest.json with
// the bot's App ID filled in, and the two icons, zipped for upload.
func (m *Main) runTeamsPackage(args []string) error {
	fs, _ := m.flagSet("teams-package")
	appID := fs.String("app-id", m.Getenv("TEAMS_APP_ID"), "the bot's Microsoft App ID (default $TEAMS_APP_ID)")
	dir := fs.String("dir", "teams", "the folder with manifest.json, color.png and outline.png")
	out := fs.String("out", "touchbase-teams.zip", "the package to write")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !guidRE.MatchString(*appID) {
		return fmt.Errorf("--app-id %q is not a Microsoft App ID (a GUID such as 00000000-0000-0000-0000-000000000000): copy it from the Azure Bot's Configuration page", *appID)
	}
	manifest, err := os.ReadFile(filepath.Join(*dir, "manifest.json"))
	if err != nil {
		return err
	}
	filled := strings.ReplaceAll(string(manifest), "${TEAMS_APP_ID}", *appID)
	if !json.Valid([]byte(filled)) {
		return fmt.Errorf("%s is not valid JSON", filepath.Join(*dir, "manifest.json"))
	}
	return writeFileAtomic(*out, func(f *os.File) error {
		zw := zip.NewWriter(f)
		w, err := zw.Create("manifest.json")
		if err != nil {
			return err
		}
		if _, err := w.Write([]byte(filled)); err != nil {
			return err
		}
		for _, name := range []string{"color.png", "outline.png"} {
			b, err := os.ReadFile(filepath.Join(*dir, name))
			if err != nil {
				return err
			}
			w, err := zw.Create(name)
			if err != nil {
				return err
			}
			if _, err := w.Write(b); err != nil {
				return err
			}
		}
		if err := zw.Close(); err != nil {
			return err
		}
		fmt.Fprintln(m.Stdout, *out)
		return nil
	})
}
