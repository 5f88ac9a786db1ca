package postgres

import (
	"fmt"
	"regexp/syntax"
	"strings"
	"unicode"
	"unicode/utf8"
)

// TranslateRegex turns a Go (RE2) regular expression into a PostgreSQL
// advanced regular expression (ARE) that matches the same strings, for the
// ~ operator in its default mode.
//
// It parses re with Go's own parser and writes the tree back out, so every
// piece of Go syntax arrives as something ARE reads the same way:
//   - \Q...\E (the Parse SDKs' startsWith, endsWith and contains) and every
//     other literal become escaped characters;
//   - flags, which ARE allows only at the very start, are applied in the
//     tree: (?i) becomes bracket expressions of each letter's case
//     variants ([aA]), (?s) decides between "." and [^\n], (?m) turns ^
//     and $ into lookarounds on "\n";
//   - \b and \B (a backspace and an error in ARE) become lookarounds on
//     ASCII word characters, as Go defines them;
//   - \pL, \d, [[:alpha:]] and the like become explicit ranges;
//   - groups become non-capturing, and repeat counts above ARE's limit of
//     255 become several repeats in a row.
//
// Lazy quantifiers (x*?) are written greedy: whether a string matches does
// not depend on it. What cannot be carried over is only what ~ adds: the
// database must be UTF-8 (the text of every Parse string), and text never
// holds the NUL character.
func TranslateRegex(re string) (string, error) {
	r, err := syntax.Parse(re, syntax.Perl)
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	if err := writeARE(&sb, r); err != nil {
		return "", err
	}
	return sb.String(), nil
}

const (
	wordClass   = `[0-9A-Za-z_]`
	noMatch     = `[^\u0001-\U0010ffff]` // no character: text never holds NUL
	maxARERunes = 0x10ffff
)

