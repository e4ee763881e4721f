package cli

import (
	"errors"
	"fmt"
	"os"
)

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
