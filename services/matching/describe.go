package matching

import (
	"context"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/meridian-dev/meridian/api/matchingservice"
)

// DescribeTaskQueue reports a partition's recent pollers and, when asked,
// its backlog status. Both the default (legacy) mode used by `temporal
// task-queue describe` and the deprecated ENHANCED mode are answered; build
// IDs are not supported, so ENHANCED reports the unversioned queue ("").
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
		if _, _, err := partitionOf("request.task_queue", req.GetNamespaceId(), d.GetTaskQueue(), enumspb.TASK_QUEUE_TYPE_WORKFLOW); err != nil {
			return nil, err
		}
		return &matchingservice.DescribeTaskQueueResponse{Response: &workflowservice.DescribeTaskQueueResponse{}}, nil
	}
	key, kind, err := partitionOf("request.task_queue", req.GetNamespaceId(), d.GetTaskQueue(), taskType)
	if err != nil {
		return nil, err
	}
	m, err := s.getManager(ctx, key, kind)
	if err != nil {
		return nil, err
	}
	defer m.release()
	st := m.describe()
	resp := &workflowservice.DescribeTaskQueueResponse{Pollers: st.pollers}
	if d.GetReportStats() {
		resp.Stats = st.stats
	}
	if d.GetIncludeTaskQueueStatus() { //nolint:staticcheck // legacy status, still read by `temporal task-queue describe`
		resp.TaskQueueStatus = st.status //nolint:staticcheck // as above
	}
	return &matchingservice.DescribeTaskQueueResponse{Response: resp}, nil
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
		key, kind, err := partitionOf("request.task_queue", namespaceID, d.GetTaskQueue(), tt)
		if err != nil {
			return nil, err
		}
		m, err := s.getManager(ctx, key, kind)
		if err != nil {
			return nil, err
		}
		st := m.describe()
		m.release()
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
