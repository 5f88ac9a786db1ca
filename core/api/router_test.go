package api

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The router's map of simple routes must pick what ServeMux picks, for
// every route of the table and for paths around them.
func TestRouterFastMatchesServeMux(t *testing.T) {
	rt := newRouter()
	if len(rt.fast) == 0 {
		t.Fatal("no route is in the fast map")
	}
	if _, ok := rt.fast[fastKey{"GET", "classes", 3}]; !ok {
		t.Error("GET /classes/{class}/{id} is not in the fast map")
	}
	var paths [][]string
	for _, r := range routes {
		_, path, _ := strings.Cut(r.pattern, " ")
		segs := strings.Split(strings.Trim(path, "/"), "/")
		for i, s := range segs {
			if strings.HasPrefix(s, "{") {
				segs[i] = "x" + s[1:len(s)-1]
			}
		}
		paths = append(paths, segs, append(segs[:len(segs):len(segs)], "extra"), segs[:len(segs)-1])
		paths = append(paths, append([]string{segs[0], "me"}, segs[1:]...), append([]string{segs[0], ""}, segs[1:]...))
	}
	paths = append(paths, []string{"classes", "..", "x"}, []string{"classes", "."}, []string{"users", "me"}, []string{"classes", "A", ""}, nil)
	for _, method := range []string{"GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS"} {
		for _, p := range paths {
			got, gotOK := rt.match(method, p)
			u := url.URL{Path: "/" + strings.Join(p, "/")}
			h, _ := rt.mux.Handler(&http.Request{Method: method, URL: &u})
			want, wantOK := h.(routeRef)
			if gotOK != wantOK || (gotOK && got.route != want.route) {
				t.Errorf("%s /%s: match gives %v %v, ServeMux %v %v", method, strings.Join(p, "/"), got.route, gotOK, want.route, wantOK)
			}
		}
	}
}
