//go:build unix

package cli

import (
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// devTempPrefix names the throwaway data directories of start-dev.
const devTempPrefix = "meridian-dev-"

// staleUnlockedAge is how old a temporary directory without a store lock
// must be before it counts as abandoned: a server that just created its
// directory has not opened the store yet.
const staleUnlockedAge = time.Minute

// sweepStaleDevDirs removes the temporary data directories of dev servers
// that died without cleaning up — SDK harnesses stop them with SIGKILL. A
// directory whose store lock no process holds belongs to no running server.
// It returns the directories removed.
func sweepStaleDevDirs(tmp string, now time.Time) []string {
	dirs, err := filepath.Glob(filepath.Join(tmp, devTempPrefix+"*"))
	if err != nil {
		return nil
	}
	var removed []string
	for _, d := range dirs {
		if abandoned(d, now) && os.RemoveAll(d) == nil {
			removed = append(removed, d)
		}
	}
	return removed
}

// abandoned reports whether no process holds dir's store lock (pebble's
// LOCK file, a POSIX record lock).
func abandoned(dir string, now time.Time) bool {
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		return false
	}
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_RDWR, 0)
	if err != nil {
		return os.IsNotExist(err) && now.Sub(fi.ModTime()) > staleUnlockedAge
	}
	defer func() { _ = f.Close() }()
	lock := unix.Flock_t{Type: unix.F_WRLCK, Whence: 0, Start: 0, Len: 0}
	if err := unix.FcntlFlock(f.Fd(), unix.F_SETLK, &lock); err != nil {
		return false // held by a running server
	}
	// Closing f releases the lock we just took.
	return true
}
