package matching

import (
	"context"
	"sort"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/meridian-dev/meridian/api/matchingservice"
)

// DescribeTaskQueue reports a task queue's recent pollers and, when asked,
// its backlog status. Both the default (legacy) mode used by `temporal
// task-queue describe` and the deprecated ENHANCED mode are answered; build
// IDs are not supported, so ENHANCED reports the unversioned queue ("").
// The root partition of a queue with several partitions reports them all
// (see mergeStatus); single_partition asks for one partition alone.
func (s *Service) DescribeTaskQueue(ctx context.Context, req *matchingservice.DescribeTaskQueueRequest) (*matchingservice.DescribeTaskQueueResponse, error) {
	if req == nil || req.GetRequest() == nil {
		return nil, invalidArgf("request is not set")
	}
	d := req.GetRequest()
	if d.GetApiMode() == enumspb.DESCRIBE_TASK_QUEUE_MODE_ENHANCED { //nolint:staticcheck // deprecated ENHANCED mode is still sent by older CLIs
		return s.describeEnhanced(ctx, req.GetNamespaceId(), d)
	}
	taskType := d.GetTaskQueueType()
	if taskType == enumspb.TASK_QUEUE_TYPE_UNSPECIFIED {
		taskType = enumspb.TASK_QUEUE_TYPE_WORKFLOW
	}
	if taskType == enumspb.TASK_QUEUE_TYPE_NEXUS {
		// Meridian has no Nexus task queues: nobody polls them.
		if _, _, err := partitionOf("request.task_queue", req.GetNamespaceId(), d.GetTaskQueue(), enumspb.TASK_QUEUE_TYPE_WORKFLOW, 0); err != nil {
			return nil, err
		}
		return &matchingservice.DescribeTaskQueueResponse{Response: &workflowservice.DescribeTaskQueueResponse{}}, nil
	}
	key, kind, err := partitionOf("request.task_queue", req.GetNamespaceId(), d.GetTaskQueue(), taskType, req.GetPartition())
	if err != nil {
		return nil, err
	}
	var st partitionStatus
	if req.GetSinglePartition() || key.partition != 0 {
		st, err = s.describePartition(ctx, key, kind)
	} else {
		st, err = s.describeQueue(ctx, key, kind, d.GetNamespace())
	}
	if err != nil {
		return nil, err
	}
	resp := &workflowservice.DescribeTaskQueueResponse{Pollers: st.pollers}
	if d.GetReportStats() {
		resp.Stats = st.stats
	}
	if d.GetIncludeTaskQueueStatus() { //nolint:staticcheck // legacy status, still read by `temporal task-queue describe`
		resp.TaskQueueStatus = st.status //nolint:staticcheck // as above
	}
	return &matchingservice.DescribeTaskQueueResponse{Response: resp}, nil
}

// describePartition is one partition's status, served by this host.
func (s *Service) describePartition(ctx context.Context, key partitionKey, kind enumspb.TaskQueueKind) (partitionStatus, error) {
	m, err := s.getManager(ctx, key, kind)
	if err != nil {
		return partitionStatus{}, err
	}
	defer m.release()
	return m.describe(), nil
}

