// Package listenerworker keeps the schema cache in Redis current: it LISTENs
// on the pgrst channel, debounces notifications as PostgREST does, rebuilds
// the schema cache from the catalog and publishes it as a new version.
//
// # Lifecycle
//
// Run connects the listener, issues LISTEN and then builds and publishes
// the cache (trigger "startup"), so no notification sent after the build's
// catalog snapshot can be missed. Payloads "" and "reload schema" trigger
// the debounced rebuild; anything else is ignored. When the listening
// connection is lost, Run reconnects with exponential backoff (1 s doubling,
// capped at 32 s), listens again and rebuilds (trigger "reconnect"):
// notifications sent while disconnected are lost, as in PostgREST. A failed
// rebuild keeps the published version and is retried with the same backoff.
//
// # Lost notifications
//
// The leader also compares a fingerprint of the catalog (one small query,
// see fingerprintSQL) with the one taken when its last rebuild started,
// every PGRST_WORKER_FINGERPRINT_INTERVAL_MS, and rebuilds (trigger
// "fingerprint") when they differ with no rebuild pending; and it rebuilds
// (trigger "queue") when pg_notification_queue_usage() reaches
// QueueUsageHigh. See FingerprintCheck.
package listenerworker
