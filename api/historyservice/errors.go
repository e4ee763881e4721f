package historyservice

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ShardNotOwnedError is returned by a history host for a request about a
// shard it does not own: the ring gives the shard to another host, the host
// is handing the shard over, or it lost the shard and has not taken it back.
// The request did nothing; it is safe to send it again, to Owner.
//
// Owner is the ring member name (ring.Member.Name) of the host that owns the
// shard as the answering host sees it, or "" when it does not know. Rings
// converge within seconds, so a caller may be sent back and forth for that
// long and should retry with backoff.
//
// The error crosses gRPC as Unavailable (retryable by every caller,
// SDKs included) with an errdetails.ErrorInfo detail (Reason
// ShardNotOwnedReason, Domain ErrorDomain, Metadata "shard_id" and
// "owner") and a message starting with ShardNotOwnedPrefix. AsShardNotOwned
// recognizes it on either side of a gRPC call.
type ShardNotOwnedError struct {
	ShardID int32
	Owner   string
}

const (
	// ErrorDomain is the ErrorInfo domain of Meridian's history errors.
	ErrorDomain = "history.meridian.dev"
	// ShardNotOwnedReason is the ErrorInfo reason of ShardNotOwnedError.
	ShardNotOwnedReason = "SHARD_NOT_OWNED"
	// ShardNotOwnedPrefix starts the message of ShardNotOwnedError.
	ShardNotOwnedPrefix = "shard not owned"

	ownerSep = ", owner "
)

func (e *ShardNotOwnedError) Error() string {
	if e.Owner == "" {
		return fmt.Sprintf("%s: shard %d (owner unknown)", ShardNotOwnedPrefix, e.ShardID)
	}
	return fmt.Sprintf("%s: shard %d%s%s", ShardNotOwnedPrefix, e.ShardID, ownerSep, e.Owner)
}

// GRPCStatus lets the error cross a gRPC boundary as Unavailable, with the
// shard and its owner in an ErrorInfo detail.
func (e *ShardNotOwnedError) GRPCStatus() *status.Status {
	st := status.New(codes.Unavailable, e.Error())
	md := map[string]string{"shard_id": strconv.FormatInt(int64(e.ShardID), 10)}
	if e.Owner != "" {
		md["owner"] = e.Owner
	}
	withDetail, err := st.WithDetails(&errdetails.ErrorInfo{Reason: ShardNotOwnedReason, Domain: ErrorDomain, Metadata: md})
	if err != nil {
		return st
	}
	return withDetail
}

// Status makes the error a go.temporal.io/api serviceerror.ServiceError, so
// that the frontend's error classification passes it through unchanged.
func (e *ShardNotOwnedError) Status() *status.Status { return e.GRPCStatus() }

// AsShardNotOwned reports whether err is a ShardNotOwnedError, returned
// in-process (possibly wrapped) or received over gRPC (a status error, or a
// serviceerror built from one), and returns the owner it names ("" when
// unknown).
func AsShardNotOwned(err error) (owner string, ok bool) {
	if err == nil {
		return "", false
	}
	var sno *ShardNotOwnedError
	if errors.As(err, &sno) {
		return sno.Owner, true
	}
	var st *status.Status
	var withStatus interface{ Status() *status.Status }
	if errors.As(err, &withStatus) {
		st = withStatus.Status()
	} else if s, isStatus := status.FromError(err); isStatus {
		st = s
	}
	if st == nil || st.Code() != codes.Unavailable {
		return "", false
	}
	for _, d := range st.Details() {
		if info, isInfo := d.(*errdetails.ErrorInfo); isInfo && info.GetReason() == ShardNotOwnedReason && info.GetDomain() == ErrorDomain {
			return info.GetMetadata()["owner"], true
		}
	}
	// A hop that kept only the message (no details).
	msg, found := strings.CutPrefix(st.Message(), ShardNotOwnedPrefix+": ")
	if !found {
		return "", false
	}
	if _, o, hasOwner := strings.Cut(msg, ownerSep); hasOwner {
		return o, true
	}
	return "", true
}
