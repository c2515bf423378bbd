package listenerworker

// Role is a worker's part in a group of workers sharing one cache
// namespace.
type Role string

// The roles a worker reports on /ready and in pgrst_worker_leader.
const (
	// RoleStarting is a worker that has not yet reached the cache store
	// for the leader lease.
	RoleStarting Role = "starting"
	// RoleLeader holds the leader lease: it listens and rebuilds.
	RoleLeader Role = "leader"
	// RoleStandby waits for the leader lease, ready to take over.
	RoleStandby Role = "standby"
)
