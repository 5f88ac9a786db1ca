package postgres_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard/adapters/store/postgres"
	"github.com/switchboardhq/switchboard/adapters/store/postgres/pgtest"
)

// TestTranslateRegex checks that PostgreSQL's ~ with the translated
// expression matches exactly the strings Go's regexp matches.
func TestTranslateRegex(t *testing.T) {
	conn, err := pgx.Connect(t.Context(), pgtest.Fresh(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	patterns := []string{
		`^abc`, `abc$`, `a.c`, `(?s)a.c`, `(?i)abc`, `(?i)straße`, `(?i)k`, `(?i)[a-c]x`,
		`\Qa.b*c\E`, `^\Q(x)\E`, `\Q\E`, `\bfoo\b`, `\Bo\B`, `(?m)^foo$`, `(?m)bar$`, `(?ms)^a.b$`,
		`a{2,3}`, `^a{300}$`, `^a{2,}$`, `^a{0,256}$`, `[^a]`, `^[^a]*$`, `[[:alpha:]]+`, `^\d+$`, `^\w+$`, `\s`, `^\pL+$`,
		`\p{Greek}`, `^(?:[a-c]|[x-z])+$`, `^(ab|cd)*e$`, `a*?b`, `(?P<n>a)b`, `(?i:a)B`, `^$`, `\x{263a}`,
		`[\-\]\\]`, `é`, `(?U)a+`, `.*`, `\Aab\z`, `a|b|`, `^(a|)$`, `[\x{10000}-\x{10FFFF}]`, `\.`, `^\$\^\{\}\[\]\(\)\|\?\*\+$`,
		`^a{600,700}$`, `^(?:ab){256,}$`, `^a{0,1000}$`, `^(?:x|y){300}$`, `[^\n]`, `(?i)ǅ`, `^.$`, `^..$`, `\t`, `[\d\s]`, `[^\D]`, `x*`, `(?:)`, `[^\x00-\x{10FFFF}]`,
	}
	subjects := []string{
		strings.Repeat("a", 600), strings.Repeat("a", 700), strings.Repeat("a", 701), strings.Repeat("ab", 256), strings.Repeat("ab", 255), strings.Repeat("xy", 150), strings.Repeat("a", 1000),
		"abc", "xabc", "ABC", "a\nc", "abcd", "straße", "STRASSE", "STRAßE", "K", "k", "\u212a", "a.b*c", "(x)yz",
		"foo bar", "afoob", "foo\nbar", "bar\nfoo", "a\nb", "aa", "aaa", strings.Repeat("a", 300), strings.Repeat("a", 257),
		"é", "☺", "-]\\", "", "αβγ", "123", " \t", "xyzab", "ababcde", "cde", "aB", "AB", "b", "$^{}[]()|?*+",
		"😀", "ǅ", "ǆ", "Ǆ", "\n", "a.", "7",
	}
	for _, p := range patterns {
		are, err := postgres.TranslateRegex(p)
		if err != nil {
			t.Errorf("translate %q: %v", p, err)
			continue
		}
		re := regexp.MustCompile(p)
		for _, s := range subjects {
			var got bool
			if err := conn.QueryRow(t.Context(), "SELECT $1::text ~ $2::text", s, are).Scan(&got); err != nil {
				t.Errorf("%q as %q: %v", p, are, err)
				break
			}
			if want := re.MatchString(s); got != want {
				t.Errorf("%q (as %q) on %q: PostgreSQL %v, Go %v", p, are, s, got, want)
			}
		}
	}
}
