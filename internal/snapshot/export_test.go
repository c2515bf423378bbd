package snapshot

import "github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"

// EncodeWithKeys encodes a bare cache signed with keys.
func EncodeWithKeys(sc *schemacache.SchemaCache, keys *Keys) ([]byte, error) {
	return (&Snapshot{Cache: sc, Header: Header{Schemas: sc.Schemas}}).EncodeWith(keys)
}
