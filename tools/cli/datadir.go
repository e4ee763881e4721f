package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// defaultDataDir is where start-dev keeps its data when neither
// --data-dir nor --db-filename is given: $XDG_DATA_HOME/meridian/dev, or
// ~/.local/share/meridian/dev when XDG_DATA_HOME is unset, following the
// XDG base-directory convention.
func (a *App) defaultDataDir() (string, error) {
	if xdg := a.Getenv("XDG_DATA_HOME"); xdg != "" && filepath.IsAbs(xdg) {
		return filepath.Join(xdg, "meridian", "dev"), nil
	}
	home, err := a.UserHomeDir()
	if err != nil || home == "" {
		return "", fmt.Errorf("--data-dir: no default data directory (set XDG_DATA_HOME or HOME, or pass --data-dir): %v", err)
	}
	return filepath.Join(home, ".local", "share", "meridian", "dev"), nil
}

// checkDataDir rejects a path that exists but is not a directory, such as
// a Temporal SQLite file passed to --db-filename. A missing path is fine:
// the server creates it.
func checkDataDir(flag, dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("%s %s: %w", flag, dir, err)
	case !fi.IsDir():
		return fmt.Errorf("%s %s: exists and is not a directory; Meridian keeps its data in a directory "+
			"(it cannot open a Temporal SQLite file): pass a new path", flag, dir)
	}
	return nil
}
