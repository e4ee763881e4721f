package cassandra

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// files holds the numbered migrations, compiled into every binary.
//
//go:embed *.cql
var files embed.FS

// Migration is one numbered CQL file.
type Migration struct {
	// Version is the file's number: 0001_initial.cql is version 1.
	Version int
	// Name is the rest of the file name: "initial".
	Name string
	// File is the file name inside schema/cassandra.
	File string
	// Checksum is the hex SHA-256 of the file's bytes. schema_version keeps
	// it, so a changed file that was already applied somewhere is detected.
	Checksum string
	// Statements are the file's CQL statements in order, without comments
	// and without the terminating semicolons.
	Statements []string
}

// fileName is NNNN_name.cql: a zero-padded version and a lower-case name.
var fileName = regexp.MustCompile(`^(\d{4})_([a-z0-9][a-z0-9_]*)\.cql$`)

var loadEmbedded = sync.OnceValues(func() ([]Migration, error) { return load(files) })

// Migrations returns the embedded migrations in version order. An error
// means a malformed file was compiled in (the package tests catch that).
func Migrations() ([]Migration, error) {
	ms, err := loadEmbedded()
	if err != nil {
		return nil, err
	}
	return slices.Clone(ms), nil
}

// LatestVersion is the highest embedded migration version: the schema
// version a keyspace has after `meridian schema update`.
func LatestVersion() (int, error) {
	ms, err := loadEmbedded()
	if err != nil {
		return 0, err
	}
	return ms[len(ms)-1].Version, nil
}

// load reads every *.cql file of fsys's root. Versions must run 1, 2, 3, ...
// without gaps or duplicates, and every file must hold a statement.
func load(fsys fs.FS) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("schema: list migrations: %w", err)
	}
	var ms []Migration
	for _, e := range entries {
		if e.IsDir() || path.Ext(e.Name()) != ".cql" {
			continue
		}
		m := fileName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("schema: migration file %q: name must look like 0001_description.cql", e.Name())
		}
		version, err := strconv.Atoi(m[1])
		if err != nil || version <= 0 {
			return nil, fmt.Errorf("schema: migration file %q: version must be a positive number", e.Name())
		}
		raw, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("schema: read %s: %w", e.Name(), err)
		}
		stmts, err := SplitStatements(string(raw))
		if err != nil {
			return nil, fmt.Errorf("schema: %s: %w", e.Name(), err)
		}
		if len(stmts) == 0 {
			return nil, fmt.Errorf("schema: migration file %q holds no statement", e.Name())
		}
		sum := sha256.Sum256(raw)
		ms = append(ms, Migration{
			Version:    version,
			Name:       m[2],
			File:       e.Name(),
			Checksum:   hex.EncodeToString(sum[:]),
			Statements: stmts,
		})
	}
	if len(ms) == 0 {
		return nil, errors.New("schema: no migration files")
	}
	slices.SortFunc(ms, func(a, b Migration) int { return a.Version - b.Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("schema: migration %s: expected version %d (versions start at 1, without gaps or duplicates)", m.File, i+1)
		}
	}
	return ms, nil
}

// SplitStatements splits CQL text into statements at semicolons, dropping
// comments (-- and // to the end of the line, /* ... */) and blank
// statements. Semicolons inside 'string literals' (a doubled quote escapes
// a quote) and "quoted identifiers" do not split. Every statement must end with a
// semicolon; an unterminated string, identifier or comment is an error.
func SplitStatements(text string) ([]string, error) {
	var (
		stmts []string
		cur   strings.Builder
		line  = 1
	)
	flush := func() {
		if s := strings.TrimSpace(cur.String()); s != "" {
			stmts = append(stmts, s)
		}
		cur.Reset()
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		next := byte(0)
		if i+1 < len(text) {
			next = text[i+1]
		}
		switch {
		case c == '\n':
			line++
			cur.WriteByte(c)
		case (c == '-' && next == '-') || (c == '/' && next == '/'):
			for i < len(text) && text[i] != '\n' {
				i++
			}
			if i < len(text) {
				line++
				cur.WriteByte('\n')
			}
		case c == '/' && next == '*':
			start := line
			end := strings.Index(text[i+2:], "*/")
			if end < 0 {
				return nil, fmt.Errorf("line %d: unterminated /* comment", start)
			}
			line += strings.Count(text[i:i+2+end], "\n")
			i += 2 + end + 1
			cur.WriteByte(' ')
		case c == '\'' || c == '"':
			start := line
			j := i + 1
			for {
				if j >= len(text) {
					return nil, fmt.Errorf("line %d: unterminated %c", start, c)
				}
				if text[j] == c {
					if j+1 < len(text) && text[j+1] == c { // '' or "" escape
						j += 2
						continue
					}
					break
				}
				j++
			}
			line += strings.Count(text[i:j], "\n")
			cur.WriteString(text[i : j+1])
			i = j
		case c == ';':
			flush()
		default:
			cur.WriteByte(c)
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		return nil, fmt.Errorf("line %d: statement without a terminating semicolon: %.40q", line, s)
	}
	return stmts, nil
}
