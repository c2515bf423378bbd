package schemacache

import (
	"slices"
	"testing"
)

func TestAttnumsScan(t *testing.T) {
	for _, c := range []struct {
		src  any
		want []int16
		err  bool
	}{
		{nil, nil, false},
		{"", nil, false},
		{"3", []int16{3}, false},
		{"1,-2,32767", []int16{1, -2, 32767}, false},
		{[]byte("4,5"), []int16{4, 5}, false},
		{"1,,2", nil, true},
		{"{1,2}", nil, true},
		{"40000", nil, true},
		{7, nil, true},
	} {
		var a attnums
		err := a.Scan(c.src)
		if (err != nil) != c.err || !c.err && !slices.Equal(a, c.want) {
			t.Errorf("Scan(%#v) = %v, %v", c.src, a, err)
		}
	}
}
