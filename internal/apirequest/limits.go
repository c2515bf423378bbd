package apirequest

import (
	"fmt"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
)

// CheckLimits reports the first limit of l (PGRST_LIMIT_*, 0 = none)
// req exceeds as PGRST100 (400) naming the limit, its value and the setting
// that changes it; nil when req is within l. ResponseBytes is not a
// request's: the handler checks it on the response.
func CheckLimits(req *Request, l config.Limits) *pgrsterr.Error {
	var c limitCounter
	c.selectTree(req.Select, 1)
	for _, f := range req.Filters {
		c.path(f.JSONPath)
	}
	for _, o := range req.Order {
		c.path(o.JSONPath)
	}
	for i := range req.Logic {
		c.logic(&req.Logic[i], 1)
	}
	for _, x := range []struct {
		got, limit int
		what, env  string
	}{
		{c.embedDepth, l.EmbedDepth, "embedding depth", "PGRST_LIMIT_EMBED_DEPTH"},
		{c.embeds, l.Embeds, "number of embeddings", "PGRST_LIMIT_EMBEDS"},
		{c.items, l.SelectItems, "number of select items", "PGRST_LIMIT_SELECT_ITEMS"},
		{c.terms, l.LogicTerms, "number of logic conditions", "PGRST_LIMIT_LOGIC_TERMS"},
		{c.logicDepth, l.LogicDepth, "logic nesting depth", "PGRST_LIMIT_LOGIC_DEPTH"},
		{c.jsonPath, l.JSONPath, "JSON path length", "PGRST_LIMIT_JSON_PATH"},
	} {
		if x.limit > 0 && x.got > x.limit {
			return limitExceeded(x.what, x.got, x.limit, x.env)
		}
	}
	return nil
}

// limitExceeded is the PGRST100 error of a request over a limit: what is
// measured, what the request has, the limit and its setting.
func limitExceeded(what string, got, limit int, env string) *pgrsterr.Error {
	return pgrsterr.ParseError("The request exceeds a limit",
		fmt.Sprintf("The %s is %d; the limit is %d (%s)", what, got, limit, env))
}

// limitCounter measures a request for CheckLimits.
type limitCounter struct {
	embedDepth, embeds, items, terms, logicDepth, jsonPath int
}

func (c *limitCounter) path(steps []JSONStep) { c.jsonPath = max(c.jsonPath, len(steps)) }

func (c *limitCounter) selectTree(items []SelectItem, depth int) {
	for _, it := range items {
		c.items++
		c.path(it.JSONPath)
		if it.Embed != nil {
			c.embeds++
			c.embedDepth = max(c.embedDepth, depth)
			c.selectTree(it.Embed.Select, depth+1)
		}
	}
}

func (c *limitCounter) logic(t *LogicTree, depth int) {
	c.logicDepth = max(c.logicDepth, depth)
	for _, n := range t.Children {
		c.terms++
		if n.Filter != nil {
			c.path(n.Filter.JSONPath)
		}
		if n.Tree != nil {
			c.logic(n.Tree, depth+1)
		}
	}
}
