// Package apirequest is PostgREST's ApiRequest stage: it turns an HTTP
// request into a Request — the target, the select tree, filters, order and
// paging, preferences, Accept entries, RPC arguments and write payloads —
// or a PostgREST error (PGRST100–106, PGRST117, PGRST125). Pure parsing:
// no schema cache, no database.
package apirequest
