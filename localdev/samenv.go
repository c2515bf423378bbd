package localdev

import (
	"encoding/json"
	"sort"
)

// SAMFunction is the logical id of the request function in template.yaml.
const SAMFunction = "ApiFunction"

// SAMEnvVars are the variables of the local stack that SAMEnvJSON passes to
// `sam local start-api`: the ones template.yaml declares for the function
// (SAM ignores any other).
var SAMEnvVars = []string{"PGRST_DB_URI", "PGRST_DB_SCHEMAS", "PGRST_DB_ANON_ROLE", "REDIS_URL", "PGRST_LOG_LEVEL"} //nolint:gochecknoglobals // fixed list

// SAMEnvJSON is the --env-vars file of `sam local start-api` for the local
// stack: {"ApiFunction": {NAME: value}} with the SAMEnvVars that getenv
// returns non-empty.
func SAMEnvJSON(getenv func(string) string) ([]byte, error) {
	vars := map[string]string{}
	names := append([]string(nil), SAMEnvVars...)
	sort.Strings(names)
	for _, k := range names {
		if v := getenv(k); v != "" {
			vars[k] = v
		}
	}
	b, err := json.MarshalIndent(map[string]map[string]string{SAMFunction: vars}, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
