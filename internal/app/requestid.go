package app

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// requestID names a request in logs and in the body of an internal error:
// the Lambda invocation's request id when there is one, else a random
// 16-hex-digit id.
func requestID(r *http.Request) string {
	if lc, ok := lambdacontext.FromContext(r.Context()); ok && lc.AwsRequestID != "" {
		return lc.AwsRequestID
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
