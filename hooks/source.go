package hooks

import "fmt"

// checkSourceNesting refuses JavaScript source whose nesting would make
// goja's recursive-descent parser recurse deeply enough to threaten Go's
// stack (a stack overflow is fatal to the process, not a recoverable panic).
// It is a conservative lexical estimate, not a parser: it skips strings,
// template text, comments and (heuristically) regular-expression literals,
// and counts
//   - bracket depth: ( [ { and ${;
//   - runs of prefix operators (! ~ + - and typeof/void/delete/new/await);
//   - right-associative chains within one bracket level and statement:
//     assignments, arrows and ?: conditionals.
//
// Real code stays far below max on each; the constructs that would crash the
// parser need tens of thousands.
func checkSourceNesting(src string, max int) error {
	s := scanner{src: src, max: max}
	return s.run()
}

type scanner struct {
	src   string
	i     int
	line  int
	max   int
	depth int
	// chain counts right-associative operators per open bracket level.
	chain []int
	// prefix counts consecutive prefix operators.
	prefix int
	// templates holds the bracket depth at which each open template
	// literal's ${ substitution started.
	templates []int
	// lastSignificant is the last non-space character outside tokens that
	// decides whether a '/' starts a regular expression.
	lastSignificant byte
	lastWord        string
}

func (s *scanner) fail(what string) error {
	return fmt.Errorf("line %d: %s nest deeper than %d levels; split the expression", s.line+1, what, s.max)
}

func (s *scanner) run() error {
	s.chain = []int{0}
	for s.i < len(s.src) {
		c := s.src[s.i]
		switch {
		case c == '\n':
			s.line++
			s.i++
			continue
		case c == ' ' || c == '\t' || c == '\r':
			s.i++
			continue
		case c == '/' && s.peek(1) == '/':
			s.skipUntil("\n")
			continue
		case c == '/' && s.peek(1) == '*':
			s.i += 2
			s.skipUntil("*/")
			continue
		case c == '\'' || c == '"':
			s.skipString(c)
			s.token(c)
			continue
		case c == '`':
			s.i++
			if err := s.templateText(); err != nil {
				return err
			}
			continue
		case c == '/' && s.regexAllowed():
			s.skipRegex()
			s.token('a')
			continue
		case isWordByte(c):
			start := s.i
			for s.i < len(s.src) && isWordByte(s.src[s.i]) {
				s.i++
			}
			word := s.src[start:s.i]
			switch word {
			case "typeof", "void", "delete", "new", "await", "yield":
				s.prefix++
				if s.prefix > s.max {
					return s.fail("prefix operators")
				}
			default:
				s.prefix = 0
			}
			s.lastSignificant = 'a'
			s.lastWord = word
			continue
		}
		s.i++
		switch c {
		case '(', '[', '{':
			s.depth++
			s.chain = append(s.chain, 0)
			s.prefix = 0
			if s.depth > s.max {
				return s.fail("brackets")
			}
		case ')', ']', '}':
			if len(s.templates) > 0 && c == '}' && s.templates[len(s.templates)-1] == s.depth {
				// The end of a ${...} substitution: back into template text.
				s.templates = s.templates[:len(s.templates)-1]
				s.depth--
				s.chain = s.chain[:len(s.chain)-1]
				if err := s.templateText(); err != nil {
					return err
				}
				continue
			}
			if s.depth > 0 {
				s.depth--
				s.chain = s.chain[:len(s.chain)-1]
			}
			s.prefix = 0
		case ';', ',':
			s.chain[len(s.chain)-1] = 0
			s.prefix = 0
		case '!', '~', '+', '-':
			s.prefix++
			if s.prefix > s.max {
				return s.fail("prefix operators")
			}
		case '=', '?':
			if c == '=' && (s.peek(0) == '=' || s.lastSignificant == '=' || s.lastSignificant == '!' || s.lastSignificant == '<' || s.lastSignificant == '>') {
				break // a comparison, not an assignment
			}
			if c == '?' && (s.peek(0) == '.' || s.peek(0) == '?') {
				break // optional chaining or nullish coalescing
			}
			s.chain[len(s.chain)-1]++
			if s.chain[len(s.chain)-1] > s.max {
				return s.fail("assignments, arrows and conditionals")
			}
		}
		if c != '!' && c != '~' && c != '+' && c != '-' {
			s.prefix = 0
		}
		s.lastSignificant = c
		s.lastWord = ""
	}
	return nil
}

func (s *scanner) token(c byte) {
	s.prefix = 0
	s.lastSignificant = c
	s.lastWord = ""
}

func (s *scanner) peek(k int) byte {
	if s.i+k < len(s.src) {
		return s.src[s.i+k]
	}
	return 0
}

func (s *scanner) skipUntil(end string) {
	for s.i < len(s.src) {
		if s.src[s.i] == '\n' {
			s.line++
		}
		if len(s.src)-s.i >= len(end) && s.src[s.i:s.i+len(end)] == end {
			s.i += len(end)
			return
		}
		s.i++
	}
}

func (s *scanner) skipString(q byte) {
	s.i++
	for s.i < len(s.src) {
		c := s.src[s.i]
		s.i++
		switch c {
		case '\\':
			s.i++
		case q, '\n':
			return
		}
	}
}

// templateText skips template literal text up to the closing backquote or
// the next ${, which opens a bracket level.
func (s *scanner) templateText() error {
	for s.i < len(s.src) {
		c := s.src[s.i]
		s.i++
		switch c {
		case '\\':
			s.i++
		case '\n':
			s.line++
		case '`':
			s.token('a')
			return nil
		case '$':
			if s.peek(0) == '{' {
				// ${ opens a bracket level; run() returns here at its '}'.
				s.i++
				s.depth++
				s.chain = append(s.chain, 0)
				if s.depth > s.max {
					return s.fail("brackets")
				}
				s.templates = append(s.templates, s.depth)
				s.lastSignificant = '('
				return nil
			}
		}
	}
	return nil
}

// regexAllowed reports whether a '/' here starts a regular expression
// rather than dividing, from the previous token (the usual heuristic).
func (s *scanner) regexAllowed() bool {
	switch s.lastWord {
	case "return", "typeof", "instanceof", "in", "of", "new", "delete", "void", "throw", "case", "do", "else", "yield", "await":
		return true
	case "":
	default:
		return false
	}
	switch s.lastSignificant {
	case 0, '(', ',', '=', ':', '[', '!', '&', '|', '?', '{', '}', ';', '+', '-', '*', '%', '<', '>', '~', '^':
		return true
	}
	return false
}

func (s *scanner) skipRegex() {
	s.i++
	inClass := false
	for s.i < len(s.src) {
		c := s.src[s.i]
		s.i++
		switch {
		case c == '\\':
			s.i++
		case c == '\n':
			s.line++
			return
		case c == '[':
			inClass = true
		case c == ']':
			inClass = false
		case c == '/' && !inClass:
			for s.i < len(s.src) && isWordByte(s.src[s.i]) {
				s.i++
			}
			return
		}
	}
}

func isWordByte(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}
