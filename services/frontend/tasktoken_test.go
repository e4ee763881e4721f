package frontend

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	tokenspb "github.com/meridian-dev/meridian/common/commonpb"
)

func TestDecodeTaskToken(t *testing.T) {
	good := &tokenspb.TaskToken{NamespaceId: "ns", WorkflowId: "wf", RunId: fakeRunID, ScheduledEventId: 5, Attempt: 1}
	b, err := proto.Marshal(good)
	require.NoError(t, err)
	tok, err := decodeTaskToken(b)
	require.NoError(t, err)
	require.True(t, proto.Equal(good, tok))

	noNamespace, _ := proto.Marshal(&tokenspb.TaskToken{WorkflowId: "wf"})
	noWorkflow, _ := proto.Marshal(&tokenspb.TaskToken{NamespaceId: "ns"})
	for name, in := range map[string][]byte{
		"nil":          nil,
		"empty":        {},
		"garbage":      []byte("\xff\xff\xff\xff"),
		"text":         []byte("not a token"),
		"no namespace": noNamespace,
		"no workflow":  noWorkflow,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := decodeTaskToken(in)
			requireInvalid(t, err, "Error deserializing task token.")
		})
	}
}

func TestDecodeQueryTaskToken(t *testing.T) {
	good := &tokenspb.QueryTaskToken{NamespaceId: "ns", TaskQueue: "q", QueryId: "id"}
	b, _ := proto.Marshal(good)
	tok, err := decodeQueryTaskToken(b)
	require.NoError(t, err)
	require.True(t, proto.Equal(good, tok))

	// A workflow task token is not a query task token.
	wft, _ := proto.Marshal(&tokenspb.TaskToken{NamespaceId: "ns", WorkflowId: "wf"})
	noQueue, _ := proto.Marshal(&tokenspb.QueryTaskToken{NamespaceId: "ns", QueryId: "id"})
	for name, in := range map[string][]byte{"empty": nil, "garbage": []byte("\xff\x01"), "task token": wft, "no queue": noQueue} {
		t.Run(name, func(t *testing.T) {
			_, err := decodeQueryTaskToken(in)
			requireInvalid(t, err, "Error deserializing task token.")
		})
	}
}

func TestActivityTokenByID(t *testing.T) {
	tok := activityTokenByID("ns", "wf", "", "a1")
	require.True(t, proto.Equal(&tokenspb.TaskToken{NamespaceId: "ns", WorkflowId: "wf", ActivityId: "a1"}, tok))
	require.Zero(t, tok.GetScheduledEventId())
}

func TestUUID(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		u := newUUID()
		require.True(t, isUUID(u), u)
		require.Equal(t, byte('4'), u[14], "version 4: %s", u)
		require.Contains(t, "89ab", string(u[19]), "variant: %s", u)
		require.False(t, seen[u])
		seen[u] = true
	}
	for s, want := range map[string]bool{
		fakeRunID:                              true,
		strings.ToUpper(fakeRunID):             true,
		strings.ReplaceAll(fakeRunID, "-", ""): true,
		"":                                     false,
		"invalid-run-id":                       false,
		fakeRunID + "0":                        false,
		"{" + fakeRunID + "}":                  false,
		"11111111-2222-4333-8444-55555555555g": false,
		"11111111_2222_4333_8444_555555555555": false,
	} {
		require.Equal(t, want, isUUID(s), s)
	}
}
