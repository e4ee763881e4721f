package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"
	"go.temporal.io/api/temporalproto"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// outputFlag is --output/-o: text for people, json for programs.
type outputFlag struct{ format string }

func (o *outputFlag) register(fs *pflag.FlagSet) {
	fs.StringVarP(&o.format, "output", "o", "text", "output format: text or json")
}

func (o *outputFlag) validate() error {
	switch o.format {
	case "text", "json":
		return nil
	}
	return fmt.Errorf("--output %q: want text or json", o.format)
}

func (o *outputFlag) json() bool { return o.format == "json" }

// protoJSON is Temporal's JSON form of API messages, the one `temporal
// ... -o json` prints and client.HistoryFromJSON reads.
var protoJSON = temporalproto.CustomJSONMarshalOptions{Indent: "  "}

// writeProtoJSON writes one message as indented JSON.
func writeProtoJSON(w io.Writer, m proto.Message) error {
	b, err := protoJSON.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode %T: %w", m, err)
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// writeProtoJSONList writes messages as one indented JSON array.
func writeProtoJSONList[M proto.Message](w io.Writer, ms []M) error {
	raw := make([]json.RawMessage, len(ms))
	for i, m := range ms {
		b, err := temporalproto.CustomJSONMarshalOptions{}.Marshal(m)
		if err != nil {
			return fmt.Errorf("encode %T: %w", m, err)
		}
		raw[i] = b
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		return err
	}
	buf.WriteByte('\n')
	_, err = buf.WriteTo(w)
	return err
}

// formatTime prints a proto timestamp in RFC 3339 UTC, or "" when unset.
func formatTime(ts *timestamppb.Timestamp) string {
	if ts == nil {
		return ""
	}
	return ts.AsTime().UTC().Format(time.RFC3339Nano)
}

// formatDuration prints whole days as "3d" and anything else as Go does.
func formatDuration(d *durationpb.Duration) string {
	if d == nil {
		return ""
	}
	return formatGoDuration(d.AsDuration())
}

func formatGoDuration(d time.Duration) string {
	const day = 24 * time.Hour
	if d > 0 && d%day == 0 {
		return fmt.Sprintf("%dd", d/day)
	}
	return d.String()
}

// enumName turns an enum's String() such as "Registered" or
// "WorkflowExecutionStarted" into itself; it exists so every table prints
// enums the same way and "Unspecified" shows as "".
func enumName(s fmt.Stringer) string {
	name := s.String()
	if strings.EqualFold(name, "unspecified") {
		return ""
	}
	return name
}

// durationFlag is a time.Duration flag that also accepts whole days, "3d",
// as Temporal's --retention does.
type durationFlag struct{ d *time.Duration }

func (f durationFlag) String() string {
	if f.d == nil {
		return ""
	}
	return formatGoDuration(*f.d)
}

func (f durationFlag) Set(s string) error {
	d, err := parseDuration(s)
	if err != nil {
		return err
	}
	*f.d = d
	return nil
}

func (f durationFlag) Type() string { return "duration" }

// parseDuration parses a Go duration or a whole number of days ("3d").
func parseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		// 16 bits of days (179 years) cannot overflow a Duration.
		if n, err := strconv.ParseUint(days, 10, 16); err == nil {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as 72h, 30m or 3d", s)
	}
	return d, nil
}

// table lays out rows in aligned columns. It buffers everything, so the
// only write that can fail is the final one in writeTo.
type table struct {
	buf strings.Builder
	tw  *tabwriter.Writer
}

func newTable(header ...string) *table {
	t := &table{}
	t.tw = tabwriter.NewWriter(&t.buf, 0, 0, 2, ' ', 0)
	if len(header) > 0 {
		t.row(header...)
	}
	return t
}

// row adds one line. Writes into the in-memory buffer cannot fail.
func (t *table) row(cols ...string) {
	_, _ = io.WriteString(t.tw, strings.Join(cols, "\t")+"\n")
}

// field adds a "Name:  value" line of a key-value listing.
func (t *table) field(name, value string) { t.row(name+":", value) }

func (t *table) writeTo(w io.Writer) error {
	if err := t.tw.Flush(); err != nil {
		return err
	}
	_, err := io.WriteString(w, t.buf.String())
	return err
}
