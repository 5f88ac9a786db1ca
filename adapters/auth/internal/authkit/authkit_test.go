package authkit

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/core"
)

func TestStringList(t *testing.T) {
	for in, want := range map[string]StringList{
		`"a"`:          {"a"},
		`"a, b,,c"`:    {"a", "b", "c"},
		`["a", "b,c"]`: {"a", "b", "c"},
		`[]`:           nil,
		`""`:           nil,
	} {
		var got StringList
		if err := json.Unmarshal([]byte(in), &got); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %q, %v; want %q", in, got, err, want)
		}
	}
	var l StringList
	if err := json.Unmarshal([]byte(`42`), &l); err == nil {
		t.Error("a number decoded as a StringList")
	}
}

func TestID(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want string
		ok   bool
	}{
		{"abc", "abc", true},
		{"", "", false},
		{float64(583231), "583231", true},
		{1.5, "", false},
		{json.Number("12"), "12", true},
		{json.Number("1e3"), "", false},
		{nil, "", false},
		{[]any{"x"}, "", false},
	} {
		got, ok := ID(map[string]any{"id": tc.in})
		if got != tc.want || ok != tc.ok {
			t.Errorf("ID(%#v) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestGetClassifies(t *testing.T) {
	status := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"error":"x"}`))
	}))
	defer srv.Close()
	for _, tc := range []struct {
		status int
		code   core.Code // 0: returned to the caller
	}{
		{200, 0}, {400, 0}, {401, 0}, {404, 0},
		{429, core.CodeConnectionFailed}, {500, core.CodeConnectionFailed}, {503, core.CodeConnectionFailed},
	} {
		status = tc.status
		resp, err := Get(context.Background(), Client(), "p", srv.URL+"/x?access_token=SECRET", nil)
		switch {
		case tc.code == 0 && (err != nil || resp.Status != tc.status):
			t.Errorf("%d: got %v, %v", tc.status, resp, err)
		case tc.code != 0 && !core.IsCode(err, tc.code):
			t.Errorf("%d: got %v, want code %d", tc.status, err, tc.code)
		case err != nil && strings.Contains(err.Error(), "SECRET"):
			t.Errorf("%d: error leaks the query: %v", tc.status, err)
		}
	}
	srv.Close()
	_, err := Get(context.Background(), Client(), "p", srv.URL+"/x?access_token=SECRET", nil)
	if !core.IsCode(err, core.CodeConnectionFailed) || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("closed server: %v", err)
	}
}
