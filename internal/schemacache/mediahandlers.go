package schemacache

import "strings"

// MediaHandler is a custom media type handler, as PostgREST's media
// handlers: a domain named like a media type ("application/vnd.twkb",
// "text/csv", or "*/*" for any) returned by an aggregate, which turns the
// rows of a relation (or of any relation) into the body, or by a function,
// whose own result is the body.
type MediaHandler struct {
	// Media is the media type: the name of the domain the handler returns.
	Media string
	// Target is the relation whose rows the aggregate takes, or the
	// function itself for a function handler; zero for an aggregate over
	// anyelement, which serves every relation.
	Target QI
	// Aggregate is the aggregate; zero for a function handler.
	Aggregate QI
	// Binary is true when the domain is over bytea: the body is bytes.
	Binary bool
}

// mediaKey indexes handlers by what negotiation looks up.
type mediaKey struct {
	target QI
	media  string
}

// MediaHandlerFor returns the handler of media for target (a relation or
// a function; the zero QI for the anyelement handlers), or nil. Media
// types compare case-insensitively, as in Accept headers.
func (sc *SchemaCache) MediaHandlerFor(target QI, media string) *MediaHandler {
	if sc.media == nil {
		sc.Index()
	}
	return sc.media[mediaKey{target, strings.ToLower(media)}]
}

// indexMediaHandlers builds the handler index; on a clash the first wins.
func (sc *SchemaCache) indexMediaHandlers() {
	sc.media = make(map[mediaKey]*MediaHandler, len(sc.MediaHandlers))
	for i := range sc.MediaHandlers {
		h := &sc.MediaHandlers[i]
		k := mediaKey{h.Target, strings.ToLower(h.Media)}
		if _, dup := sc.media[k]; !dup {
			sc.media[k] = h
		}
	}
}
