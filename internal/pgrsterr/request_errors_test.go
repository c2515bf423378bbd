package pgrsterr

import "testing"

func TestNegativeLimit(t *testing.T) {
	e := NegativeLimit()
	want := `{"code":"PGRST103","details":"Limit should be greater than or equal to zero.","hint":null,"message":"Requested range not satisfiable"}`
	if e.Status != 416 || string(e.Body()) != want {
		t.Errorf("got %d %s", e.Status, e.Body())
	}
}