func writeARE(sb *strings.Builder, r *syntax.Regexp) error {
	switch r.Op {
	case syntax.OpNoMatch:
		sb.WriteString(noMatch)
	case syntax.OpEmptyMatch:
		sb.WriteString("(?:)")
	case syntax.OpLiteral:
		for _, c := range r.Rune {
			if r.Flags&syntax.FoldCase != 0 {
				writeFolded(sb, c)
			} else {
				writeLiteral(sb, c)
			}
		}
	case syntax.OpCharClass:
		writeClass(sb, r.Rune)
	case syntax.OpAnyCharNotNL:
		sb.WriteString(`[^\n]`)
	case syntax.OpAnyChar:
		sb.WriteString(".") // in ~'s default mode "." matches a newline too
	case syntax.OpBeginLine:
		sb.WriteString(`(?:^|(?<=\n))`)
	case syntax.OpEndLine:
		sb.WriteString(`(?:$|(?=\n))`)
	case syntax.OpBeginText:
		sb.WriteString("^")
	case syntax.OpEndText:
		sb.WriteString("$")
	case syntax.OpWordBoundary:
		sb.WriteString(`(?:(?<=` + wordClass + `)(?!` + wordClass + `)|(?<!` + wordClass + `)(?=` + wordClass + `))`)
	case syntax.OpNoWordBoundary:
		sb.WriteString(`(?:(?<=` + wordClass + `)(?=` + wordClass + `)|(?<!` + wordClass + `)(?!` + wordClass + `))`)
	case syntax.OpCapture:
		sb.WriteString("(?:")
		if err := writeARE(sb, r.Sub[0]); err != nil {
			return err
		}
		sb.WriteString(")")
	case syntax.OpRepeat:
		if r.Min > maxARERepeat || r.Max > maxARERepeat {
			return writeLongRepeat(sb, r)
		}
		fallthrough
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest:
		if err := writeAtom(sb, r.Sub[0]); err != nil {
			return err
		}
		switch r.Op {
		case syntax.OpStar:
			sb.WriteString("*")
		case syntax.OpPlus:
			sb.WriteString("+")
		case syntax.OpQuest:
			sb.WriteString("?")
		default:
			switch {
			case r.Max == r.Min:
				fmt.Fprintf(sb, "{%d}", r.Min)
			case r.Max < 0:
				fmt.Fprintf(sb, "{%d,}", r.Min)
			default:
				fmt.Fprintf(sb, "{%d,%d}", r.Min, r.Max)
			}
		}
	case syntax.OpConcat:
		for _, s := range r.Sub {
			if s.Op == syntax.OpAlternate {
				if err := writeGroup(sb, s); err != nil {
					return err
				}
				continue
			}
			if err := writeARE(sb, s); err != nil {
				return err
			}
		}
	case syntax.OpAlternate:
		for i, s := range r.Sub {
			if i > 0 {
				sb.WriteString("|")
			}
			if err := writeARE(sb, s); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("regular expression operator %v has no PostgreSQL equivalent", r.Op)
	}
	return nil
}

// maxARERepeat is the largest count ARE accepts in {n,m}.
const maxARERepeat = 255

// writeLongRepeat writes x{n,m} with counts above ARE's limit as a
// sequence of repeats within it: x{600,700} is x{255}x{255}x{90}x{0,100}.
// The result grows with m/255, where expanding the repeat (as Simplify
// does) grows with m and made PostgreSQL compile for seconds.
func writeLongRepeat(sb *strings.Builder, r *syntax.Regexp) error {
	piece := func(lo, hi int) error {
		if err := writeAtom(sb, r.Sub[0]); err != nil {
			return err
		}
		switch {
		case hi < 0:
			fmt.Fprintf(sb, "{%d,}", lo)
		case lo == hi:
			fmt.Fprintf(sb, "{%d}", lo)
		default:
			fmt.Fprintf(sb, "{%d,%d}", lo, hi)
		}
		return nil
	}
	sb.WriteString("(?:")
	for n := r.Min; n > 0; n -= min(n, maxARERepeat) {
		if err := piece(min(n, maxARERepeat), min(n, maxARERepeat)); err != nil {
			return err
		}
	}
	if r.Max < 0 {
		if err := piece(0, -1); err != nil {
			return err
		}
	} else {
		for n := r.Max - r.Min; n > 0; n -= min(n, maxARERepeat) {
			if err := piece(0, min(n, maxARERepeat)); err != nil {
				return err
			}
		}
	}
	sb.WriteString(")")
	return nil
}

func writeGroup(sb *strings.Builder, r *syntax.Regexp) error {
	sb.WriteString("(?:")
	if err := writeARE(sb, r); err != nil {
		return err
	}
	sb.WriteString(")")
	return nil
}

// writeAtom writes r so that a quantifier after it applies to all of it.
func writeAtom(sb *strings.Builder, r *syntax.Regexp) error {
	single := false
	switch r.Op {
	case syntax.OpLiteral:
		single = len(r.Rune) == 1
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL, syntax.OpCapture:
		single = true
	}
	if single {
		return writeARE(sb, r)
	}
	return writeGroup(sb, r)
}

// writeLiteral writes one character outside a bracket expression.
func writeLiteral(sb *strings.Builder, c rune) {
	switch {
	case c < utf8.RuneSelf && (c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '_'):
		sb.WriteRune(c)
	case c < utf8.RuneSelf && unicode.IsPrint(c):
		// In an ARE a backslash before a character that is not a letter
		// or digit stands for that character.
		sb.WriteByte('\\')
		sb.WriteRune(c)
	default:
		writeEscape(sb, c)
	}
}

// writeEscape writes c as a character-entry escape, valid inside and outside
// bracket expressions.
func writeEscape(sb *strings.Builder, c rune) {
	if c <= 0xffff {
		fmt.Fprintf(sb, `\u%04x`, c)
	} else {
		fmt.Fprintf(sb, `\U%08x`, c)
	}
}

// writeFolded writes c and the other cases of c as one bracket expression.
func writeFolded(sb *strings.Builder, c rune) {
	f := unicode.SimpleFold(c)
	if f == c {
		writeLiteral(sb, c)
		return
	}
	sb.WriteByte('[')
	writeClassRune(sb, c)
	for ; f != c; f = unicode.SimpleFold(f) {
		writeClassRune(sb, f)
	}
	sb.WriteByte(']')
}

// writeClassRune writes one character inside a bracket expression.
func writeClassRune(sb *strings.Builder, c rune) {
	if c < utf8.RuneSelf && (c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
		sb.WriteRune(c)
		return
	}
	writeEscape(sb, c)
}

// writeClass writes a character class given as [lo, hi] pairs.
func writeClass(sb *strings.Builder, ranges []rune) {
	var pairs [][2]rune
	for i := 0; i+1 < len(ranges); i += 2 {
		lo, hi := max(ranges[i], 1), min(ranges[i+1], maxARERunes)
		// No string holds a surrogate, and ARE refuses them as escapes.
		if lo >= 0xd800 && lo <= 0xdfff {
			lo = 0xe000
		}
		if hi >= 0xd800 && hi <= 0xdfff {
			hi = 0xd7ff
		}
		if lo <= hi {
			pairs = append(pairs, [2]rune{lo, hi})
		}
	}
	if len(pairs) == 0 {
		sb.WriteString(noMatch)
		return
	}
	sb.WriteByte('[')
	for _, p := range pairs {
		writeClassRune(sb, p[0])
		if p[1] != p[0] {
			if p[1] > p[0]+1 {
				sb.WriteByte('-')
			}
			writeClassRune(sb, p[1])
		}
	}
	sb.WriteByte(']')
}
