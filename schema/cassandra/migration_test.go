package cassandra

import (
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
)

func TestEmbeddedMigrations(t *testing.T) {
	ms, err := Migrations()
	require.NoError(t, err)
	require.NotEmpty(t, ms)
	latest, err := LatestVersion()
	require.NoError(t, err)
	require.Equal(t, ms[len(ms)-1].Version, latest)
	// Rules from doc.go: idempotent, additive statements only.
	idempotent := regexp.MustCompile(`(?is)^(CREATE\s+(TABLE|INDEX|TYPE|CUSTOM\s+INDEX)\s+IF\s+NOT\s+EXISTS|ALTER\s+TABLE\s+\w+\s+ADD\s+IF\s+NOT\s+EXISTS|ALTER\s+TABLE\s+\w+\s+WITH|DROP\s+\w+\s+IF\s+EXISTS)\b`)
	for i, m := range ms {
		require.Equal(t, i+1, m.Version)
		require.Len(t, m.Checksum, 64, m.File)
		for j, stmt := range m.Statements {
			require.Regexp(t, idempotent, stmt, "%s statement %d is not idempotent", m.File, j+1)
			require.NotContains(t, stmt, "--", "%s statement %d kept a comment", m.File, j+1)
			require.NotRegexp(t, `(?i)\bmeridian\.`, stmt, "%s statement %d names a keyspace", m.File, j+1)
		}
	}
	// Migrations returns a copy.
	ms[0].Version = 99
	again, err := Migrations()
	require.NoError(t, err)
	require.Equal(t, 1, again[0].Version)
}

func TestInitialMigrationTables(t *testing.T) {
	ms, err := Migrations()
	require.NoError(t, err)
	var tables []string
	for _, stmt := range ms[0].Statements {
		if m := regexp.MustCompile(`(?i)^CREATE TABLE IF NOT EXISTS (\w+)`).FindStringSubmatch(stmt); m != nil {
			tables = append(tables, m[1])
		}
	}
	require.Equal(t, []string{"executions", "history_node", "history_tree", "tasks", "namespaces", "cluster_metadata", "queue_messages", "visibility"}, tables)
}

func TestSplitStatements(t *testing.T) {
	for _, c := range []struct {
		name string
		in   string
		want []string
		err  string
	}{
		{name: "Empty", in: "", want: nil},
		{name: "OnlyComments", in: "-- a; b\n// c;\n/* d; */\n", want: nil},
		{name: "Two", in: "CREATE TABLE a (x int PRIMARY KEY);\nCREATE TABLE b (y int PRIMARY KEY);", want: []string{
			"CREATE TABLE a (x int PRIMARY KEY)", "CREATE TABLE b (y int PRIMARY KEY)",
		}},
		{name: "CommentsDropped", in: "CREATE -- one; two\nTABLE /* x; */ t (a int PRIMARY KEY); -- tail", want: []string{
			"CREATE \nTABLE   t (a int PRIMARY KEY)",
		}},
		{name: "SemicolonInString", in: "ALTER TABLE t WITH comment = 'a; ''b'' -- c';", want: []string{
			"ALTER TABLE t WITH comment = 'a; ''b'' -- c'",
		}},
		{name: "SemicolonInIdentifier", in: `CREATE TABLE "odd;name" (a int PRIMARY KEY);`, want: []string{
			`CREATE TABLE "odd;name" (a int PRIMARY KEY)`,
		}},
		{name: "BlankStatements", in: ";;  ;\nDROP TABLE IF EXISTS t;;", want: []string{"DROP TABLE IF EXISTS t"}},
		{name: "Unterminated", in: "CREATE TABLE t (a int PRIMARY KEY)", err: "without a terminating semicolon"},
		{name: "UnterminatedString", in: "ALTER TABLE t WITH comment = 'oops;\n", err: "line 1: unterminated '"},
		{name: "UnterminatedComment", in: "DROP TABLE IF EXISTS t;\n/* never ends", err: "line 2: unterminated /*"},
		{name: "UnterminatedIdentifierLine", in: "-- x\n\nCREATE TABLE \"t (a int);", err: "line 3: unterminated \""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := SplitStatements(c.in)
			if c.err != "" {
				require.ErrorContains(t, err, c.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, c.want, got)
		})
	}
}

func TestLoadRejectsBadMigrationSets(t *testing.T) {
	ok := &fstest.MapFile{Data: []byte("CREATE TABLE IF NOT EXISTS t (a int PRIMARY KEY);\n")}
	for _, c := range []struct {
		name  string
		files fstest.MapFS
		err   string
	}{
		{"None", fstest.MapFS{"README.md": ok}, "no migration files"},
		{"BadName", fstest.MapFS{"1_initial.cql": ok}, `"1_initial.cql": name must look like 0001_description.cql`},
		{"UpperCaseName", fstest.MapFS{"0001_Initial.cql": ok}, "name must look like"},
		{"Zero", fstest.MapFS{"0000_initial.cql": ok}, "version must be a positive number"},
		{"Gap", fstest.MapFS{"0001_a.cql": ok, "0003_c.cql": ok}, "migration 0003_c.cql: expected version 2"},
		{"Duplicate", fstest.MapFS{"0001_a.cql": ok, "0001_b.cql": ok}, "expected version 2"},
		{"StartsAtTwo", fstest.MapFS{"0002_a.cql": ok}, "expected version 1"},
		{"Empty", fstest.MapFS{"0001_a.cql": {Data: []byte("-- nothing\n")}}, `"0001_a.cql" holds no statement`},
		{"Malformed", fstest.MapFS{"0001_a.cql": {Data: []byte("CREATE TABLE t (a int PRIMARY KEY)")}}, "0001_a.cql: line 1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := load(c.files)
			require.ErrorContains(t, err, c.err)
		})
	}

	ms, err := load(fstest.MapFS{"0002_b.cql": ok, "0001_a.cql": ok, "notes.txt": ok})
	require.NoError(t, err)
	require.Len(t, ms, 2)
	require.Equal(t, "a", ms[0].Name)
	require.Equal(t, "0002_b.cql", ms[1].File)
	require.Equal(t, ms[0].Checksum, ms[1].Checksum, "same bytes, same checksum")
	require.True(t, strings.HasPrefix(ms[0].Statements[0], "CREATE TABLE IF NOT EXISTS t"))
}