// describeQueue is the status of every partition of root's queue: root's
// own (served here), merged with the others' asked through Deps.Forward. A
// partition that cannot be asked is left out (and logged), so that one
// unreachable host does not hide the rest.
func (s *Service) describeQueue(ctx context.Context, root partitionKey, kind enumspb.TaskQueueKind, namespace string) (partitionStatus, error) {
	st, err := s.describePartition(ctx, root, kind)
	if err != nil || kind != enumspb.TASK_QUEUE_KIND_NORMAL || s.forward == nil {
		return st, err
	}
	n := s.cfg.PartitionCount(root.name)
	for p := 1; p < n; p++ {
		resp, err := s.forward.DescribeTaskQueue(ctx, &matchingservice.DescribeTaskQueueRequest{
			NamespaceId: root.namespaceID,
			Request: &workflowservice.DescribeTaskQueueRequest{
				Namespace:              namespace,
				TaskQueue:              &taskqueuepb.TaskQueue{Name: root.name, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
				TaskQueueType:          root.taskType,
				ReportStats:            true,
				IncludeTaskQueueStatus: true, //nolint:staticcheck // the legacy status carries the backlog hint and rate
			},
			Partition:       int32(p),
			SinglePartition: true,
		})
		if err != nil {
			if ctx.Err() != nil {
				return partitionStatus{}, ctxError(ctx)
			}
			s.logger.Warn("describing a task queue partition failed", zap.String("task_queue", root.name),
				zap.Stringer("task_type", root.taskType), zap.Int("partition", p), zap.Error(err))
			continue
		}
		st = mergeStatus(st, statusOf(resp.GetResponse()))
	}
	return st, nil
}

// describeType is the status of every partition of a task queue type for
// ENHANCED mode: here if this host serves its root, else from the host
// that does.
func (s *Service) describeType(ctx context.Context, key partitionKey, kind enumspb.TaskQueueKind, namespace string) (partitionStatus, error) {
	if s.forward == nil || s.owns(key) {
		return s.describeQueue(ctx, key, kind, namespace)
	}
	resp, err := s.forward.DescribeTaskQueue(ctx, &matchingservice.DescribeTaskQueueRequest{
		NamespaceId: key.namespaceID,
		Request: &workflowservice.DescribeTaskQueueRequest{
			Namespace:              namespace,
			TaskQueue:              &taskqueuepb.TaskQueue{Name: key.name, Kind: kind},
			TaskQueueType:          key.taskType,
			ReportStats:            true,
			IncludeTaskQueueStatus: true, //nolint:staticcheck // as in describeQueue
		},
	})
	if err != nil {
		return partitionStatus{}, err
	}
	return statusOf(resp.GetResponse()), nil
}

func (s *Service) describeEnhanced(ctx context.Context, namespaceID string, d *workflowservice.DescribeTaskQueueRequest) (*matchingservice.DescribeTaskQueueResponse, error) {
	if d.GetTaskQueue().GetKind() == enumspb.TASK_QUEUE_KIND_STICKY {
		return nil, invalidArgf("sticky task queues are not supported in ENHANCED mode")
	}
	types := d.GetTaskQueueTypes() //nolint:staticcheck // ENHANCED mode field
	if len(types) == 0 {
		types = []enumspb.TaskQueueType{enumspb.TASK_QUEUE_TYPE_WORKFLOW, enumspb.TASK_QUEUE_TYPE_ACTIVITY}
	}
	info := &taskqueuepb.TaskQueueVersionInfo{
		TypesInfo:        make(map[int32]*taskqueuepb.TaskQueueTypeInfo, len(types)),
		TaskReachability: enumspb.BUILD_ID_TASK_REACHABILITY_UNSPECIFIED,
	}
	for _, tt := range types {
		if tt == enumspb.TASK_QUEUE_TYPE_NEXUS {
			info.TypesInfo[int32(tt)] = &taskqueuepb.TaskQueueTypeInfo{}
			continue
		}
		key, kind, err := partitionOf("request.task_queue", namespaceID, d.GetTaskQueue(), tt, 0)
		if err != nil {
			return nil, err
		}
		st, err := s.describeType(ctx, key, kind, d.GetNamespace())
		if err != nil {
			return nil, err
		}
		ti := &taskqueuepb.TaskQueueTypeInfo{}
		if d.GetReportPollers() { //nolint:staticcheck // ENHANCED mode field
			ti.Pollers = st.pollers
		}
		if d.GetReportStats() {
			ti.Stats = st.stats
		}
		info.TypesInfo[int32(tt)] = ti
	}
	return &matchingservice.DescribeTaskQueueResponse{Response: &workflowservice.DescribeTaskQueueResponse{
		VersionsInfo: map[string]*taskqueuepb.TaskQueueVersionInfo{"": info}, //nolint:staticcheck // ENHANCED mode answer
	}}, nil
}

// partitionStatus is a consistent view of one partition for describe.
type partitionStatus struct {
	pollers []*taskqueuepb.PollerInfo
	stats   *taskqueuepb.TaskQueueStats
	status  *taskqueuepb.TaskQueueStatus
}

func (m *taskQueueManager) describe() partitionStatus {
	now := m.clock.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	backlog := m.backlogSizeLocked()
	var age time.Duration
	if len(m.buffer) > 0 {
		if ct := m.buffer[0].info.GetCreateTime(); ct != nil && now.After(ct.AsTime()) {
			age = now.Sub(ct.AsTime())
		}
	}
	return partitionStatus{
		pollers: m.pollers.snapshot(now, m.cfg.PollerHistoryTTL),
		stats: &taskqueuepb.TaskQueueStats{
			ApproximateBacklogCount: backlog,
			ApproximateBacklogAge:   durationpb.New(age),
		},
		status: &taskqueuepb.TaskQueueStatus{
			BacklogCountHint: backlog,
			ReadLevel:        m.acks.readLevel,
			AckLevel:         m.acks.ackLevel(),
			RatePerSecond:    m.pollers.minRate(),
			TaskIdBlock: &taskqueuepb.TaskIdBlock{
				StartId: m.statusRangeID << m.cfg.idBlockBits,
				EndId:   m.statusBlockEnd - 1,
			},
		},
	}
}

// statusOf reads a partition's status from a legacy-mode describe answer.
func statusOf(r *workflowservice.DescribeTaskQueueResponse) partitionStatus {
	return partitionStatus{pollers: r.GetPollers(), stats: r.GetStats(), status: r.GetTaskQueueStatus()} //nolint:staticcheck // legacy status
}

// mergeStatus combines two partitions' statuses into the queue's: pollers
// by identity (the latest access wins; most recent first), backlog counts
// summed, the oldest backlog age, the lowest positive rate limit. The read
// level, ack level and task-ID block are a's (the root's): they number one
// partition's backlog and mean nothing summed.
func mergeStatus(a, b partitionStatus) partitionStatus {
	byID := make(map[string]*taskqueuepb.PollerInfo, len(a.pollers)+len(b.pollers))
	for _, p := range append(append([]*taskqueuepb.PollerInfo(nil), a.pollers...), b.pollers...) {
		if q, ok := byID[p.GetIdentity()]; !ok || p.GetLastAccessTime().AsTime().After(q.GetLastAccessTime().AsTime()) {
			byID[p.GetIdentity()] = p
		}
	}
	pollers := make([]*taskqueuepb.PollerInfo, 0, len(byID))
	for _, p := range byID {
		pollers = append(pollers, p)
	}
	sort.Slice(pollers, func(i, j int) bool {
		ti, tj := pollers[i].GetLastAccessTime().AsTime(), pollers[j].GetLastAccessTime().AsTime()
		if !ti.Equal(tj) {
			return ti.After(tj)
		}
		return pollers[i].GetIdentity() < pollers[j].GetIdentity()
	})
	out := partitionStatus{pollers: pollers, stats: a.stats, status: a.status}
	if b.stats != nil {
		if out.stats == nil {
			out.stats = &taskqueuepb.TaskQueueStats{ApproximateBacklogAge: durationpb.New(0)}
		}
		age := out.stats.GetApproximateBacklogAge().AsDuration()
		if bAge := b.stats.GetApproximateBacklogAge().AsDuration(); bAge > age {
			age = bAge
		}
		out.stats = &taskqueuepb.TaskQueueStats{
			ApproximateBacklogCount: out.stats.GetApproximateBacklogCount() + b.stats.GetApproximateBacklogCount(),
			ApproximateBacklogAge:   durationpb.New(age),
		}
	}
	if b.status != nil && out.status != nil {
		st := proto.Clone(out.status).(*taskqueuepb.TaskQueueStatus)
		st.BacklogCountHint += b.status.GetBacklogCountHint()
		if r := b.status.GetRatePerSecond(); r > 0 && (st.RatePerSecond == 0 || r < st.RatePerSecond) {
			st.RatePerSecond = r
		}
		out.status = st
	}
	return out
}
