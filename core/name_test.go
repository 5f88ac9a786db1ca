package core

import (
	"regexp"
	"strings"
	"testing"
)

// isName accepts exactly what the pattern it replaced accepted.
func TestIsNameMatchesThePattern(t *testing.T) {
	pattern := regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,99}$`)
	inputs := []string{"", "a", "Z", "_a", "1a", "a1", "a_", "A_b9", "a-b", "a b", "a.b", "a$", "é", "aé",
		"a\x00", "GameScore", "_User", strings.Repeat("a", 99), strings.Repeat("a", 100), strings.Repeat("a", 101),
		"a" + strings.Repeat("9", 99), "a" + strings.Repeat("_", 100)}
	// Every string of up to two characters over a mixed alphabet.
	alphabet := "aZ09_-.$ \x7fé"
	for _, x := range alphabet {
		inputs = append(inputs, string(x))
		for _, y := range alphabet {
			inputs = append(inputs, string(x)+string(y))
		}
	}
	for _, s := range inputs {
		if got, want := isName(s), pattern.MatchString(s); got != want {
			t.Errorf("isName(%q) = %v, the pattern says %v", s, got, want)
		}
	}
}

func FuzzIsName(f *testing.F) {
	pattern := regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,99}$`)
	f.Add("GameScore")
	f.Add("_x")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isName(s), pattern.MatchString(s); got != want {
			t.Errorf("isName(%q) = %v, the pattern says %v", s, got, want)
		}
	})
}
