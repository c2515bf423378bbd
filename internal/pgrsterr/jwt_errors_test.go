package pgrsterr

import "testing"

func TestJWTErrors(t *testing.T) {
	for _, tc := range []struct {
		e               *Error
		status          int
		code, body      string
		wwwAuthenticate string
	}{
		{JWTSecretMissing(nil), 500, "PGRST300",
			`{"code":"PGRST300","details":null,"hint":null,"message":"Server lacks JWT secret"}`, ""},
		{JWTDecode(MsgJWTEmpty, nil), 401, "PGRST301",
			`{"code":"PGRST301","details":null,"hint":null,"message":"Empty JWT is sent in Authorization header"}`,
			`Bearer error="invalid_token", error_description="Empty JWT is sent in Authorization header"`},
		{JWTParts(2), 401, "PGRST301",
			`{"code":"PGRST301","details":null,"hint":null,"message":"Expected 3 parts in JWT; got 2"}`,
			`Bearer error="invalid_token", error_description="Expected 3 parts in JWT; got 2"`},
		{JWTDecode(MsgJWTNoSuitableKey, "None of the keys was able to decode the JWT"), 401, "PGRST301",
			`{"code":"PGRST301","details":"None of the keys was able to decode the JWT","hint":null,"message":"No suitable key or wrong key type"}`,
			`Bearer error="invalid_token", error_description="No suitable key or wrong key type"`},
		{JWTClaims(MsgJWTExpired, "Invalid by 31 seconds"), 401, "PGRST303",
			`{"code":"PGRST303","details":"Invalid by 31 seconds","hint":null,"message":"JWT expired"}`,
			`Bearer error="invalid_token", error_description="JWT expired"`},
		{JWTClaims(MsgJWTAudNotStringArr, nil), 401, "PGRST303",
			`{"code":"PGRST303","details":null,"hint":null,"message":"The JWT 'aud' claim must be a string or an array of strings"}`,
			`Bearer error="invalid_token", error_description="The JWT 'aud' claim must be a string or an array of strings"`},
		{AnonDisabled(), 401, "PGRST302",
			`{"code":"PGRST302","details":null,"hint":null,"message":"Anonymous access is disabled"}`, "Bearer"},
	} {
		if tc.e.Status != tc.status || tc.e.Code != tc.code || string(tc.e.Body()) != tc.body {
			t.Errorf("%d %s %s", tc.e.Status, tc.e.Code, tc.e.Body())
		}
		if got := tc.e.Headers["WWW-Authenticate"]; got != tc.wwwAuthenticate {
			t.Errorf("%s: WWW-Authenticate %q, want %q", tc.e.Message, got, tc.wwwAuthenticate)
		}
	}
	if got := invalidTokenHeader(`a "quoted" \ msg`); got != `Bearer error="invalid_token", error_description="a \"quoted\" \\ msg"` {
		t.Errorf("quoting: %s", got)
	}
}
